"""Groups and supergroups: answer /ask, a mention of the bot, or a reply to the bot; ignore chatter."""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.constants import MessageEntityType
from telegram.ext import ContextTypes

from bot.telegram.commands import answer_question
from bot.telegram.state import get_state


def addressed_question(message: Message, bot_id: int, bot_username: str) -> str | None:
    """The question when the message is meant for the bot, else None."""
    text = message.text or ""
    replied = message.reply_to_message
    is_reply = (
        replied is not None and replied.from_user is not None and replied.from_user.id == bot_id
    )
    mention = f"@{bot_username}".lower()
    mentioned = any(
        entity.type == MessageEntityType.MENTION and message.parse_entity(entity).lower() == mention
        for entity in message.entities
    ) or any(
        entity.type == MessageEntityType.TEXT_MENTION
        and entity.user is not None
        and entity.user.id == bot_id
        for entity in message.entities
    )
    if not (is_reply or mentioned):
        return None
    question = re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE)
    return " ".join(question.split())


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    if message is None:
        return
    question = addressed_question(message, context.bot.id, context.bot.username)
    if question is None:
        return  # ordinary chatter: never answered
    state = get_state(context)
    if not question:
        await message.reply_text(state.engine.knowledge.messages.help, do_quote=True)
        return
    await answer_question(message, question, state)
