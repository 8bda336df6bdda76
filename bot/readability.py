"""Flesch-Kincaid grade of answers, for `validate` warnings, `stats` and the reading-level test.

The algorithm is exactly the one in the project's checking script (tools/readability.py), so
that both report the same figures:
  words: runs of letters (with inner ' or -) or numbers (with inner . or ,);
  sentences: runs of . ! ? followed by a space or the end (a number's decimal point is not one);
  syllables: a number counts 1; otherwise groups of vowels (a e i o u y) per hyphenated part,
    after dropping a final silent "e" (not "le"), at least 1 per part;
  grade = 0.39 * words/sentences + 11.8 * syllables/words - 15.59.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

WORD = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*|\d+(?:[.,]\d+)*")
SENTENCE_END = re.compile(r"(?<!\d)[.!?]+(?=\s|$)|(?<=\d)[.!?]+(?=\s|$)")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")

MAX_GRADE = 10.0  # an answer above this gets a `validate` warning
MAX_SENTENCE_WORDS = 30  # so does a sentence longer than this
TARGET_MEAN_GRADE = 8.0  # health writing guidance: about grade 8 on average


def syllables(word: str) -> int:
    """Estimated syllables of one word as WORD finds it."""
    if word[0].isdigit():
        return 1
    total = 0
    for part in word.lower().replace("'", "").split("-"):
        if not part:
            continue
        if part.endswith("e") and not part.endswith("le") and len(part) > 2:
            part = part[:-1]
        total += max(1, len(_VOWEL_GROUP.findall(part)))
    return max(1, total)


def sentences(text: str) -> list[str]:
    """The sentences of a text (pieces without a word are not sentences)."""
    parts = [part for part in SENTENCE_END.split(text) if WORD.search(part)]
    return parts or [text]


def grade(text: str) -> float:
    """Flesch-Kincaid grade level; 0 for a text without words."""
    words = WORD.findall(text)
    if not words:
        return 0.0
    count = len(sentences(text))
    total_syllables = sum(syllables(word) for word in words)
    return 0.39 * len(words) / count + 11.8 * total_syllables / len(words) - 15.59


def longest_sentence(text: str) -> int:
    """Words in the longest sentence."""
    return max(len(WORD.findall(sentence)) for sentence in sentences(text))


@dataclass(frozen=True)
class Level:
    """The reading level of a set of texts, for reports."""

    mean: float
    max: float
    max_id: str
    count: int

    def __str__(self) -> str:
        return (
            f"reading level (Flesch-Kincaid grade): mean {self.mean:.1f} over {self.count} "
            f"answers, max {self.max:.1f} ({self.max_id})"
        )


def level(texts: Iterable[tuple[str, str]]) -> Level | None:
    """Mean and maximum grade of (id, text) pairs; None when there are none."""
    grades = [(grade(text), key) for key, text in texts]
    if not grades:
        return None
    top, top_id = max(grades)
    return Level(sum(g for g, _ in grades) / len(grades), top, top_id, len(grades))
