"""Prometheus metrics, optional (`pip install '.[metrics]'`, METRICS_PORT): replies by kind,
answer latency, Telegram errors by type, reloads, entries loaded.

Labels are closed sets the code chooses (a reply kind, an error class name, an HTTP status):
never a question, a user, a chat or an entry's text. Without METRICS_PORT every call is a no-op.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Settings

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MAX_TIMERS = 10_000  # answers being worked on at once, at the most


class Metrics:
    def __init__(self, registry: Any | None = None) -> None:
        self.registry = registry
        self._started: OrderedDict[tuple[int, int], float] = OrderedDict()
        if registry is None:
            return
        from prometheus_client import Counter, Gauge, Histogram

        self._replies = Counter(
            "faqbot_replies", "Replies sent, by kind", ["kind"], registry=registry
        )
        self._latency = Histogram(
            "faqbot_answer_seconds",
            "From the bot taking up a message to its reply being sent",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._errors = Counter(
            "faqbot_telegram_errors", "Failed Bot API calls, by type", ["type"], registry=registry
        )
        self._reloads = Counter(
            "faqbot_reloads", "Knowledge reloads, by result", ["result"], registry=registry
        )
        self._entries = Gauge("faqbot_entries", "FAQ entries being served", registry=registry)

    @property
    def enabled(self) -> bool:
        return self.registry is not None

    def started(self, chat_id: int, message_id: int) -> None:
        """The bot took up this message; `replied` for the same message observes the latency."""
        if self.registry is None:
            return
        self._started[(chat_id, message_id)] = time.monotonic()
        if len(self._started) > MAX_TIMERS:  # messages held back by flood control never reply
            self._started.popitem(last=False)

    def replied(self, kind: str, chat_id: int, message_id: int) -> None:
        if self.registry is None:
            return
        self._replies.labels(kind=kind).inc()
        began = self._started.pop((chat_id, message_id), None)
        if began is not None:
            self._latency.observe(time.monotonic() - began)

    def telegram_error(self, kind: str) -> None:
        if self.registry is not None:
            self._errors.labels(type=kind).inc()

    def reloaded(self, ok: bool, entries: int | None = None) -> None:
        if self.registry is None:
            return
        self._reloads.labels(result="ok" if ok else "refused").inc()
        if entries is not None:
            self._entries.set(entries)

    def entries(self, count: int) -> None:
        if self.registry is not None:
            self._entries.set(count)


def start_metrics(settings: Settings) -> Metrics:
    """Serve /metrics on METRICS_LISTEN:METRICS_PORT, or a no-op Metrics when it is not set."""
    if settings.metrics_port is None:
        return Metrics()
    try:
        from prometheus_client import CollectorRegistry, start_http_server
    except ImportError as error:
        from bot.config import ConfigError

        raise ConfigError(
            "METRICS_PORT is set but prometheus-client is not installed: pip install '.[metrics]'"
        ) from error
    registry = CollectorRegistry()
    start_http_server(settings.metrics_port, addr=settings.metrics_listen, registry=registry)
    return Metrics(registry)
