"""Inline mode: "@bot question" in any chat offers answers to send there."""

from __future__ import annotations

from dataclasses import replace

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode

from bot import render
from bot.conversation import Conversation
from bot.engine import Engine
from bot.reply import Reply, ReplyKind
from bot.risk import Risk
from bot.telegram.state import BotContext

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
        input_message_content=InputTextMessageContent(html, parse_mode=ParseMode.HTML),
    )


def inline_results(
    engine: Engine, query: str, language_code: str | None = None
) -> list[InlineQueryResultArticle]:
    """Topics for an empty query; crisis help first for a crisis query; else the answers the
    engine found, from the one ranking it made: the answer and its related questions, or the
    "did you mean" entries."""
    knowledge = engine.knowledge
    query = query.strip()
    if not query:
        conversation = Conversation(engine)
        results = []
        for index, topic in enumerate(knowledge.topics):
            # The topic's questions, rendered (escaped, within Telegram's limit) by render.
            turn = conversation.topic(index)
            questions = [choice.label for choice in turn.choices if choice.entry_id]
            listing = render.html(
                Reply(
                    kind=ReplyKind.MESSAGE, body="\n".join(f"• {q}" for q in questions), title=topic
                )
            )
            results.append(
                _article(f"topic-{index}", topic, _first_line("; ".join(questions)), listing)
            )
        return results[:50]
    reply = engine.answer(query, language_code)
    if reply.kind is ReplyKind.CRISIS:
        return [
            _article(
                "crisis",
                "Need to talk to someone now? Helplines",
                _first_line(reply.body),
                render.html(reply),
            )
        ]
    if reply.kind is ReplyKind.ANSWER and reply.entry_id:
        ids = [reply.entry_id, *(s.entry_id for s in reply.related)]
    else:
        ids = [s.entry_id for s in reply.suggestions]
    entries = [knowledge.entry_by_id[i] for i in dict.fromkeys(ids) if i in knowledge.entry_by_id]
    # "Possible" risk: the helpline line first, as its own result and on top of every answer.
    lead = reply.lead if reply.risk is Risk.POSSIBLE else ()
    first: list[InlineQueryResultArticle] = []
    if lead:
        first.append(
            _article(
                "possible", "Need to talk to someone now?", _first_line(lead[0]), render.html(reply)
            )
        )
    return [
        *first,
        *(
            _article(
                entry.id,
                entry.question,
                _first_line(entry.answer),
                render.html(replace(engine.entry_reply(entry), lead=lead, risk=reply.risk)),
            )
            for entry in entries[: MAX_RESULTS - len(first)]
        ),
    ]


async def on_inline_query(update: Update, context: BotContext) -> None:
    query = update.inline_query
    if query is None:
        return
    results = inline_results(context.state.engine, query.query, query.from_user.language_code)
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=False)
