"""What the handlers share: the current engine (swapped whole on reload), storage, flood gates,
each chat's pending choices. Handlers reach it through a typed context: `context.state`."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.config import Settings
from bot.conversation import Conversation, PendingChoices
from bot.engine import Engine
from bot.health import Health
from bot.metrics import Metrics
from bot.ratelimit import FloodGate
from bot.store import Store, vote_key

VOTED_MEMORY = 10_000  # messages whose feedback was taken, remembered to refuse a second vote


@dataclass
class BotState:
    settings: Settings
    engine: Engine
    store: Store  # a NullStore when QUESTION_LOG=off
    group_gate: FloodGate
    user_gate: FloodGate
    pending: PendingChoices = field(default_factory=PendingChoices)
    voted: OrderedDict[tuple[int, int], None] = field(default_factory=OrderedDict)
    health: Health = field(default_factory=Health)
    metrics: Metrics = field(default_factory=Metrics)

    def conversation(self) -> Conversation:
        """Over the engine of this moment: a reload is seen by the next message."""
        days = self.settings.question_log_days if self.store.keeps_records else None
        return Conversation(self.engine, question_log_days=days)

    def vote_key(self, chat_id: int, message_id: int) -> str:
        """The store's name for one voted message: the same on every replica, no chat id in it."""
        return vote_key(self.settings.token or "", chat_id, message_id)

    def first_vote(self, chat_id: int, message_id: int) -> bool:
        """True once per message: a second press (or a replayed callback) is not counted.

        Kept in memory only; the vote buttons are also removed from the message after a vote.
        """
        key = (chat_id, message_id)
        if key in self.voted:
            return False
        self.voted[key] = None
        if len(self.voted) > VOTED_MEMORY:
            self.voted.popitem(last=False)
        return True


class BotData:
    """python-telegram-bot's bot_data, typed. The application creates it empty; build_application
    puts the state in before any handler runs."""

    def __init__(self) -> None:
        self._state: BotState | None = None

    @property
    def state(self) -> BotState:
        if self._state is None:
            raise RuntimeError("the bot state is set by build_application")
        return self._state

    @state.setter
    def state(self, value: BotState) -> None:
        self._state = value


# ExtBot[int] with AIORateLimiter (its max_retries argument), ExtBot[None] without one.
class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """The context every handler gets (python-telegram-bot's ContextTypes)."""

    @property
    def state(self) -> BotState:
        return self.bot_data.state


BotApplication = Application[
    ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Any]
]
CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)


def get_state(context: BotContext) -> BotState:
    return context.state
