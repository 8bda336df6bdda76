"""The Telegram application: built once, handlers added in one place, run by polling or webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import semantic
from bot.config import Settings
from bot.engine import Engine
from bot.health import HEALTH_FILE, Health
from bot.knowledge import load_knowledge
from bot.metrics import Metrics, start_metrics
from bot.ratelimit import FloodGate, Verdict
from bot.risk import Risk
from bot.store import open_store
from bot.telegram import admin, buttons, commands, groups, inline, private
from bot.telegram.ordering import PerChatOrder
from bot.telegram.state import CONTEXT_TYPES, BotApplication, BotContext, BotState, get_state
from bot.telegram.texts import SLOW_DOWN
from bot.telegram.tracking import TrackedRequest
from bot.telegram.transport import PollingRequest, SendOnceRequest, quiet_duplicate_request_errors
from bot.telegram.webhook import serve_webhook

log = logging.getLogger(__name__)

COMMANDS = (
    BotCommand("ask", "Ask a question (also works in groups)"),
    BotCommand("topics", "Browse the questions by topic"),
    BotCommand("sources", "The studies and documents behind the answers"),
    BotCommand("disclaimer", "What this bot is and is not"),
    BotCommand("help", "How to use this bot"),
    BotCommand("start", "Welcome message"),
)
PRIVATE = filters.ChatType.PRIVATE
GROUPS = filters.ChatType.GROUPS


class RedactSecrets(logging.Filter):
    """Belt and braces: the token never reaches a log line, even inside a URL or an error."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in secrets if s)) if any(secrets) else None
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is not None:
            message = record.getMessage()
            if self._pattern.search(message):
                record.msg, record.args = self._pattern.sub("[redacted]", message), None
            if record.exc_info and record.exc_info[1] is not None:
                text = logging.Formatter().formatException(record.exc_info)
                if self._pattern.search(text):
                    record.msg = f"{record.getMessage()}\n{self._pattern.sub('[redacted]', text)}"
                    record.exc_info, record.exc_text = None, None
        return True


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=settings.log_level
    )
    redactor = RedactSecrets([settings.token or "", settings.webhook_secret or ""])
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    # httpx logs every request URL, and those URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # APScheduler (the JobQueue) logs every run of the knowledge watcher at INFO.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def api_base_urls(base_url: str) -> tuple[str, str]:
    """The Bot API prefix for methods and for files. Accepts ".../bot" or the bare server URL."""
    base = base_url.rstrip("/")
    if not base.endswith("/bot"):
        base += "/bot"
    return base, base[: -len("/bot")] + "/file/bot"


async def flood_guard(update: Update, context: BotContext) -> None:
    """Runs before every handler: one user flooding a private chat gets one note, then silence."""
    state = get_state(context)
    if update.effective_message is not None:  # answer latency is measured from here
        state.metrics.started(update.effective_message.chat_id, update.effective_message.message_id)
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE or update.inline_query:
        return
    verdict = state.user_gate.check(user.id)
    if verdict is Verdict.ALLOW:
        return
    text = update.effective_message.text if update.effective_message is not None else None
    if text and state.engine.screen(text).risk is not Risk.NONE:
        return  # safety first: neither risk tier (crisis, possible) is ever held back
    if (
        verdict is Verdict.WARN
        and update.effective_message is not None
        and update.callback_query is None
    ):
        await update.effective_message.reply_text(SLOW_DOWN)
    if update.callback_query is not None:
        with contextlib.suppress(Exception):
            await update.callback_query.answer(SLOW_DOWN)
    raise ApplicationHandlerStop


async def on_error(update: object, context: BotContext) -> None:
    """Log every failure and keep running. Update contents are not logged: they are health data."""
    kind = type(update).__name__
    if isinstance(update, Update):
        kind = f"update {update.update_id}"
    log.error("error while handling %s: %s", kind, context.error, exc_info=context.error)


def add_handlers(application: BotApplication, settings: Settings) -> None:
    application.add_handler(TypeHandler(Update, flood_guard), group=-1)
    admins = filters.User(user_id=sorted(settings.admin_user_ids)) & PRIVATE
    application.add_handler(CommandHandler("reload", admin.on_reload, filters=admins))
    application.add_handler(CommandHandler("stats", admin.on_stats, filters=admins))
    application.add_handler(CommandHandler("unanswered", admin.on_unanswered, filters=admins))
    # Private chats: every text, commands included, goes to the conversation (the console's
    # too). Edited questions are answered again; in groups edits are ignored.
    application.add_handler(
        MessageHandler(
            PRIVATE
            & filters.TEXT
            & (filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE),
            private.on_private_text,
        )
    )
    application.add_handler(
        MessageHandler(
            PRIVATE & filters.UpdateType.MESSAGE & ~filters.TEXT, private.on_private_other
        )
    )
    application.add_handler(
        CommandHandler(
            list(commands.GROUP_COMMANDS),
            commands.on_group_command,
            filters=GROUPS & filters.UpdateType.MESSAGE,
        )
    )
    application.add_handler(
        MessageHandler(
            GROUPS & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND,
            groups.on_group_text,
        )
    )
    application.add_handler(InlineQueryHandler(inline.on_inline_query))
    application.add_handler(CallbackQueryHandler(buttons.on_button))
    application.add_error_handler(on_error)


def build_application(
    settings: Settings,
    engine: Engine | None = None,
    *,
    rate_limiter: bool = True,
    metrics: Metrics | None = None,
) -> BotApplication:
    """The whole bot. Tests pass their own settings (base URL of a local fake Bot API)."""
    token = settings.require_token()
    engine = engine or Engine(
        load_knowledge(settings.knowledge_dir), semantic=semantic.from_settings(settings)
    )
    metrics = metrics or Metrics()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    health = Health(path=settings.data_dir / HEALTH_FILE)
    base_url, base_file_url = api_base_urls(settings.api_base_url)
    builder = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .context_types(CONTEXT_TYPES)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .request(TrackedRequest(SendOnceRequest(settings.concurrent_updates), health, metrics))
        .get_updates_request(
            TrackedRequest(PollingRequest(connection_pool_size=1), health, metrics)
        )
        .concurrent_updates(PerChatOrder(settings.concurrent_updates))
    )
    quiet_duplicate_request_errors()
    if settings.webhook_url:
        builder = builder.updater(None)  # bot/telegram/webhook.py serves the updates
    application: BotApplication
    if rate_limiter:
        # Telegram's limits (30 msg/s, 20 msg/min per group), and retries where a 429 says when;
        # connections that could not be opened are retried by SendOnceRequest.
        application = builder.rate_limiter(AIORateLimiter(max_retries=3)).build()
    else:
        application = builder.build()
    application.bot_data.state = BotState(
        settings=settings,
        engine=engine,
        store=open_store(
            settings.data_dir,
            settings.question_log_days,
            settings.question_log,
            settings.database_url,
        ),
        group_gate=FloodGate(settings.group_answers_per_minute, 60.0),
        user_gate=FloodGate(settings.user_messages_per_minute, 60.0),
        health=health,
        metrics=metrics,
    )
    health.knowledge_loaded(len(engine.knowledge.entries))
    metrics.entries(len(engine.knowledge.entries))
    add_handlers(application, settings)
    return application


async def _post_init(application: BotApplication) -> None:
    state = application.bot_data.state
    try:
        await application.bot.set_my_commands(list(COMMANDS))
    except Exception as error:  # commands are a convenience: never a reason not to start
        log.warning("could not register commands: %s", type(error).__name__)
    await admin.start_jobs(application, state)
    log.info(
        "bot @%s started with %d entries",
        application.bot.username,
        len(state.engine.knowledge.entries),
    )


async def _post_shutdown(application: BotApplication) -> None:
    application.bot_data.state.store.close()


def run_bot(settings: Settings) -> int:
    """Polling by default, webhook when WEBHOOK_URL is set. SIGINT/SIGTERM stop it with exit 0."""
    configure_logging(settings)
    application = build_application(settings, metrics=start_metrics(settings))
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    if settings.webhook_url:
        asyncio.run(serve_webhook(application, settings, stop_signals))
    else:
        application.run_polling(
            allowed_updates=Update.ALL_TYPES, stop_signals=stop_signals, bootstrap_retries=-1
        )
    return 0
