"""Question in, Reply out: safety screening, then matching, then the answer bars."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot import crisis_knn
from bot.knowledge import EVIDENCE_LABELS, Entry, Knowledge, Language
from bot.matching import Matcher, Scored
from bot.reply import Reply, ReplyKind, Suggestion
from bot.risk import Risk
from bot.safety import Screener, Screening
from bot.text import content_terms, is_negated, normalize

if TYPE_CHECKING:  # numpy and the model are optional: the engine only holds what it is given
    from bot.semantic import SemanticHit, SemanticIndex, SemanticModel

MAX_QUESTION_CHARS = 1000  # matching looks at this much; screening reads the whole message
NOTICE_QUOTE_CHARS = 120
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def find_question(text: str) -> tuple[str, bool]:
    """The part of a message to match, and whether that is only part of it. A long message
    (a story, then the question) is matched by its last sentence that asks something, or
    else by its last MAX_QUESTION_CHARS characters, cut at a word."""
    text = text.strip()
    if len(text) <= MAX_QUESTION_CHARS:
        return text, False
    sentences = [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]
    for sentence in reversed(sentences):
        if sentence.endswith("?") and len(sentence) <= MAX_QUESTION_CHARS:
            return sentence, True
    tail = text[-MAX_QUESTION_CHARS:]
    return (tail.split(None, 1)[-1] if " " in tail else tail), True


def partial_notice(question: str) -> str:
    quote = (
        question if len(question) <= NOTICE_QUOTE_CHARS else "…" + question[-NOTICE_QUOTE_CHARS:]
    )
    return f'Your message was long, so I answered only this part of it: "{quote}"'


@dataclass(frozen=True)
class Thresholds:
    """The answer bars, in one place. Tuned with `python -m bot eval` on knowledge/eval.yaml."""

    answer: float = 57.5  # the best entry is answered at or above this...
    margin: float = 2.0  # ...when it beats the runner-up by this much (near-ties are asked back),
    sure: float = 100.0  # or matches a phrasing exactly (validation keeps phrasings unambiguous)
    min_coverage: float = 0.5  # never answer when the entry explains less of the question than this
    suggest: float = 35.0  # below the answer bar but at or above this: "did you mean"
    suggestion_floor: float = 25.0  # further suggestions must score at least this
    max_suggestions: int = 3
    # The semantic tier (cosines of all-MiniLM-L6-v2), used only below the lexical bars above.
    # Below them every candidate of either tier gets a fused score, fusion_lexical_weight times
    # its lexical score (0-1) plus the rest times its cosine, so that the two tiers need not
    # pick the same first entry: one's second choice can win on the other's word. Chosen by
    # bench/semantic_cv.py: 5-fold cross-validation on knowledge/eval.yaml, the harder
    # bench/rephrased.yaml and the long questions of bench/chatty.yaml (tuned on four folds,
    # scored on the fifth: no more wrong answers than lexical-only, then the strictest values
    # within three right answers of the most, a wrong one costing four right ones). These are
    # the values the same tuning picks on all folds together (bench/RESULTS.md).
    fusion_lexical_weight: float = 0.2
    fusion_answer: float = 0.62  # the fused first choice is answered at or above this...
    fusion_margin: float = 0.0  # ...when it beats the fused second by this much,
    # ...and it explains fusion_coverage of the question's words (as min_coverage asks of a
    # lexical answer), or its cosine alone is this high: a covered topic plus a word the FAQ
    # never answers ("do clinics take walk-ins") must not be answered on the topic's word.
    fusion_coverage: float = 0.45
    fusion_cosine_alone: float = 0.85
    # ...and its cosine beats every other entry's by this much: a broad question ("is it a real
    # option") sits almost as near several entries, and the model's near-tie is asked back.
    fusion_cosine_lead: float = 0.0
    # ...or, short of those, all three rankings (lexical, semantic, fused) put the same entry
    # first, with a lexical score of at least agree_lexical, a cosine of at least agree_cosine
    # and a fused lead of agree_lead: a long question with words the FAQ never uses ("does my
    # medication regimen rule out infusions") explains too little of itself for min_coverage,
    # yet the two tiers, reading it differently, agree on what it asks. Chosen by the second
    # stage of bench/semantic_cv.py, on top of the fusion bars: the values it picks on all
    # folds together.
    agree_lexical: float = 45.0
    agree_cosine: float = 0.75
    agree_lead: float = 0.15
    semantic_suggest: float = 0.45  # the fused and the semantic first choices lead "did you mean"
    # How many semantic neighbours are fused with the lexical candidates.
    fusion_depth: int = 5

    def answer_bar(self, entry: Entry) -> float:
        """The score `entry` needs to be answered: the answer bar, or its own higher one."""
        return max(self.answer, entry.min_score or 0.0)


DEFAULT_THRESHOLDS = Thresholds()


class Engine:
    """Everything a front end needs, built once per knowledge and swapped whole on reload."""

    def __init__(
        self,
        knowledge: Knowledge,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        semantic: SemanticModel | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.thresholds = thresholds
        self.matcher = Matcher(knowledge.entries, knowledge.synonyms)
        self.screener = Screener(knowledge.safety, knowledge.languages)
        # "hi", "thank you", "who are you": phrasings made only of stopwords give the matcher
        # nothing to weigh, so they are looked up whole (validation keeps each in one entry).
        self.exact: dict[str, Entry] = {}
        for entry in knowledge.entries:
            for phrasing in entry.phrasings:
                key = normalize(phrasing)
                if key and not content_terms(key):
                    self.exact.setdefault(key, entry)
        # "ok then", "hello, how are you": a message of stopwords only that holds all the words
        # of such a phrasing gets its entry; the phrasing with the most words wins.
        self._exact_words = sorted(
            ((frozenset(key.split()), entry) for key, entry in self.exact.items()),
            key=lambda item: -len(item[0]),
        )
        # The model outlives the engine (a reload passes it on); the index is this knowledge's.
        self.semantic = semantic
        self.semantic_index: SemanticIndex | None = (
            semantic.index(knowledge.entries) if semantic is not None else None
        )
        # A second look at what the rules pass, with the same model (None: rules only).
        self.crisis_knn = crisis_knn.build(semantic, knowledge)

    def semantic_rank(
        self, question: str, limit: int = 5, also: Collection[str] = ()
    ) -> list[SemanticHit]:
        """Entries by cosine to the question (then the entries of `also` not among them);
        empty without the semantic tier, or for a message with no word in it (an empty line
        is near everything a little, and must get the fallback, not suggestions)."""
        if self.semantic_index is None or not normalize(question):
            return []
        return self.semantic_index.rank(question, limit=limit, also=also)

    def answer(self, text: str, language_code: str | None = None) -> Reply:
        """The reply to one message, exactly as every front end shows it. `language_code` is
        the user's Telegram language, used only when the words do not tell."""
        screening = self.screen(text, language_code)
        language = self.knowledge.languages.get(screening.language or "")
        if screening.risk is Risk.CRISIS:
            return self.crisis(about_other=screening.about_other, language=language)
        if screening.advice_entry is not None:
            # Dosing, buying, combining: never left to fuzzy matching.
            reply = self.entry_reply(self.knowledge.entry_by_id[screening.advice_entry])
        else:
            question, partial = find_question(text)
            if screening.risk is Risk.POSSIBLE:
                question = self.without_risk_sentences(question)
            exact = self.exact_match(question)
            if exact is not None:
                reply = self.entry_reply(exact, score=100.0)
            else:
                ranked = self.matcher.rank(question, limit=self.thresholds.max_suggestions + 1)
                reply = self.decide(
                    ranked,
                    lambda: self.semantic_rank(
                        question,
                        limit=self.thresholds.fusion_depth,
                        also=[scored.entry.id for scored in ranked],
                    ),
                    negated=is_negated(normalize(question)),
                )
            if partial:
                # Every front end shows it: the rest of the message was not read for matching.
                reply = replace(reply, notice=partial_notice(question))
        return self.with_screening(reply, screening, language)

    def screen(self, text: str, language_code: str | None = None) -> Screening:
        """The rules' verdict, raised from none to possible when an English message sits near
        the risk exemplars (bot/crisis_knn.py). The kNN never lowers a verdict, nor gives the
        crisis reply on its own."""
        screening = self.screener.screen(text, language_code)
        if (
            screening.risk is Risk.NONE
            and screening.language is None
            and self.crisis_knn is not None
            and self.crisis_knn.flags(text)
        ):
            return replace(screening, risk=Risk.POSSIBLE, family="knn")
        return screening

    def without_risk_sentences(self, text: str) -> str:
        """ "I'm so tired of all this. How fast does ketamine work?": the FAQ answers the
        question, so the sentences that told of risk (the line on top answers those) are left
        out of matching, unless nothing else is left."""
        sentences = [part for part in _SENTENCE_END.split(text) if part.strip()]
        if len(sentences) < 2:
            return text
        kept = [part for part in sentences if self.screener.screen(part).risk is Risk.NONE]
        return " ".join(kept) if kept else text

    def exact_match(self, text: str) -> Entry | None:
        """The entry for a message made only of stopwords ("hi", "ok then"), if one fits."""
        key = normalize(text)
        if not key or content_terms(key):
            return None
        if key in self.exact:
            return self.exact[key]
        words = set(key.split())
        return next((entry for needed, entry in self._exact_words if needed <= words), None)

    def with_screening(
        self, reply: Reply, screening: Screening, language: Language | None
    ) -> Reply:
        """A normal reply, with the line a "possible" verdict puts on top, and for a message in
        another language the line that says this bot answers in English."""
        lead: list[str] = []
        if screening.risk is Risk.POSSIBLE:
            line = language.texts["possible"] if language else self.knowledge.messages.possible_line
            lead.append(line or self.knowledge.messages.crisis_text)
        if language is not None:
            if reply.kind is ReplyKind.FALLBACK:
                # Nothing matched: the English fallback would say nothing to this reader.
                reply = replace(reply, body=language.texts["english_only"])
            else:
                lead.append(language.texts["english_only"])
        return replace(
            reply,
            risk=screening.risk,
            lead=tuple(lead),
            language=language.code if language else None,
        )

    def decide(
        self,
        ranked: list[Scored],
        semantic: Sequence[SemanticHit] | Callable[[], Sequence[SemanticHit]] = (),
        *,
        negated: bool = False,
    ) -> Reply:
        """Apply the bars to a ranking: answer, suggest or fall back.

        The lexical bars come first and alone decide what they answer (so the semantic tier can
        only add answers). Below them the two rankings are fused (see Thresholds): the fused
        first choice is answered when it is high and clear enough, otherwise it leads the
        suggestions. `semantic` may be a function giving the semantic ranking: it is then
        called only below the lexical bars (embedding a question is most of the tier's cost).
        """
        bars = self.thresholds
        if not ranked:
            return self._below_bars(None, semantic, negated)
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        answer_bar = bars.answer_bar(best.entry)
        clear_winner = best.score - runner_up >= bars.margin or best.score >= max(
            bars.sure, answer_bar
        )
        # An answer-level bar as well: "how much ibuprofen should I take" matches the dosing
        # entry's words well, but most of what it asks about is unknown to the FAQ.
        explained = best.coverage >= bars.min_coverage
        if best.score >= answer_bar and clear_winner and explained:
            return self.entry_reply(best.entry, score=best.score)
        return self._below_bars(ranked, semantic, negated)

    def _below_bars(
        self,
        ranked: list[Scored] | None,
        semantic: Sequence[SemanticHit] | Callable[[], Sequence[SemanticHit]],
        negated: bool = False,
    ) -> Reply:
        bars = self.thresholds
        if callable(semantic):
            semantic = semantic()
        best = ranked[0] if ranked else None
        fused = self.fuse(ranked or [], semantic)
        top = fused[0] if fused else None
        if top is not None:
            entry, strength, cosine, lexical = top
            lead = strength - (fused[1][1] if len(fused) > 1 else 0.0)
            # An entry with its own higher bar (min_score) is never answered on the model's
            # word, nor is a "not" question by an entry that is never phrased with a "not"
            # (embeddings hardly tell "who should" from "who should not").
            allowed = entry.min_score is None and (
                not negated or self.matcher.phrases_negation(entry.id)
            )
            explained = lexical is not None and lexical.coverage >= bars.fusion_coverage
            # A lexical best that clears the answer bar and explains the question, short only
            # of a clear lead, is a near-tie: the model may settle it, not pick a third entry
            # ("prescribed in britain": the UK or esketamine, never the EU).
            if (
                best is not None
                and best.score >= bars.answer_bar(best.entry)
                and best.coverage >= bars.min_coverage
            ):
                tied = {s.entry.id for s in ranked or [] if best.score - s.score < bars.margin}
                allowed = allowed and entry.id in tied
            nearest_other = max(
                (hit.cosine for hit in semantic if hit.entry.id != entry.id), default=-1.0
            )
            confident = (
                strength >= bars.fusion_answer
                and lead >= bars.fusion_margin
                and (explained or cosine >= bars.fusion_cosine_alone)
                and cosine - nearest_other >= bars.fusion_cosine_lead
            )
            agreed = (
                best is not None
                and best.entry.id == entry.id == semantic[0].entry.id
                and best.score >= bars.agree_lexical
                and cosine >= bars.agree_cosine
                and lead >= bars.agree_lead
            )
            if allowed and (confident or agreed):
                return self.entry_reply(entry, score=lexical.score if lexical else None)
        choices: list[Entry] = []
        # The fused first choice, then the model's own, lead the "did you mean" list.
        if top is not None and top[2] >= bars.semantic_suggest:
            choices.append(top[0])
        if semantic and semantic[0].cosine >= bars.semantic_suggest:
            choices.append(semantic[0].entry)
        if ranked and ranked[0].score >= bars.suggest:
            choices += [
                ranked[0].entry,
                *(s.entry for s in ranked[1:] if s.score >= bars.suggestion_floor),
            ]
        elif choices and ranked:
            choices += [s.entry for s in ranked if s.score >= bars.suggestion_floor]
        # An entry with its own higher answer bar has a suggestion bar raised as much: "thanks"
        # and "hello" match the filler of a long question, and are no "did you mean" for it.
        lexical_scores = {s.entry.id: s.score for s in ranked or []}
        choices = [
            entry
            for entry in choices
            if entry.min_score is None
            or lexical_scores.get(entry.id, 0.0)
            >= bars.answer_bar(entry) - (bars.answer - bars.suggest)
        ]
        unique = list(dict.fromkeys(choices))[: bars.max_suggestions]
        score = best.score if best is not None else None
        nearest = best.entry.id if best is not None else None
        if unique:
            return Reply(
                kind=ReplyKind.SUGGEST,
                body=self.knowledge.messages.suggest_intro,
                score=score,
                suggestions=tuple(Suggestion(entry.id, entry.question) for entry in unique),
                disclaimer=self.knowledge.messages.disclaimer_short,
                nearest_entry_id=nearest or unique[0].id,
            )
        return self.fallback(score=score, nearest_entry_id=nearest)

    def fuse(
        self, ranked: Sequence[Scored], semantic: Sequence[SemanticHit]
    ) -> list[tuple[Entry, float, float, Scored | None]]:
        """Every candidate of either tier with its fused score, best first: (entry, fused
        score, cosine, lexical row or None). Empty without semantic hits (no tier: no fusion).
        A lexical candidate the semantic ranking does not list counts a cosine of 0."""
        if not semantic:
            return []
        weight = self.thresholds.fusion_lexical_weight
        cosines = {hit.entry.id: hit.cosine for hit in semantic}
        lexical = {scored.entry.id: scored for scored in ranked}
        entries = {hit.entry.id: hit.entry for hit in semantic}
        entries.update((scored.entry.id, scored.entry) for scored in ranked)
        rows = []
        for key, entry in entries.items():
            row = lexical.get(key)
            cosine = cosines.get(key, 0.0)
            fused = weight * (row.score / 100 if row else 0.0) + (1 - weight) * cosine
            rows.append((entry, round(fused, 4), cosine, row))
        rows.sort(key=lambda item: -item[1])
        return rows

    def entry_reply(self, entry: Entry, score: float | None = None) -> Reply:
        """An entry's answer: used for matches, suggestion buttons and deep links."""
        knowledge = self.knowledge
        return Reply(
            kind=ReplyKind.ANSWER,
            body=entry.answer,
            entry_id=entry.id,
            score=score,
            title=entry.question,
            note=entry.note,
            evidence=EVIDENCE_LABELS.get(entry.evidence, entry.evidence),
            sources=tuple(knowledge.sources[key] for key in entry.sources),
            related=tuple(
                Suggestion(key, knowledge.entry_by_id[key].question) for key in entry.related
            ),
            disclaimer=knowledge.messages.disclaimer_short,
        )

    def reply_for_id(self, entry_id: str) -> Reply | None:
        """The answer for an entry id from a button or a link; None for an unknown id."""
        entry = self.knowledge.entry_by_id.get(entry_id)
        return self.entry_reply(entry) if entry is not None else None

    def fallback(self, score: float | None = None, nearest_entry_id: str | None = None) -> Reply:
        return Reply(
            kind=ReplyKind.FALLBACK,
            body=self.knowledge.messages.fallback,
            score=score,
            nearest_entry_id=nearest_entry_id,
        )

    def crisis(self, about_other: bool = False, language: Language | None = None) -> Reply:
        """The crisis reply: a few warm words, the helplines, then the closing. For someone
        worried about another person, the helpers' version: what to say and how to stay with
        them come after the helplines, so the numbers are seen first."""
        if language is not None:
            texts = language.texts
            return Reply(
                kind=ReplyKind.CRISIS,
                body=texts["helper"] if about_other else texts["crisis"],
                helplines=language.helplines,
                closing=None if about_other else texts["closing"],
                risk=Risk.CRISIS,
                language=language.code,
                about_other=about_other,
            )
        messages = self.knowledge.messages
        # The helpers' version when someone else is at risk and the texts have one.
        helper = about_other and bool(messages.crisis_helper)
        return Reply(
            kind=ReplyKind.CRISIS,
            body=messages.crisis_helper if helper else messages.crisis_text,
            helplines=messages.helplines,
            closing=(messages.crisis_helper_steps if helper else messages.crisis_closing) or None,
            risk=Risk.CRISIS,
            about_other=about_other,
        )
