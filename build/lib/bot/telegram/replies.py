"""The one way a Reply reaches Telegram: render to HTML, add buttons, send, count, log."""

from __future__ import annotations

import logging

from telegram import Message, ReplyParameters
from telegram.constants import ChatType

from bot import render
from bot.reply import Reply, ReplyKind
from bot.telegram.keyboards import reply_keyboard
from bot.telegram.state import BotState

log = logging.getLogger(__name__)


def record(state: BotState, reply: Reply, question: str | None, chat_type: str) -> None:
    """Counts for /stats and the unanswered-questions queue; never who asked."""
    if state.store is None:
        return
    try:
        if reply.kind is ReplyKind.ANSWER and reply.entry_id:
            state.store.count_answer(reply.entry_id)
        elif reply.kind in (ReplyKind.FALLBACK, ReplyKind.SUGGEST) and question is not None:
            state.store.record_unanswered(
                question, reply.kind.value, reply.score, reply.nearest_entry_id, chat_type
            )
    except Exception:  # storage trouble must never cost the user the answer
        log.exception("could not record a %s reply", reply.kind.value)


async def send_reply(
    message: Message, reply: Reply, state: BotState, *, question: str | None = None
) -> Message:
    """Answer `message` with `reply`. In groups the answer is threaded to the asking message.

    `question` is what the user typed, if they typed it (not for buttons and links): only
    typed questions can join the unanswered-questions queue."""
    chat_type = message.chat.type
    private = chat_type == ChatType.PRIVATE
    sent = await message.get_bot().send_message(
        chat_id=message.chat_id,
        text=render.html(reply),
        reply_markup=reply_keyboard(reply, feedback=private),
        reply_parameters=None
        if private
        else ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True),
        message_thread_id=message.message_thread_id if message.is_topic_message else None,
    )
    record(state, reply, question, str(chat_type))
    return sent
