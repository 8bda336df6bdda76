"""Groups: /start, /help, /ask, /topics, /sources, /disclaimer (private chats send every command
to the conversation through private.py); and the group flood gate for answers."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType

from bot.conversation import Turn
from bot.ratelimit import Verdict
from bot.risk import Risk
from bot.telegram.replies import send_turn
from bot.telegram.state import BotContext, BotState
from bot.telegram.texts import GROUP_SLOW_DOWN

GROUP_COMMANDS = ("start", "help", "ask", "topics", "sources", "disclaimer")


async def group_allows(message: Message, state: BotState) -> bool:
    """Per-chat flood control in groups: past the limit one note, then silence."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    verdict = state.group_gate.check(message.chat_id)
    if verdict is Verdict.WARN:
        await message.reply_text(GROUP_SLOW_DOWN, do_quote=True)
    return verdict is Verdict.ALLOW


async def send_group_turn(message: Message, turn: Turn, state: BotState) -> None:
    """Answers to questions pass the flood gate; neither risk tier (crisis, possible) is ever
    held back."""
    gated = turn.question is not None and turn.reply.risk is Risk.NONE
    if gated and not await group_allows(message, state):
        return
    await send_turn(message, turn, state)


async def answer_question(message: Message, question: str, state: BotState) -> None:
    """Mentions and replies to the bot in groups."""
    user = message.from_user
    turn = state.conversation().ask(question, user.language_code if user else None)
    await send_group_turn(message, turn, state)


async def on_group_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    state = context.state
    # Groups keep no pending choices: numbers typed there are not meant for the bot.
    await send_group_turn(message, state.conversation().command(message.text), state)
