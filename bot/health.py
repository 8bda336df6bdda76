"""Is the bot healthy? The knowledge is loaded and the last Bot API call succeeded.

Front-end free: the Telegram layer reports its calls, `GET /healthz` (webhook mode) and
`python -m bot health` (the Docker HEALTHCHECK, any mode) read the verdict. The state is also
written to DATA_DIR/health.json, throttled, so that a separate process can read it. Nothing in
it is about users or questions.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
HEALTH_FILE = "health.json"  # inside DATA_DIR
WRITE_EVERY = 10.0  # seconds between writes of an unchanged verdict
STALE_AFTER = 120.0  # polling calls getUpdates every few seconds: silence this long is a hang


@dataclass
class Health:
    path: Path | None = None
    entries: int = 0
    api_ok: bool | None = None  # None: no Bot API call finished yet
    api_at: float = 0.0  # wall clock of the last finished call
    _written: float = field(default=0.0, repr=False)
    _written_ok: bool | None = field(default=None, repr=False)

    @property
    def healthy(self) -> bool:
        return self.entries > 0 and self.api_ok is True

    def knowledge_loaded(self, entries: int) -> None:
        self.entries = entries
        self._save(force=True)

    def api_call(self, ok: bool) -> None:
        self.api_ok, self.api_at = ok, time.time()
        self._save(force=self._written_ok != self.healthy)

    def snapshot(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "entries": self.entries,
            "last_api_call_ok": self.api_ok,
            "last_api_call_at": round(self.api_at, 1),
        }

    def _save(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.path is None or (not force and now - self._written < WRITE_EVERY):
            return
        self._written, self._written_ok = now, self.healthy
        try:
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.snapshot()))
            os.replace(temporary, self.path)  # a reader never sees half a file
        except OSError as error:  # health reporting must never take the bot down
            log.warning("could not write %s: %s", self.path, error)


def verdict_from_file(path: Path, now: float | None = None) -> tuple[bool, str]:
    """For `bot health` in polling mode: healthy, and the last call recent enough."""
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return False, f"no health state in {path} (is the bot running?)"
    age = (now or time.time()) - float(state.get("last_api_call_at") or 0)
    if not state.get("healthy"):
        return False, f"unhealthy: {json.dumps(state)}"
    if age > STALE_AFTER:
        return False, f"no Bot API call for {age:.0f} s"
    return True, f"healthy: {state['entries']} entries, last Bot API call {age:.0f} s ago"
