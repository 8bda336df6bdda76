"""HTTP transport to the Bot API: python-telegram-bot's own HTTPXRequest, retrying a call only
when it provably never reached Telegram, so that no answer is ever sent twice.

Once a request has been written, a lost connection, a timeout or a 5xx answer says nothing
about whether Telegram acted: a sendMessage may have been delivered. Calls with an effect a
user can see (sending, editing, answering a button or an inline query) are then not repeated:
the fault is logged once and the error goes to the handler. What is retried, a few times with
a short backoff: a connection that could not be opened, and a wait for a free connection in
the pool (python-telegram-bot says so itself: "the request was not sent to Telegram"); and
calls without effects (getMe, setMyCommands...) after any network fault or 5xx. A 429 is left
to AIORateLimiter, which waits as long as Telegram says.

The URLs passed through here carry the token: they are never logged; only the method name is.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)
RETRIES = 3
BACKOFF_SECONDS = 0.5  # doubled after each failed try
# Connections beyond one per update in flight, for admin notices and the like: no call waits
# for a free connection.
SPARE_CONNECTIONS = 4
# Methods whose repetition a user would see (a second message, a second edit), matched on the
# name's start: sendMessage, editMessageText, answerCallbackQuery, answerInlineQuery...
EFFECT_PREFIXES = ("send", "edit", "answer", "copy", "forward")
# Faults that happen before a request is written: httpx raises these without sending a byte.
NOT_SENT: tuple[type[BaseException], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


def method_name(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def has_effect(method: str) -> bool:
    return method.lower().startswith(EFFECT_PREFIXES)


def never_sent(error: BaseException) -> bool:
    """True only when the request provably never left this machine."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, NOT_SENT):
            return True
        cause = cause.__cause__
    return False


class SendOnceRequest(HTTPXRequest):
    """Every call but getUpdates."""

    def __init__(self, concurrent_updates: int, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=concurrent_updates + SPARE_CONNECTIONS, **kwargs)

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        name = method_name(url)
        effect = has_effect(name)
        for attempt in range(RETRIES + 1):
            last = attempt == RETRIES
            try:
                code, payload = await super().do_request(url, method, *args, **kwargs)
            except NetworkError as error:  # TimedOut included
                if never_sent(error) and not last:
                    log.warning("%s was not sent (%s); trying again", name, _why(error))
                elif effect or isinstance(error, TimedOut) or last:
                    # It may have taken effect: repeating it could answer twice. The error
                    # handler logs it (once).
                    raise
                else:
                    log.warning("%s failed (%s); trying again", name, _why(error))
            else:
                if code < HTTPStatus.INTERNAL_SERVER_ERROR or last or effect:
                    return code, payload  # a 5xx becomes an error, logged by the handler
                log.warning("%s got HTTP %d from the Bot API; trying again", name, code)
            await asyncio.sleep(BACKOFF_SECONDS * 2**attempt)
        raise AssertionError("unreachable")


def _why(error: BaseException) -> str:
    cause = error.__cause__
    return type(cause).__name__ if cause is not None else type(error).__name__


class PollingRequest(HTTPXRequest):
    """getUpdates. python-telegram-bot's polling loop already retries every failure, but it logs
    a 429 and a timeout only at DEBUG: an operator should see each of them once."""

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(url, method, *args, **kwargs)
        except TimedOut:
            log.warning("getUpdates timed out; polling again")
            raise
        if code == HTTPStatus.TOO_MANY_REQUESTS:
            log.warning("getUpdates got 429 Too Many Requests; polling again after retry_after")
        return code, payload


class DropInvalidJsonNoise(logging.Filter):
    """python-telegram-bot logs a non-JSON answer (a proxy's 502 page) at ERROR and then raises
    an error quoting the same page, which is logged where it is handled: one fault, one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Can not load invalid JSON data")


def quiet_duplicate_request_errors() -> None:
    request_logger = logging.getLogger("telegram.request.BaseRequest")
    if not any(isinstance(f, DropInvalidJsonNoise) for f in request_logger.filters):
        request_logger.addFilter(DropInvalidJsonNoise())
