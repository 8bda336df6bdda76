"""Button presses: the conversation's choices (entries, topics) and feedback. Data is untrusted."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest

from bot.conversation import ChoiceKind, Turn
from bot.telegram.keyboards import callback_choice, parse_callback, turn_keyboard, without_feedback
from bot.telegram.replies import html_messages, send_turn
from bot.telegram.state import BotContext, BotState

log = logging.getLogger(__name__)
THANKS = "Thanks for the feedback!"


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    state = context.state
    callback = parse_callback(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if callback is None or message is None:
        await query.answer()  # malformed, forged or too old: stop the spinner, do nothing
        return
    if callback.action == "vote":
        await _vote(query, message, state, callback.entry_id or "", bool(callback.helpful))
        return
    choice = callback_choice(callback)
    if choice is None:
        await query.answer()
        return
    await query.answer()
    turn = state.conversation().open(choice)
    state.pending.set(message.chat_id, turn.choices)  # a number typed next opens these
    if choice.kind is ChoiceKind.ENTRY:
        await send_turn(message, turn, state)  # an answer (or, if stale, the topics) below
    else:
        await _edit(query, turn)  # browsing topics changes the menu in place


async def _vote(
    query: CallbackQuery, message: Message, state: BotState, entry_id: str, helpful: bool
) -> None:
    # A second press, here or on another replica, is refused: in memory first, then by the
    # store, which all replicas share.
    counted = entry_id in state.engine.knowledge.entry_by_id and state.first_vote(
        message.chat_id, message.message_id
    )
    if counted:
        key = state.vote_key(message.chat_id, message.message_id)
        counted = state.store.count_vote(entry_id, helpful, vote_key=key)
    await query.answer(THANKS)
    if counted:
        try:
            await query.edit_message_reply_markup(without_feedback(message.reply_markup))
        except BadRequest as error:  # message too old or unchanged: the vote still counted
            log.info("could not remove vote buttons: %s", error)


async def _edit(query: CallbackQuery, turn: Turn) -> None:
    try:
        await query.edit_message_text(
            html_messages(turn)[0], reply_markup=turn_keyboard(turn, feedback=False)
        )
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise
