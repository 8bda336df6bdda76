"""A request wrapper that tells Health (and the metrics) how each Bot API call ended.

It wraps whichever request class the bot uses, so retrying and timeouts stay where they are.
A 4xx answer still means Telegram was reached; a 5xx, a timeout or a dropped connection is a
failed call."""

from __future__ import annotations

from typing import Any

from telegram.error import TelegramError
from telegram.request import BaseRequest, RequestData

from bot.health import Health
from bot.metrics import Metrics


class TrackedRequest(BaseRequest):
    def __init__(self, inner: BaseRequest, health: Health, metrics: Metrics) -> None:
        self._inner = inner
        self._health = health
        self._metrics = metrics

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            code, payload = await self._inner.do_request(
                url,
                method,
                request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        except TelegramError as error:
            self._health.api_call(ok=False)
            self._metrics.telegram_error(type(error).__name__)
            raise
        self._health.api_call(ok=code < 500)
        if code >= 400:
            self._metrics.telegram_error(f"http_{code}")
        return code, payload
