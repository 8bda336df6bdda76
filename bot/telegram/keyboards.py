"""Inline keyboards and their callback data. Callback data is untrusted: parse it strictly.

Data formats (all ASCII, at most 64 bytes):
  e:<entry-id>         show an entry's answer
  t                    list the topics
  t:<n>                list the questions of topic n
  v:<entry-id>:1|0     feedback on an answer: helpful / not helpful
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation import Choice, ChoiceKind, Turn
from bot.reply import ReplyKind

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


def choice_data(choice: Choice) -> str:
    """The callback data of a choice's button (the console numbers the same choices)."""
    if choice.kind is ChoiceKind.ENTRY:
        return _data(f"e:{choice.entry_id}")
    if choice.kind is ChoiceKind.TOPIC:
        return f"t:{choice.topic}"
    return "t"


def callback_choice(callback: Callback) -> Choice | None:
    """A pressed button as the conversation's choice; votes are not choices."""
    if callback.action == "entry":
        return Choice(ChoiceKind.ENTRY, "", entry_id=callback.entry_id or "")
    if callback.action == "topic" and callback.topic is not None:
        return Choice(ChoiceKind.TOPIC, "", topic=callback.topic)
    if callback.action == "topics":
        return Choice(ChoiceKind.TOPICS, "")
    return None


def turn_keyboard(turn: Turn, *, feedback: bool) -> InlineKeyboardMarkup | None:
    """A turn's choices as buttons, one a row; under an answer (in private chats) the votes."""
    rows = [
        [InlineKeyboardButton(_label(choice.label), callback_data=choice_data(choice))]
        for choice in turn.choices
    ]
    reply = turn.reply
    if feedback and reply.kind is ReplyKind.ANSWER and reply.entry_id:
        rows.append(feedback_row(reply.entry_id))
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
