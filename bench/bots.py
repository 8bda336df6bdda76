"""The bot processes the benchmarks measure: the real bot, and baselines.

    python bench/bots.py {bot,echo,rich} --base-url URL --token T --data-dir DIR [--limiter on]

- bot: the real bot, built by bot.telegram.app.build_application with production settings.
- echo: a minimal echo bot (one handler, replies with the same text). It imports nothing
  from `bot`, so its memory and start-up are python-telegram-bot's alone.
- rich: an echo bot that sends, for each question, exactly the message the real bot sends
  (HTML and buttons, computed before polling starts): the cost of the bigger messages
  without any of the bot's per-update work. For the throughput breakdown only.

All poll until SIGTERM exactly as `python -m bot run` does (run_polling, all update types).
BENCH_PROFILE=path runs the process under cProfile and writes the stats there.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

REPO = Path(__file__).resolve().parent.parent


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


def echo_application(base_url: str, token: str, limiter: bool) -> Application:
    # The same logging as the real bot: INFO, httpx's per-request lines off.
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level="INFO")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    builder = Application.builder().token(token).base_url(base_url)
    if limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return application


def rich_application(base_url: str, token: str, limiter: bool) -> Application:
    sys.path.insert(0, str(REPO))
    from bot import render
    from bot.conversation import Conversation
    from bot.engine import Engine
    from bot.knowledge import load_eval, load_knowledge
    from bot.telegram.keyboards import turn_keyboard

    engine = Engine(load_knowledge(REPO / "knowledge"))
    cases = load_eval(REPO / "knowledge" / "eval.yaml").cases
    replies: dict[str, tuple[str, InlineKeyboardMarkup | None]] = {}
    for case in cases:
        reply = engine.answer(case.question)
        turn = Conversation(engine).turn_for(reply)
        replies[case.question] = (render.html(reply), turn_keyboard(turn, feedback=True))

    async def send_prepared(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        text, markup = replies[update.message.text]
        await update.message.get_bot().send_message(
            chat_id=update.message.chat_id, text=text, reply_markup=markup
        )

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level="INFO")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    defaults = Defaults(
        parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    builder = Application.builder().token(token).base_url(base_url).defaults(defaults)
    if limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, send_prepared))
    return application


def bot_application(base_url: str, token: str, data_dir: str, limiter: bool) -> Application:
    sys.path.insert(0, str(REPO))
    from bot.config import load_settings
    from bot.telegram.app import build_application, configure_logging

    settings = load_settings(
        environ={
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE_URL": base_url,
            "DATA_DIR": data_dir,
            "KNOWLEDGE_DIR": str(REPO / "knowledge"),
            "LOG_LEVEL": "INFO",
        },
        dotenv=None,
    )
    configure_logging(settings)
    return build_application(settings, rate_limiter=limiter)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("bot", "echo", "rich"))
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--limiter", choices=("on", "off"), default="on")
    args = parser.parse_args()
    limiter = args.limiter == "on"
    profile_path = os.environ.get("BENCH_PROFILE")
    profiler = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    if args.kind == "bot":
        application = bot_application(args.base_url, args.token, args.data_dir, limiter)
    elif args.kind == "rich":
        application = rich_application(args.base_url, args.token, limiter)
    else:
        application = echo_application(args.base_url, args.token, limiter)
    application.run_polling(
        allowed_updates=Update.ALL_TYPES,
        stop_signals=(signal.SIGINT, signal.SIGTERM),
        bootstrap_retries=-1,
    )
    if profiler is not None and profile_path:
        profiler.disable()
        profiler.dump_stats(profile_path)


if __name__ == "__main__":
    main()
