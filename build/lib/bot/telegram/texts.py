"""Fixed Telegram texts built from messages.yaml and the settings (HTML, escaped)."""

from __future__ import annotations

from html import escape

from bot.config import Settings
from bot.engine import Engine

EXAMPLE_QUESTIONS = (
    "What is esketamine?",
    "How fast does ketamine work?",
    "Is ketamine addictive?",
)
NON_TEXT = "I can only read text: please type your question about ketamine research."
SLOW_DOWN = (
    "You're sending messages faster than I can answer well. Please wait a minute, then ask again."
)
GROUP_SLOW_DOWN = "I'm answering a lot here right now, so I'll pause for a minute. You can also ask me in a private chat."
UNKNOWN_COMMAND = "I don't know that command. Try /help, or just type your question."
ASK_USAGE = "Put your question after the command, for example: /ask how fast does ketamine work"
STALE_BUTTON = "That button is out of date. Here are the current topics:"


def privacy_note(settings: Settings) -> str:
    if not settings.question_log:
        return "Privacy: I keep no record of your questions."
    return (
        f"Privacy: questions I cannot answer are kept for {settings.question_log_days} days, "
        "without your name, username or any Telegram id, so that maintainers can improve the FAQ. "
        "Nothing else you send is stored."
    )


def start_text(engine: Engine, settings: Settings) -> str:
    messages = engine.knowledge.messages
    examples = "\n".join(f"• {escape(q)}" for q in EXAMPLE_QUESTIONS)
    return (
        f"{escape(messages.welcome)}\n\n"
        f"<b>Try asking:</b>\n{examples}\n\n"
        f"Browse everything with /topics; /sources lists the studies.\n\n"
        f"<i>{escape(messages.disclaimer_full)}</i>\n\n"
        f"{escape(privacy_note(settings))}"
    )
