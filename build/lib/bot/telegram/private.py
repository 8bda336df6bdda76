"""Private chats: any text is a question; other messages get one line of help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.replies import send_reply
from bot.telegram.state import get_state
from bot.telegram.texts import NON_TEXT, UNKNOWN_COMMAND


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Edited messages come here too: an edited question is answered again (private chats only).
    message = update.effective_message
    if message is None or not message.text:
        return
    state = get_state(context)
    await send_reply(message, state.engine.answer(message.text), state, question=message.text)


async def on_private_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None:
        await update.message.reply_text(NON_TEXT)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None:
        await update.message.reply_text(UNKNOWN_COMMAND)
