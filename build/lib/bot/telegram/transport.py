"""HTTP transport to the Bot API: retries what Telegram never acted on, logs each fault once.

The URLs passed through here carry the token: they are never logged; only the method name is.
"""

from __future__ import annotations

import asyncio
import json
import logging
from http import HTTPStatus
from typing import Any

import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

log = logging.getLogger(__name__)
RETRIES = 3
BACKOFF_SECONDS = 0.5  # doubled after each failed try
# Connections beyond one per update in flight, for admin notices and the like: no call waits
# for a free connection.
SPARE_CONNECTIONS = 4


def _method(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _pick(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class JsonRequest(HTTPXRequest):
    """Sends a call's parameters as one JSON body, which the Bot API accepts, where
    python-telegram-bot form-encodes them: percent-encoding an HTML answer one character at a
    time cost more CPU per reply than matching the question (bench/NOTES.md). Uploads still go
    as multipart, through python-telegram-bot's own code."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        if request_data is None or request_data.contains_files:
            return await super().do_request(url, method, request_data, *timeouts)
        # The same defaults, client and error mapping as HTTPXRequest.do_request (22.x).
        client = self._client
        timeout = httpx.Timeout(
            connect=_pick(connect_timeout, client.timeout.connect),
            read=_pick(read_timeout, client.timeout.read),
            write=_pick(write_timeout, client.timeout.write),
            pool=_pick(pool_timeout, client.timeout.pool),
        )
        # ASCII with escapes: a lone surrogate from a user's text cannot make encoding fail.
        body = json.dumps(request_data.parameters, separators=(",", ":")).encode("ascii")
        headers = {"User-Agent": self.USER_AGENT, "Content-Type": "application/json"}
        try:
            response = await client.request(
                method=method, url=url, headers=headers, timeout=timeout, content=body
            )
        except httpx.PoolTimeout as error:
            raise TimedOut("Pool timeout: the request was not sent to Telegram") from error
        except httpx.TimeoutException as error:
            raise TimedOut from error
        except httpx.HTTPError as error:
            raise NetworkError(f"httpx.{type(error).__name__}: {error}") from error
        return response.status_code, response.content


class ResilientRequest(JsonRequest):
    """Every call but getUpdates. A 5xx answer or a connection dropped before any answer is
    tried again a few times, with a short backoff. A timeout is not: the call may have taken
    effect (a slow sendMessage is delivered), and repeating it would answer twice. A 429 is left
    to AIORateLimiter, which waits as long as Telegram says; a 4xx would only fail again."""

    def __init__(self, concurrent_updates: int, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=concurrent_updates + SPARE_CONNECTIONS, **kwargs)

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        for attempt in range(RETRIES + 1):
            try:
                code, payload = await super().do_request(url, method, *args, **kwargs)
            except TimedOut:
                raise
            except NetworkError as error:
                if attempt == RETRIES:
                    raise
                log.warning("%s failed (%s); retrying", _method(url), type(error).__name__)
            else:
                if code < HTTPStatus.INTERNAL_SERVER_ERROR or attempt == RETRIES:
                    return code, payload
                log.warning("%s got HTTP %d from the Bot API; retrying", _method(url), code)
            await asyncio.sleep(BACKOFF_SECONDS * 2**attempt)
        raise AssertionError("unreachable")


class PollingRequest(JsonRequest):
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
