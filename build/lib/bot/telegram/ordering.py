"""Concurrent updates, each chat in order.

Handled one at a time, a single slow Bot API call (Telegram's round trip, a retry after a 5xx)
holds up every other user. Fully concurrent, one user's quick questions could be answered out
of order. So: different chats run side by side; one chat's updates run one after another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates python-telegram-bot hands over at once, most of them waiting for their chat's turn
# or a lane. Waiting costs a task and no connection.
MAX_PENDING_UPDATES = 256


def _order_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:  # inline queries have a user but no chat
        return update.effective_user.id
    return None


class PerChatOrder(BaseUpdateProcessor):
    """An update first waits for its chat's earlier updates, then for one of `lanes` free lanes
    (the CONCURRENT_UPDATES setting): a chat with a queue holds one lane, never all of them."""

    def __init__(self, lanes: int) -> None:
        super().__init__(MAX_PENDING_UPDATES)
        self._lanes = asyncio.Semaphore(lanes)
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}  # updates waiting on or holding each lock

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _order_key(update)
        if key is None:
            async with self._lanes:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock, self._lanes:  # both first come, first served
                await coroutine
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:  # forget idle chats: memory stays bounded
                del self._holders[key]
                del self._locks[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
