"""Settings from the environment (and an optional .env file), validated once at start.

The token is never printed: it is kept out of repr() and every message names only whether it
is set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge import DEFAULT_KNOWLEDGE_DIR

TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,200}$")
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
# Updates worked on at once. 4 keep Telegram's 30 sends/s busy at round trips up to ~130 ms;
# each one more costs every request a check of one more idle connection in httpx's pool (at 8
# the bot needed about 20% more CPU per update than at 4: bench/NOTES.md). A bot hosted far
# from Telegram's servers can set more.
DEFAULT_CONCURRENT_UPDATES = 4
MAX_CONCURRENT_UPDATES = 64


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line meant for the operator."""


@dataclass(frozen=True)
class Settings:
    token: str | None = field(default=None, repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    data_dir: Path = Path("data")
    question_log: bool = True
    question_log_days: int = 30
    admin_user_ids: frozenset[int] = frozenset()
    group_answers_per_minute: int = 6
    user_messages_per_minute: int = 20
    concurrent_updates: int = DEFAULT_CONCURRENT_UPDATES
    watch_knowledge: bool = True
    semantic: bool = True  # the semantic tier, when its extra is installed
    log_level: str = "INFO"
    database_url: str | None = field(default=None, repr=False)  # PostgreSQL; None: SQLite
    metrics_port: int | None = None  # Prometheus metrics on their own port; None: off
    metrics_listen: str = "127.0.0.1"

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put it in the "
                "environment or in .env (see .env.example)"
            )
        if not TOKEN_PATTERN.match(self.token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon and the secret part "
                "as @BotFather gives it (the value is not shown)"
            )
        return self.token


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; comments, blank lines and optional quotes. No interpolation."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def _int(
    env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int | None = None
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "on", "true", "yes"):
        return True
    if raw in ("0", "off", "false", "no"):
        return False
    raise ConfigError(f"{name} must be on or off, got {raw!r}")


def load_settings(
    environ: Mapping[str, str] | None = None,
    dotenv: Path | None = Path(".env"),
    knowledge: str | None = None,
) -> Settings:
    """The environment wins over .env; --knowledge wins over both."""
    env: dict[str, str] = read_dotenv(dotenv) if dotenv is not None else {}
    env.update(os.environ if environ is None else environ)
    admins: set[int] = set()
    for part in re.split(r"[,\s]+", env.get("ADMIN_USER_IDS", "").strip()):
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(
                f"ADMIN_USER_IDS must be Telegram user ids separated by commas, got {part!r}"
            )
        admins.add(int(part))
    webhook_url = env.get("WEBHOOK_URL", "").strip() or None
    if webhook_url and not webhook_url.startswith("https://"):
        raise ConfigError(
            "WEBHOOK_URL must be an https:// URL (Telegram only calls https webhooks)"
        )
    return Settings(
        token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
        api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL,
        webhook_url=webhook_url,
        webhook_secret=env.get("WEBHOOK_SECRET", "").strip() or None,
        webhook_listen=env.get("WEBHOOK_LISTEN", "").strip() or "0.0.0.0",
        webhook_port=_int(env, "WEBHOOK_PORT", 8443, minimum=1),
        knowledge_dir=Path(
            knowledge or env.get("KNOWLEDGE_DIR", "").strip() or DEFAULT_KNOWLEDGE_DIR
        ),
        data_dir=Path(env.get("DATA_DIR", "").strip() or "data"),
        question_log=_flag(env, "QUESTION_LOG", True),
        question_log_days=_int(env, "QUESTION_LOG_DAYS", 30, minimum=1),
        admin_user_ids=frozenset(admins),
        group_answers_per_minute=_int(env, "GROUP_ANSWERS_PER_MINUTE", 6, minimum=1),
        user_messages_per_minute=_int(env, "USER_MESSAGES_PER_MINUTE", 20, minimum=1),
        concurrent_updates=_int(
            env,
            "CONCURRENT_UPDATES",
            DEFAULT_CONCURRENT_UPDATES,
            minimum=1,
            maximum=MAX_CONCURRENT_UPDATES,
        ),
        watch_knowledge=_flag(env, "WATCH_KNOWLEDGE", True),
        semantic=_flag(env, "SEMANTIC", True),
        log_level=(env.get("LOG_LEVEL", "").strip() or "INFO").upper(),
        database_url=_database_url(env),
        metrics_port=_int(env, "METRICS_PORT", 0, minimum=1, maximum=65535)
        if env.get("METRICS_PORT", "").strip()
        else None,
        metrics_listen=env.get("METRICS_LISTEN", "").strip() or "127.0.0.1",
    )


def _database_url(env: Mapping[str, str]) -> str | None:
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        return None
    if not url.startswith(("postgresql://", "postgres://")):
        # Not echoed back: the URL may carry a password.
        raise ConfigError("DATABASE_URL must be a postgresql:// URL (leave it empty for SQLite)")
    return url
