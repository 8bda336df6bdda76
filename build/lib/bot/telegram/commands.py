"""/start (with deep links), /help, /ask, /topics, /sources, /disclaimer."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import render
from bot.ratelimit import Verdict
from bot.reply import ReplyKind
from bot.telegram.keyboards import topics_keyboard
from bot.telegram.replies import send_reply
from bot.telegram.state import BotState, get_state
from bot.telegram.texts import ASK_USAGE, GROUP_SLOW_DOWN, start_text


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    state = get_state(context)
    payload = context.args[0] if context.args else ""
    reply = state.engine.reply_for_id(payload) if payload else None
    if reply is not None:  # a t.me/<bot>?start=<entry-id> link opens that answer
        await send_reply(message, reply, state)
        return
    await message.reply_html(start_text(state.engine, state.settings))


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(get_state(context).engine.knowledge.messages.help)


async def on_disclaimer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(
            get_state(context).engine.knowledge.messages.disclaimer_full
        )


async def on_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        knowledge = get_state(context).engine.knowledge
        await update.effective_message.reply_text(
            "Browse by topic:", reply_markup=topics_keyboard(knowledge)
        )


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


async def on_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    sources = get_state(context).engine.knowledge.sources.values()
    lines = [
        "<b>Sources this FAQ cites</b>",
        *(f"• {render.source_html(source)}" for source in sources),
    ]
    for text in chunks(lines):
        await message.reply_html(text)


async def group_allows(message: Message, state: BotState) -> bool:
    """Per-chat flood control in groups: past the limit one note, then silence."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    verdict = state.group_gate.check(message.chat_id)
    if verdict is Verdict.WARN:
        await message.reply_text(GROUP_SLOW_DOWN, do_quote=True)
    return verdict is Verdict.ALLOW


async def answer_question(message: Message, question: str, state: BotState) -> None:
    """Shared by /ask, mentions and replies: the engine, the flood gate, the reply."""
    reply = state.engine.answer(question)
    # Safety first: crisis helplines are never held back by flood control.
    if reply.kind is not ReplyKind.CRISIS and not await group_allows(message, state):
        return
    await send_reply(message, reply, state, question=question)


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    question = " ".join(context.args or []).strip()
    if not question:
        await message.reply_text(ASK_USAGE, do_quote=message.chat.type != ChatType.PRIVATE)
        return
    await answer_question(message, question, get_state(context))
