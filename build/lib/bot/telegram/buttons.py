"""Button presses: suggestions, related questions, topic browsing, feedback. Data is untrusted."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.telegram.keyboards import parse_callback, topic_keyboard, topics_keyboard, without_feedback
from bot.telegram.replies import send_reply
from bot.telegram.state import get_state
from bot.telegram.texts import STALE_BUTTON

log = logging.getLogger(__name__)
THANKS = "Thanks for the feedback!"


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    state = get_state(context)
    knowledge = state.engine.knowledge
    callback = parse_callback(query.data)
    message = query.message if query.message is not None and query.message.is_accessible else None
    if callback is None or message is None:
        await query.answer()  # malformed, forged or too old: stop the spinner, do nothing
        return
    if callback.action == "entry":
        reply = state.engine.reply_for_id(callback.entry_id or "")
        await query.answer()
        if reply is None:
            await message.reply_text(STALE_BUTTON, reply_markup=topics_keyboard(knowledge))
            return
        await send_reply(message, reply, state)
    elif callback.action == "topics":
        await query.answer()
        await _edit(query, "Browse by topic:", topics_keyboard(knowledge))
    elif callback.action == "topic":
        await query.answer()
        topics = knowledge.topics
        if callback.topic is None or callback.topic >= len(topics):
            await _edit(query, STALE_BUTTON, topics_keyboard(knowledge))
            return
        topic = topics[callback.topic]
        await _edit(query, f"{topic}:", topic_keyboard(knowledge, topic))
    elif callback.action == "vote":
        entry_id = callback.entry_id or ""
        counted = entry_id in knowledge.entry_by_id and state.first_vote(
            message.chat_id, message.message_id
        )
        if counted and state.store is not None:
            state.store.count_vote(entry_id, bool(callback.helpful))
        await query.answer(THANKS)
        if counted:
            try:
                await query.edit_message_reply_markup(without_feedback(message.reply_markup))
            except BadRequest as error:  # message too old or unchanged: the vote still counted
                log.info("could not remove vote buttons: %s", error)


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup) -> None:
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise
