"""Ranking FAQ entries against a question: term weighting first, fuzzy similarity second.

Why not plain rapidfuzz over every phrasing: WRatio and token_set_ratio saturate on questions
(a short phrasing inside a long unrelated question scores near 100), and scanning every phrasing
costs O(phrasings) per question. Instead an inverted index finds the phrasings that share a
(possibly misspelt) meaningful word with the question, weights words by rarity (IDF, so "nmda"
counts far more than "ketamine" and "what is" counts nothing), and only those candidates get a
character-level fuzzy comparison.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.knowledge import Entry
from bot.text import STOPWORDS, content_terms, is_negated, normalize

# How a score is put together (all on 0-1 before scaling to 0-100). Tuned on eval.yaml.
QUERY_COVERAGE_WEIGHT = 0.45  # how much of the question one phrasing explains
PHRASING_COVERAGE_WEIGHT = 0.25  # how much of that phrasing the question mentions
ENTRY_COVERAGE_WEIGHT = 0.25  # how much of the question the entry's phrasings explain together
FUZZY_WEIGHT = 0.05  # character-level similarity of the whole phrasing
FUZZY_CANDIDATES = 8  # entries that get the (slower) fuzzy comparison
# "Who is NOT a candidate" must not be answered by "am I a candidate". For a negated question,
# an entry none of whose phrasings negates scores at most NEGATION_CAP, under the answer bar
# (tests/test_negation.py holds it there): it can still be suggested, never answered. In an
# entry phrased both ways, a phrasing whose negation differs from the question's costs
# NEGATION_PENALTY (0-1), so the phrasing that agrees speaks for the entry.
NEGATION_PENALTY = 0.1
NEGATION_CAP = 55.0
# A question word no phrasing uses weighs this much, relative to the rarest phrasing word: a
# word the answers use is known to the FAQ's domain ("dissociation", "infusion"); a word the
# whole FAQ never uses ("flu", "melatonin") is most likely what the question is really about.
DOMAIN_TERM_SHARE = 0.6
# A question word that no phrasing holds but some answers do ("monoamine", "ventilation")
# counts for those entries at this share of a phrasing match (times how rare the word is among
# the answers): enough to lift an entry among the suggestions, never enough to answer on answer
# words alone. Only for such words: a word some phrasing holds has already found its entry, and
# a broad entry whose answer mentions it ("is it safe" names the bladder) must not outrank it.
ANSWER_SHARE = 0.7
FOREIGN_TERM_SHARE = 2.0
MIN_FUZZY_LENGTH = 5  # shorter words must match exactly (or as a prefix)
# A vocabulary word that holds the question's word whole, or the other way round, is often the
# same word with a prefix or suffix ("suitable" in "unsuitable", "prevent" in "prevention"),
# when they share this much (rapidfuzz ratio).
RELATIVE_CUTOFF = 80
MAX_TYPO_MATCHES = 3
COMMON_POSTINGS = 64  # a word in more phrasings than this (and COMMON_SHARE of them) is common
COMMON_SHARE = 0.02
# Question words are followed rarest first, and scoring costs time per phrasing hit. Once the
# next word would take the hits past HIT_BUDGET (a big FAQ, many mid-frequency words), it and
# the words after it only reach the entries already found; a question of common words only
# ("treatment take") starts from the HIT_BUDGET most specific phrasings of its least common
# word. The shipped FAQ never reaches it (bench/scale.py: rank p99 at 10,000 entries).
HIT_BUDGET = 250
STOPWORD_TYPO_CUTOFF = 75  # "waht", "hwo", "teh": misspelt filler words carry no meaning either
_STOPWORD_LIST = sorted(STOPWORDS)


@dataclass(frozen=True)
class Scored:
    """One entry's score for a question, with the phrasing that matched best."""

    entry: Entry
    score: float
    phrasing: str
    coverage: float = 1.0  # share (0-1) of the question's weighted words this entry explains


@dataclass(frozen=True)
class _Phrasing:
    entry_index: int
    text: str  # normalised content terms joined, for the fuzzy comparison
    weight: float  # sum of the IDF of its terms
    negated: bool  # "who should not take it" (see text.is_negated)


def typo_edits(term: str) -> int:
    """How many slips (a letter added, dropped, changed, or two swapped) a word may carry and
    still stand for a vocabulary word: none under 5 letters, where one slip makes another word
    ("dose", "nose"), one up to 7 letters, two from 8."""
    if len(term) < MIN_FUZZY_LENGTH:
        return 0
    return 1 if len(term) < 8 else 2


class Matcher:
    """Built once per knowledge; `rank` is then cheap and read-only (safe to share)."""

    def __init__(self, entries: Sequence[Entry], synonyms: Mapping[str, str] | None = None) -> None:
        self.entries: tuple[Entry, ...] = tuple(entries)
        self._synonyms: Mapping[str, str] = synonyms or {}
        # (entry index, phrasing as written, negated, content terms after synonyms)
        raw: list[tuple[int, str, bool, list[str]]] = []
        entry_terms: list[set[str]] = [set() for _ in self.entries]
        # Typos are looked up among the words as written (stemmed, before synonyms), so that
        # "adictive" finds "addictive" and through it the group "addiction" stands for.
        spelled: dict[str, str] = {}
        for index, entry in enumerate(self.entries):
            for phrasing in entry.phrasings:
                normalized = normalize(phrasing)
                written = content_terms(normalized)
                terms = [self._synonyms.get(term, term) for term in written]
                spelled.update(zip(written, terms, strict=True))
                raw.append((index, phrasing, is_negated(normalized), terms))
                entry_terms[index].update(terms)
        document_frequency: dict[str, int] = defaultdict(int)
        for entry_set in entry_terms:
            for term in entry_set:
                document_frequency[term] += 1
        count = max(len(self.entries), 1)
        self._idf: dict[str, float] = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }
        rarest = math.log(1 + (count + 0.5) / 0.5)
        self._domain_weight = DOMAIN_TERM_SHARE * rarest
        self._foreign_weight = FOREIGN_TERM_SHARE * rarest
        answer_terms = [set(self._terms(normalize(entry.answer))) for entry in self.entries]
        self._domain_words = frozenset(
            term
            for entry, in_answer in zip(self.entries, answer_terms, strict=True)
            for terms in (
                in_answer,
                self._terms(normalize(entry.note or "")),
                self._terms(normalize(entry.topic)),
            )
            for term in terms
        )
        # The answer as a low-weight field, for the words no phrasing holds: word -> the
        # entries whose answer holds it, and how rare the word is among the answers (0-1).
        answer_postings: dict[str, list[int]] = defaultdict(list)
        answer_frequency: dict[str, int] = defaultdict(int)
        for index, in_answer in enumerate(answer_terms):
            for term in in_answer:
                answer_frequency[term] += 1
                if term not in self._idf:
                    answer_postings[term].append(index)
        self._answer_postings: dict[str, list[int]] = dict(answer_postings)
        self._answer_words: list[str] = list(self._answer_postings)
        self._answer_rarity: dict[str, float] = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5)) / rarest
            for term, df in answer_frequency.items()
        }
        self._vocabulary: list[str] = sorted(self._idf)
        self._vocabulary_set = frozenset(self._vocabulary)
        spelled.update(
            (word, group) for word, group in self._synonyms.items() if group in self._idf
        )
        self._spellings: list[str] = list(spelled)
        self._spelling_terms: list[str] = list(spelled.values())
        self._phrasings: list[_Phrasing] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        for position, (entry_index, _original, negated, terms) in enumerate(raw):
            distinct = frozenset(terms)
            self._phrasings.append(
                _Phrasing(
                    entry_index=entry_index,
                    text=" ".join(terms),
                    weight=sum(self._idf[term] for term in distinct) or 1.0,
                    negated=negated,
                )
            )
            for term in distinct:
                self._postings[term].append(position)
        self._originals = [original for _, original, _, _ in raw]
        self._entry_of = [entry_index for entry_index, _, _, _ in raw]
        weights_at = [phrasing.weight for phrasing in self._phrasings]
        self._specific_first: dict[str, list[int]] = {
            term: sorted(positions, key=weights_at.__getitem__)[:HIT_BUDGET]
            for term, positions in self._postings.items()
            if len(positions) > HIT_BUDGET
        }
        polarities: list[set[bool]] = [set() for _ in self.entries]
        for built in self._phrasings:
            polarities[built.entry_index].add(built.negated)
        self._negated_entries = [True in found for found in polarities]
        self._index_of = {entry.id: index for index, entry in enumerate(self.entries)}
        self._phrased_both_ways = [len(found) == 2 for found in polarities]
        self._first_phrasing: list[int] = []
        for position, built in enumerate(self._phrasings):
            if built.entry_index == len(self._first_phrasing):
                self._first_phrasing.append(position)

    def phrases_negation(self, entry_id: str) -> bool:
        """Whether any phrasing of the entry asks with a "not" ("who should not take it")."""
        index = self._index_of.get(entry_id)
        return index is not None and self._negated_entries[index]

    def _terms(self, normalized: str) -> list[str]:
        """Content terms, each synonym replaced by its group's first word."""
        return [self._synonyms.get(term, term) for term in content_terms(normalized)]

    @property
    def phrasing_count(self) -> int:
        return len(self._phrasings)

    def _term_matches(self, term: str) -> list[tuple[str, float]]:
        """Vocabulary words this query word may stand for, with a similarity 0-1."""
        if term in self._vocabulary_set:
            return [(term, 1.0)]
        matches: list[tuple[str, float]] = []
        edits = typo_edits(term)
        if edits:
            best: dict[str, float] = {}
            for spelling, distance, index in process.extract(
                term,
                self._spellings,
                scorer=OSA.distance,
                score_cutoff=edits,
                limit=MAX_TYPO_MATCHES * 2,
            ):
                word = self._spelling_terms[index]
                similarity = 1 - distance / max(len(term), len(spelling))
                best[word] = max(best.get(word, 0.0), similarity)
            for word, score, _ in process.extract(
                term,
                self._vocabulary,
                scorer=fuzz.ratio,
                score_cutoff=RELATIVE_CUTOFF,
                limit=MAX_TYPO_MATCHES,
            ):
                if term in word or word in term:
                    best[word] = max(best.get(word, 0.0), score / 100)
            matches = sorted(best.items(), key=lambda item: -item[1])[:MAX_TYPO_MATCHES]
        if not matches and len(term) >= 4:
            # A cut-off word ("spravat", "esket") still names what the user means. The
            # vocabulary is sorted, so the words it starts are one run from bisect on.
            start = bisect.bisect_left(self._vocabulary, term)
            for word in itertools.islice(self._vocabulary, start, None):
                if not word.startswith(term) or len(matches) == MAX_TYPO_MATCHES:
                    break
                if len(term) / len(word) >= 0.6:
                    matches.append((word, 0.85))
        return matches

    def _query_terms(self, normalized: str) -> list[str]:
        terms = [term for term in self._terms(normalized) if not self._is_misspelt_stopword(term)]
        # "es ketamine" or "spra vato": join neighbours that form a known word.
        joined: list[str] = []
        index = 0
        while index < len(terms):
            if (
                index + 1 < len(terms)
                and terms[index] not in self._vocabulary_set
                and terms[index] + terms[index + 1] in self._vocabulary_set
            ):
                pair = terms[index] + terms[index + 1]
                joined.append(self._synonyms.get(pair, pair))
                index += 2
            else:
                joined.append(terms[index])
                index += 1
        return list(dict.fromkeys(joined))

    def _unmatched_weight(self, term: str) -> float:
        return self._domain_weight if term in self._domain_words else self._foreign_weight

    def _answer_matches(self, term: str) -> list[tuple[str, float]]:
        """Answer-only words this query word may stand for (exactly or with a slip or two)."""
        if term in self._answer_postings:
            return [(term, 1.0)]
        edits = typo_edits(term)
        if not edits:
            return []
        return [
            (word, 1 - distance / max(len(term), len(word)))
            for word, distance, _ in process.extract(
                term,
                self._answer_words,
                scorer=OSA.distance,
                score_cutoff=edits,
                limit=MAX_TYPO_MATCHES,
            )
        ]

    def _answer_credit(
        self, query_terms: list[str], term_matches: list[list[tuple[str, float]]], common: float
    ) -> tuple[dict[int, dict[int, float]], list[bool]]:
        """Per entry, per query word no phrasing matched: the credit its answer earns (0-1)."""
        credit: dict[int, dict[int, float]] = defaultdict(dict)
        found = [False] * len(query_terms)
        for q, (term, matches) in enumerate(zip(query_terms, term_matches, strict=True)):
            if matches:
                continue
            for word, similarity in self._answer_matches(term):
                entries = self._answer_postings[word]
                if not entries or len(entries) > common:
                    continue  # in most answers: tells entries apart no better than nothing
                found[q] = found[q] or bool(entries)
                value = ANSWER_SHARE * similarity * self._answer_rarity[word]
                for entry_index in entries:
                    if credit[entry_index].get(q, 0.0) < value:
                        credit[entry_index][q] = value
        return credit, found

    def _is_misspelt_stopword(self, term: str) -> bool:
        if term in self._vocabulary_set or len(term) > 5:
            return False
        # "sourxes" is as near "your" as "sources": a slip of a word the FAQ uses wins.
        if self._term_matches(term):
            return False
        return (
            process.extractOne(
                term, _STOPWORD_LIST, scorer=fuzz.ratio, score_cutoff=STOPWORD_TYPO_CUTOFF
            )
            is not None
        )

    def rank(self, question: str, limit: int = 5) -> list[Scored]:
        """The best entries for `question`, highest score (0-100) first, one row per entry."""
        normalized = normalize(question)
        query_terms = self._query_terms(normalized)
        if not query_terms:
            return []
        negated = is_negated(normalized)
        term_matches = [self._term_matches(term) for term in query_terms]
        # A word in a large share of the phrasings ("ketamine" here, "treatment" in a big FAQ)
        # costs the most to follow and tells entries apart the least. When the question also
        # has rarer words, only the entries those rarer words found are followed further.
        common = max(COMMON_POSTINGS, COMMON_SHARE * len(self._phrasings))
        answer_credit, in_answers = self._answer_credit(query_terms, term_matches, common)
        weights = [
            max(
                (self._idf[word] for word, _ in matches),
                default=self._domain_weight if found else self._unmatched_weight(term),
            )
            for term, matches, found in zip(query_terms, term_matches, in_answers, strict=True)
        ]
        rare = [
            (q, m)
            for q, ms in enumerate(term_matches)
            for m in ms
            if len(self._postings[m[0]]) <= common
        ]
        frequent = [
            (q, m)
            for q, ms in enumerate(term_matches)
            for m in ms
            if len(self._postings[m[0]]) > common
        ]
        # phrasing position -> per query word: best similarity, and the IDF of the word matched
        hits: dict[int, dict[int, tuple[float, float]]] = defaultdict(dict)
        found: set[int] | None = None  # once set, words only reach these entries
        for item in sorted(rare, key=self._reach) + sorted(frequent, key=self._reach):
            positions = self._postings[item[1][0]]
            if not hits and not answer_credit:
                positions = self._specific_first.get(item[1][0], positions)
            elif found is None and (
                len(positions) > common or len(hits) + len(positions) > HIT_BUDGET
            ):
                found = {self._entry_of[position] for position in hits} | set(answer_credit)
            self._collect(item, positions, hits, found)
        if not hits and not answer_credit:
            return []
        total_weight = sum(weights)
        answer_cover = {
            entry_index: sum(weights[q] * value for q, value in credits.items()) / total_weight
            for entry_index, credits in answer_credit.items()
        }
        entry_best: dict[int, dict[int, float]] = defaultdict(dict)
        entry_positions: dict[int, list[int]] = defaultdict(list)
        phrasing_scores: dict[int, tuple[float, int]] = {}
        for position, matched in hits.items():
            phrasing = self._phrasings[position]
            entry_positions[phrasing.entry_index].append(position)
            best = entry_best[phrasing.entry_index]
            # One pass (this loop runs for every phrasing hit: the hottest code in rank).
            query_sum = phrasing_sum = 0.0
            for q, (sim, idf) in matched.items():
                query_sum += weights[q] * sim
                phrasing_sum += sim * idf
                if best.get(q, 0.0) < sim:
                    best[q] = sim
            credits = answer_credit.get(phrasing.entry_index)
            if credits:  # the answer fills in, at its low weight, words this phrasing lacks
                for q, value in credits.items():
                    known = matched.get(q)
                    if known is None or known[0] < value:
                        query_sum += weights[q] * (value - (known[0] if known else 0.0))
            query_cover = query_sum / total_weight
            phrasing_cover = min(1.0, phrasing_sum / phrasing.weight)
            partial = (
                QUERY_COVERAGE_WEIGHT * query_cover + PHRASING_COVERAGE_WEIGHT * phrasing_cover
            )
            if phrasing.negated is not negated and self._phrased_both_ways[phrasing.entry_index]:
                partial -= NEGATION_PENALTY
            current = phrasing_scores.get(phrasing.entry_index)
            if current is None or current[0] < partial:
                phrasing_scores[phrasing.entry_index] = (partial, position)
        for entry_index, cover in answer_cover.items():
            if entry_index not in phrasing_scores:  # found by its answer alone
                position = self._first_phrasing[entry_index]
                phrasing_scores[entry_index] = (QUERY_COVERAGE_WEIGHT * cover, position)
        preliminary: list[tuple[float, int, int, float]] = []
        for entry_index, (partial, position) in phrasing_scores.items():
            best = entry_best[entry_index]
            for q, value in answer_credit.get(entry_index, {}).items():
                if best.get(q, 0.0) < value:
                    best[q] = value
            entry_cover = sum(weights[q] * sim for q, sim in best.items()) / total_weight
            base = partial + ENTRY_COVERAGE_WEIGHT * entry_cover
            preliminary.append((base, entry_index, position, entry_cover))
        preliminary.sort(reverse=True)
        query_text = " ".join(query_terms)
        results: list[Scored] = []
        for base, entry_index, position, entry_cover in preliminary[: max(FUZZY_CANDIDATES, limit)]:
            fuzzy, best_position = self._fuzzy(query_text, entry_positions[entry_index], position)
            score = round(100 * (base + FUZZY_WEIGHT * fuzzy), 2)
            if negated and not self._negated_entries[entry_index]:
                score = min(score, NEGATION_CAP)
            phrasing_text = self._originals[best_position]
            results.append(
                Scored(self.entries[entry_index], score, phrasing_text, round(entry_cover, 4))
            )
        results.sort(key=lambda scored: scored.score, reverse=True)
        return results[:limit]

    def _reach(self, match: tuple[int, tuple[str, float]]) -> int:
        return len(self._postings[match[1][0]])

    def _collect(
        self,
        match: tuple[int, tuple[str, float]],
        positions: list[int],
        hits: dict[int, dict[int, tuple[float, float]]],
        entries: set[int] | None = None,
    ) -> None:
        """Record the phrasings (of `positions`) a matched word hits, only within `entries`."""
        q_index, (word, similarity) = match
        hit = (similarity, self._idf[word])
        entry_of = self._entry_of
        for position in positions:
            if entries is not None and entry_of[position] not in entries:
                continue
            seen = hits[position].get(q_index)
            if seen is None or seen[0] < similarity:
                hits[position][q_index] = hit

    def _fuzzy(self, query_text: str, positions: list[int], fallback: int) -> tuple[float, int]:
        """Best character-level similarity (0-1) among the entry's phrasings that were hit."""
        best, best_position = 0.0, fallback
        for position in positions:
            similarity = fuzz.token_sort_ratio(query_text, self._phrasings[position].text) / 100
            # Ties go to the earlier phrasing, whatever order the words found them in.
            if similarity > best or (similarity == best and position < best_position):
                best, best_position = similarity, position
        return best, best_position
