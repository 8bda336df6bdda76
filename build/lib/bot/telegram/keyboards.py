"""Inline keyboards and their callback data. Callback data is untrusted: parse it strictly.

Data formats (all ASCII, at most 64 bytes):
  e:<entry-id>         show an entry's answer
  t                    list the topics
  t:<n>                list the questions of topic n
  v:<entry-id>:1|0     feedback on an answer: helpful / not helpful
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.knowledge import Knowledge
from bot.reply import Reply, ReplyKind, Suggestion

MAX_CALLBACK_BYTES = 64
MAX_BUTTON_TEXT = 60
_CALLBACK = re.compile(
    r"^(?:(e):([a-z0-9-]{1,60})|(t)(?::(\d{1,3}))?|(v):([a-z0-9-]{1,60}):([01]))$"
)


@dataclass(frozen=True)
class Callback:
    action: str  # "entry" | "topics" | "topic" | "vote"
    entry_id: str | None = None
    topic: int | None = None
    helpful: bool | None = None


def parse_callback(data: str | None) -> Callback | None:
    """The meaning of a button press, or None for anything malformed."""
    if not data or len(data.encode("utf-8", "surrogatepass")) > MAX_CALLBACK_BYTES:
        return None
    match = _CALLBACK.match(data)
    if match is None:
        return None
    entry_action, entry_id, topics, topic, vote, vote_id, helpful = match.groups()
    if entry_action:
        return Callback("entry", entry_id=entry_id)
    if topics:
        return Callback("topic", topic=int(topic)) if topic is not None else Callback("topics")
    if vote:
        return Callback("vote", entry_id=vote_id, helpful=helpful == "1")
    return None


def _data(value: str) -> str:
    if len(value.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {value!r}")
    return value


def _label(text: str) -> str:
    return text if len(text) <= MAX_BUTTON_TEXT else text[: MAX_BUTTON_TEXT - 1] + "…"


def entry_button(entry_id: str, question: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(_label(question), callback_data=_data(f"e:{entry_id}"))


def reply_keyboard(reply: Reply, *, feedback: bool) -> InlineKeyboardMarkup | None:
    """Suggestions as buttons; related questions (and, in private chats, feedback) under answers."""
    return _keyboard(reply.kind, reply.entry_id, reply.suggestions, reply.related, feedback)


# There are only as many distinct keyboards as answers and suggestion lists, so each is built
# once. Telegram objects are immutable once built: one instance can be sent any number of times.
@functools.lru_cache(maxsize=512)
def _keyboard(
    kind: ReplyKind,
    entry_id: str | None,
    suggestions: tuple[Suggestion, ...],
    related: tuple[Suggestion, ...],
    feedback: bool,
) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    if kind is ReplyKind.SUGGEST:
        rows = [[entry_button(s.entry_id, s.question)] for s in suggestions]
    elif kind is ReplyKind.ANSWER and entry_id:
        rows = [[entry_button(s.entry_id, s.question)] for s in related]
        if feedback:
            rows.append(feedback_row(entry_id))
    elif kind is ReplyKind.FALLBACK:
        rows = [[InlineKeyboardButton("Browse topics", callback_data="t")]]
    return InlineKeyboardMarkup(rows) if rows else None


def feedback_row(entry_id: str) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton("👍 Helpful", callback_data=_data(f"v:{entry_id}:1")),
        InlineKeyboardButton("👎 Not helpful", callback_data=_data(f"v:{entry_id}:0")),
    ]


def without_feedback(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The same keyboard minus the vote buttons (after a vote)."""
    if markup is None:
        return None
    rows = [
        list(row)
        for row in markup.inline_keyboard
        if not any(str(button.callback_data or "").startswith("v:") for button in row)
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def topics_keyboard(knowledge: Knowledge) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_label(topic), callback_data=f"t:{index}")]
            for index, topic in enumerate(knowledge.topics)
        ]
    )


def topic_keyboard(knowledge: Knowledge, topic: str) -> InlineKeyboardMarkup:
    rows = [[entry_button(entry.id, entry.question)] for entry in knowledge.entries_in(topic)]
    rows.append([InlineKeyboardButton("« All topics", callback_data="t")])
    return InlineKeyboardMarkup(rows)
