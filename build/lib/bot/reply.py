"""The reply model: plain data that every front end (console, CLI, Telegram) renders."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.knowledge import Helpline, Source


class ReplyKind(StrEnum):
    ANSWER = "answer"  # one entry, above the answer bar
    SUGGEST = "suggest"  # "did you mean": plausible entries, none sure enough
    FALLBACK = "fallback"  # the FAQ does not cover it
    CRISIS = "crisis"  # the message is about suicide or self-harm: helplines first


@dataclass(frozen=True)
class Suggestion:
    entry_id: str
    question: str


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    body: str  # the answer, the fallback text, the suggestion intro or the crisis text
    entry_id: str | None = None
    score: float | None = None  # 0-100; None when no matching was involved (crisis, rules, buttons)
    title: str | None = None  # the entry's question
    note: str | None = None  # where the article and the sources disagree
    evidence: str | None = None  # a readable evidence label
    sources: tuple[Source, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()  # "did you mean" choices
    related: tuple[Suggestion, ...] = ()  # further questions offered under an answer
    helplines: tuple[Helpline, ...] = ()
    closing: str | None = None  # the crisis reply's last words
    disclaimer: str | None = None
    nearest_entry_id: str | None = None  # the closest entry when the reply is not an answer
