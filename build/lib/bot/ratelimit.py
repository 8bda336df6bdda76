"""Per-key flood control: a sliding window of allowed messages, one warning, then silence."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"  # answer it
    WARN = "warn"  # over the limit: send one "slow down" note
    DROP = "drop"  # still over the limit and already warned: stay silent


class FloodGate:
    """At most `limit` allowed messages per `window` seconds for each key (a chat or a user)."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._allowed: dict[Hashable, deque[float]] = {}
        self._warned_until: dict[Hashable, float] = {}

    def check(self, key: Hashable) -> Verdict:
        now = self._clock()
        stamps = self._allowed.setdefault(key, deque())
        while stamps and now - stamps[0] >= self.window:
            stamps.popleft()
        if len(stamps) < self.limit:
            stamps.append(now)
            self._warned_until.pop(key, None)
            return Verdict.ALLOW
        if self._warned_until.get(key, 0.0) > now:
            return Verdict.DROP
        # Silence lasts until the oldest allowed message leaves the window.
        self._warned_until[key] = stamps[0] + self.window
        return Verdict.WARN

    def forget_idle(self) -> None:
        """Drop keys with nothing in the window, so memory stays bounded by active chats."""
        now = self._clock()
        for key in [k for k, s in self._allowed.items() if not s or now - s[-1] >= self.window]:
            self._allowed.pop(key, None)
            self._warned_until.pop(key, None)
