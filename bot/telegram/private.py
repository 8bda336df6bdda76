"""Private chats: the conversation (questions, numbers, commands); other messages get one line."""

from __future__ import annotations

from telegram import Update

from bot.telegram.replies import send_turn
from bot.telegram.state import BotContext
from bot.telegram.texts import NON_TEXT


async def on_private_text(update: Update, context: BotContext) -> None:
    # Edited messages come here too: an edited question is answered again (private chats only).
    message = update.effective_message
    if message is None or not message.text:
        return
    state = context.state
    chat = message.chat_id
    user = message.from_user
    turn, pending = state.conversation().respond(
        state.pending.get(chat), message.text, user.language_code if user else None
    )
    state.pending.set(chat, pending)
    await send_turn(message, turn, state)


async def on_private_other(update: Update, context: BotContext) -> None:
    if update.message is not None:
        await update.message.reply_text(NON_TEXT)
