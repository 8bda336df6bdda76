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
# Words that are common in other languages too ("a", "no", "me", "die", "in", "so") are left
# out, and so are the drug names, which French and German spell the same.
_ENGLISH_TEXT = """
    i im ive id my myself you your we they he she it is are was were be been am does did
    dont doesnt didnt cant wont the and or but if of to at for with about from this
    that what how why when where who which can could would should will have has had not
    want feel just really all any some more very life live dead kill help anymore please
    think know like get got
"""
ENGLISH_MARKERS = frozenset(_ENGLISH_TEXT.split())
# Half an English word each: "i" is also Italian's "the"; "yo" is English slang for a greeting
# as well as Spanish "I".
HALF_ENGLISH = frozenset({"i", "yo"})
# English slang that is another language's marker: it counts for that language only next to
# another of its markers ("yo quiero morir" is Spanish, "yo whats up" is not).
ENGLISH_SLANG = frozenset({"yo"})

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


def language_scripts(language: Language) -> frozenset[str]:
    """The scripts a language is written in, read from its markers and texts: Hindi has
    Devanagari and the Latin letters of romanised Hindi."""
    texts = [language.texts.get("crisis", ""), language.texts.get("helper", "")]
    scripts = {_main_script(word) for word in (*language.markers, *texts)}
    return frozenset(script for script in scripts if script is not None) or frozenset({"LATIN"})


def _marker_count(language: Language, words: list[str]) -> int:
    """How many of the words are the language's markers; English slang among them counts only
    when a marker of another kind is there too."""
    found = [word for word in words if word in language.markers]
    if all(word in ENGLISH_SLANG for word in found):
        return 0
    return len(found)


class Detector:
    """Built once per knowledge: each language's script is read from its markers."""

    def __init__(self, languages: Mapping[str, Language]) -> None:
        self.languages = dict(languages)
        self._scripts = {code: language_scripts(lang) for code, lang in self.languages.items()}

    def detect(self, normalized: str) -> str | None:
        """The code of the message's language; None for English or when nothing is clear."""
        if not self.languages or not normalized:
            return None
        script = _main_script(normalized)
        words = normalized.split()
        candidates = [
            lang for lang in self.languages.values() if script in self._scripts[lang.code]
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
        english = sum(0.5 if word in HALF_ENGLISH else word in ENGLISH_MARKERS for word in words)
        scored = sorted(
            ((_marker_count(lang, words), lang.code) for lang in candidates), reverse=True
        )
        best, code = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0
        # One common word can be enough ("la ketamina ayuda con la depresion"), as long as the
        # language beats English and every other language.
        if best >= 1 and best > english and best > runner_up:
            return code
        return None
