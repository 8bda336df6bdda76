"""Which language a message is written in, among the languages in knowledge/languages/.

Scripts first (Cyrillic, Arabic, Devanagari each hold few of our languages, told apart by
letters of their own), then counts of common words for Latin-script languages. English is the
default: a message is given another language only when that language clearly wins."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from bot.knowledge import Language

# Common English words (normalised): a message full of them stays English even when a word
# or two looks like another language ("de", "no", "a").
_ENGLISH_TEXT = """
    i im ive id me my myself you your we they he she it is are was were be been am do does did
    dont doesnt didnt cant wont the a an and or but if of to in on at for with about from this
    that what how why when where who which can could would should will have has had not no
    want feel just so really all any some more very life live die dead kill ketamine
    esketamine spravato help anymore please think know like get got
"""
ENGLISH_MARKERS = frozenset(_ENGLISH_TEXT.split())

# Letters that only one of the languages sharing a script uses (after normalize(), which
# strips combining marks: Ukrainian "ї" becomes "і", Russian "й" becomes "и").
DISTINCT_LETTERS: dict[str, str] = {
    "uk": "ієґ",
    "ru": "ыэъ",
    "fa": "پچژگکی",  # Persian keheh and yeh, and four letters Arabic does not have
}

_SCRIPTS = ("CYRILLIC", "ARABIC", "DEVANAGARI", "LATIN")


def _script(character: str) -> str | None:
    if not character.isalpha():
        return None
    name = unicodedata.name(character, "")
    return next((script for script in _SCRIPTS if name.startswith(script)), "OTHER")


def _main_script(text: str) -> str | None:
    counts: dict[str, int] = {}
    for character in text:
        script = _script(character)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=lambda script: counts[script]) if counts else None


def language_script(language: Language) -> str:
    """The script a language is written in, read from its markers."""
    return _main_script(" ".join(sorted(language.markers))) or "LATIN"


class Detector:
    """Built once per knowledge: each language's script is read from its markers."""

    def __init__(self, languages: Mapping[str, Language]) -> None:
        self.languages = dict(languages)
        self._scripts = {code: language_script(lang) for code, lang in self.languages.items()}

    def detect(self, normalized: str) -> str | None:
        """The code of the message's language; None for English or when nothing is clear."""
        if not self.languages or not normalized:
            return None
        script = _main_script(normalized)
        words = normalized.split()
        candidates = [
            lang for lang in self.languages.values() if self._scripts[lang.code] == script
        ]
        if not candidates:
            return None
        if script != "LATIN":
            # Few of our languages share a script: the letters only one of them uses decide,
            # then common words; a tie goes to the first file.
            if len(candidates) == 1:
                return candidates[0].code

            def score(lang: Language) -> tuple[int, int]:
                own = DISTINCT_LETTERS.get(lang.code, "")
                letters = sum(normalized.count(letter) for letter in own)
                return (letters, sum(word in lang.markers for word in words))

            return max(candidates, key=score).code
        english = sum(word in ENGLISH_MARKERS for word in words)
        scored = sorted(
            ((sum(word in lang.markers for word in words), lang.code) for lang in candidates),
            reverse=True,
        )
        best, code = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0
        # Short messages ("quiero morir") carry one marker; longer ones must show two.
        needed = 1 if len(words) <= 3 else 2
        if best >= needed and best > english and best > runner_up:
            return code
        return None
