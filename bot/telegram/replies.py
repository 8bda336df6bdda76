"""The one way a turn reaches Telegram: render to HTML, add buttons, send, count, log."""

from __future__ import annotations

import logging

from telegram import Message, ReplyParameters
from telegram.constants import ChatType

from bot import render
from bot.conversation import Turn
from bot.reply import ReplyKind
from bot.risk import Risk
from bot.telegram.keyboards import turn_keyboard
from bot.telegram.state import BotState

log = logging.getLogger(__name__)
MESSAGE_LIMIT = 4000  # a long listing (/sources) is split on lines below Telegram's 4096


def record(state: BotState, turn: Turn) -> None:
    """Counts for /stats and the unanswered-questions queue; never who asked."""
    reply = turn.reply
    if reply.risk is not Risk.NONE:
        return  # a message that told of suicide or self-harm risk is never kept, not even counted
    try:
        if reply.kind is ReplyKind.ANSWER and reply.entry_id:
            state.store.count_answer(reply.entry_id)
        elif reply.kind in (ReplyKind.FALLBACK, ReplyKind.SUGGEST) and turn.question is not None:
            state.store.record_unanswered(turn.question)
    except Exception:  # storage trouble must never cost the user the answer
        log.exception("could not record a %s reply", reply.kind.value)


def chunks(lines: list[str], limit: int = render.TELEGRAM_LIMIT) -> list[str]:
    """Join lines into messages of at most `limit` characters, never splitting a line."""
    messages: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            messages.append(current)
            candidate = line
        current = candidate
    if current:
        messages.append(current)
    return messages


def html_messages(turn: Turn) -> list[str]:
    """An answer is shortened to one message (render.html); a listing is split on lines,
    which never cuts a tag (each source, title and paragraph is tagged within its line)."""
    if turn.reply.kind is not ReplyKind.MESSAGE:
        return [render.html(turn.reply)]
    full = render.html(turn.reply, limit=10**9)
    if len(full) <= render.TELEGRAM_LIMIT:
        return [full]
    return chunks(full.split("\n"), limit=MESSAGE_LIMIT)


async def send_turn(message: Message, turn: Turn, state: BotState) -> Message:
    """Answer `message` with `turn`. In groups the answer is threaded to the asking message.
    The buttons go with the last message of a split listing."""
    chat_type = message.chat.type
    private = chat_type == ChatType.PRIVATE
    texts = html_messages(turn)
    sent: Message | None = None
    for number, text in enumerate(texts, 1):
        sent = await message.get_bot().send_message(
            chat_id=message.chat_id,
            text=text,
            reply_markup=turn_keyboard(turn, feedback=private) if number == len(texts) else None,
            reply_parameters=None
            if private
            else ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True),
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )
    record(state, turn)
    state.metrics.replied(turn.reply.kind.value, message.chat_id, message.message_id)
    assert sent is not None  # html_messages never returns an empty list
    return sent
