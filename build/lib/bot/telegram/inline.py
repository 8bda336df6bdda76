"""Inline mode: "@bot question" in any chat offers answers to send there."""

from __future__ import annotations

from html import escape

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.ext import ContextTypes

from bot import render
from bot.engine import Engine
from bot.reply import ReplyKind
from bot.telegram.state import get_state

MAX_RESULTS = 10
CACHE_SECONDS = 60  # short, so that a knowledge reload shows up quickly
DESCRIPTION_CHARS = 120


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= DESCRIPTION_CHARS else line[: DESCRIPTION_CHARS - 1] + "…"


def _article(result_id: str, title: str, description: str, html: str) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=result_id,
        title=title,
        description=description,
        input_message_content=InputTextMessageContent(html, parse_mode="HTML"),
    )


def inline_results(engine: Engine, query: str) -> list[InlineQueryResultArticle]:
    """Topics for an empty query; crisis help first for a crisis query; else the best answers."""
    knowledge = engine.knowledge
    query = query.strip()
    if not query:
        results = []
        for index, topic in enumerate(knowledge.topics):
            questions = [entry.question for entry in knowledge.entries_in(topic)]
            listing = "\n".join(f"• {escape(q, quote=False)}" for q in questions)
            html = f"<b>{escape(topic, quote=False)}</b>\n{listing}"
            results.append(
                _article(f"topic-{index}", topic, _first_line("; ".join(questions)), html[:4096])
            )
        return results[:50]
    reply = engine.answer(query)
    if reply.kind is ReplyKind.CRISIS:
        return [
            _article(
                "crisis",
                "Need to talk to someone now? Helplines",
                _first_line(reply.body),
                render.html(reply),
            )
        ]
    entries = [
        s.entry
        for s in engine.matcher.rank(query, limit=MAX_RESULTS)
        if s.score >= engine.thresholds.suggestion_floor
    ]
    if reply.kind is ReplyKind.ANSWER and reply.entry_id:
        # A safety rule may route to an entry the ranking would not put first.
        entries = [
            knowledge.entry_by_id[reply.entry_id],
            *(e for e in entries if e.id != reply.entry_id),
        ]
    return [
        _article(
            entry.id,
            entry.question,
            _first_line(entry.answer),
            render.html(engine.entry_reply(entry)),
        )
        for entry in entries[:MAX_RESULTS]
    ]


async def on_inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.inline_query
    if query is None:
        return
    results = inline_results(get_state(context).engine, query.query)
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=False)
