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

from bot.knowledge import Entry
from bot.text import STOPWORDS, content_terms, normalize

# How a score is put together (all on 0-1 before scaling to 0-100). Tuned on eval.yaml.
QUERY_COVERAGE_WEIGHT = 0.45  # how much of the question one phrasing explains
PHRASING_COVERAGE_WEIGHT = 0.25  # how much of that phrasing the question mentions
ENTRY_COVERAGE_WEIGHT = 0.25  # how much of the question the entry's phrasings explain together
FUZZY_WEIGHT = 0.05  # character-level similarity of the whole phrasing
FUZZY_CANDIDATES = 8  # entries that get the (slower) fuzzy comparison
# A question word no phrasing uses weighs this much, relative to the rarest phrasing word: a
# word the answers use is known to the FAQ's domain ("dissociation", "infusion"); a word the
# whole FAQ never uses ("flu", "melatonin") is most likely what the question is really about.
DOMAIN_TERM_SHARE = 0.6
FOREIGN_TERM_SHARE = 2.0
MIN_FUZZY_LENGTH = 5  # shorter words must match exactly (or as a prefix)
TYPO_CUTOFF = 80  # rapidfuzz ratio for a misspelt word to count as the vocabulary word
MAX_TYPO_MATCHES = 3
COMMON_POSTINGS = 64  # a word in more phrasings than this (and COMMON_SHARE of them) is common
COMMON_SHARE = 0.02
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


class Matcher:
    """Built once per knowledge; `rank` is then cheap and read-only (safe to share)."""

    def __init__(self, entries: Sequence[Entry], synonyms: Mapping[str, str] | None = None) -> None:
        self.entries: tuple[Entry, ...] = tuple(entries)
        self._synonyms: Mapping[str, str] = synonyms or {}
        raw: list[tuple[int, str, list[str]]] = []
        entry_terms: list[set[str]] = [set() for _ in self.entries]
        for index, entry in enumerate(self.entries):
            for phrasing in entry.phrasings:
                terms = self._terms(normalize(phrasing))
                raw.append((index, phrasing, terms))
                entry_terms[index].update(terms)
        document_frequency: dict[str, int] = defaultdict(int)
        for terms in entry_terms:
            for term in terms:
                document_frequency[term] += 1
        count = max(len(self.entries), 1)
        self._idf: dict[str, float] = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5))
            for term, df in document_frequency.items()
        }
        rarest = math.log(1 + (count + 0.5) / 0.5)
        self._domain_weight = DOMAIN_TERM_SHARE * rarest
        self._foreign_weight = FOREIGN_TERM_SHARE * rarest
        self._domain_words = frozenset(
            term
            for entry in self.entries
            for text in (entry.answer, entry.note or "", entry.topic)
            for term in self._terms(normalize(text))
        )
        self._vocabulary: list[str] = sorted(self._idf)
        self._vocabulary_set = frozenset(self._vocabulary)
        self._phrasings: list[_Phrasing] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        for entry_index, _original, terms in raw:
            distinct = frozenset(terms)
            self._phrasings.append(
                _Phrasing(
                    entry_index=entry_index,
                    text=" ".join(terms),
                    weight=sum(self._idf[term] for term in distinct) or 1.0,
                )
            )
            position = len(self._phrasings) - 1
            for term in distinct:
                self._postings[term].append(position)
        self._originals = [original for _, original, _ in raw]

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
        if len(term) >= MIN_FUZZY_LENGTH:
            found = process.extract(
                term,
                self._vocabulary,
                scorer=fuzz.ratio,
                score_cutoff=TYPO_CUTOFF,
                limit=MAX_TYPO_MATCHES,
            )
            matches = [(word, score / 100) for word, score, _ in found]
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

    def _is_misspelt_stopword(self, term: str) -> bool:
        if term in self._vocabulary_set or len(term) > 5:
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
        term_matches = [self._term_matches(term) for term in query_terms]
        weights = [
            max((self._idf[word] for word, _ in matches), default=self._unmatched_weight(term))
            for term, matches in zip(query_terms, term_matches, strict=True)
        ]
        # A word in a large share of the phrasings ("ketamine" here, "treatment" in a big FAQ)
        # costs the most to follow and tells entries apart the least. When the question also
        # has rarer words, only the entries those rarer words found are followed further.
        common = max(COMMON_POSTINGS, COMMON_SHARE * len(self._phrasings))
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
        self._collect(rare, hits, None)
        found = {self._phrasings[position].entry_index for position in hits} if rare else None
        self._collect(frequent, hits, found)
        if not hits:
            return []
        total_weight = sum(weights)
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
            query_cover = query_sum / total_weight
            phrasing_cover = min(1.0, phrasing_sum / phrasing.weight)
            partial = (
                QUERY_COVERAGE_WEIGHT * query_cover + PHRASING_COVERAGE_WEIGHT * phrasing_cover
            )
            current = phrasing_scores.get(phrasing.entry_index)
            if current is None or current[0] < partial:
                phrasing_scores[phrasing.entry_index] = (partial, position)
        preliminary: list[tuple[float, int, int, float]] = []
        for entry_index, (partial, position) in phrasing_scores.items():
            best = entry_best[entry_index]
            entry_cover = sum(weights[q] * sim for q, sim in best.items()) / total_weight
            base = partial + ENTRY_COVERAGE_WEIGHT * entry_cover
            preliminary.append((base, entry_index, position, entry_cover))
        preliminary.sort(reverse=True)
        query_text = " ".join(query_terms)
        results: list[Scored] = []
        for base, entry_index, position, entry_cover in preliminary[: max(FUZZY_CANDIDATES, limit)]:
            fuzzy, best_position = self._fuzzy(query_text, entry_positions[entry_index], position)
            score = round(100 * (base + FUZZY_WEIGHT * fuzzy), 2)
            phrasing_text = self._originals[best_position]
            results.append(
                Scored(self.entries[entry_index], score, phrasing_text, round(entry_cover, 4))
            )
        results.sort(key=lambda scored: scored.score, reverse=True)
        return results[:limit]

    def _collect(
        self,
        matches: list[tuple[int, tuple[str, float]]],
        hits: dict[int, dict[int, tuple[float, float]]],
        entries: set[int] | None,
    ) -> None:
        """Record which phrasings each matched word hits (only within `entries`, if given)."""
        for q_index, (word, similarity) in matches:
            idf = self._idf[word]
            for position in self._postings[word]:
                if entries is not None and self._phrasings[position].entry_index not in entries:
                    continue
                seen = hits[position].get(q_index)
                if seen is None or seen[0] < similarity:
                    hits[position][q_index] = (similarity, idf)

    def _fuzzy(self, query_text: str, positions: list[int], fallback: int) -> tuple[float, int]:
        """Best character-level similarity (0-1) among the entry's phrasings that were hit."""
        best, best_position = 0.0, fallback
        for position in positions:
            similarity = fuzz.token_sort_ratio(query_text, self._phrasings[position].text) / 100
            if similarity > best:
                best, best_position = similarity, position
        return best, best_position
