"""The crisis data of each supported language, checked on its own: every pattern compiles and
matches the normalised test phrasings of its tier, look-alikes match nothing, and the marker
words name the right language. Independent of the screening code, so the data can be checked
(and fixed) by whoever reviews a language."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.text import normalize

ROOT = Path(__file__).resolve().parent.parent
LANG_DIR = ROOT / "knowledge" / "languages"
CASES_FILE = ROOT / "tests" / "data" / "crisis_languages.yaml"
CODES = ("es", "pt", "fr", "de", "it", "ru", "uk", "tr", "fa", "ar", "hi", "id")
TIERS = ("crisis", "possible", "other")
TEXTS = ("crisis", "closing", "possible", "helper", "english_only")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


LANGS: dict[str, dict[str, Any]] = {
    code: _load(LANG_DIR / f"{code}.yaml") for code in CODES if (LANG_DIR / f"{code}.yaml").exists()
}
PRESENT = tuple(LANGS)
CASES: list[dict[str, str]] = [c for c in _load(CASES_FILE) if c["lang"] in LANGS]
PATTERNS: dict[str, dict[str, list[re.Pattern[str]]]] = {
    code: {tier: [re.compile(p, re.IGNORECASE) for p in data["patterns"][tier]] for tier in TIERS}
    for code, data in LANGS.items()
}


def test_all_languages_are_present() -> None:
    assert PRESENT == CODES


def _script(text: str) -> str:
    for ch in text:
        if "\u0900" <= ch <= "\u097f":
            return "deva"
        if "\u0400" <= ch <= "\u04ff":
            return "cyrl"
        if "\u0600" <= ch <= "\u06ff":
            return "arab"
    return "latn"


SCRIPT_LANGS = {"deva": ("hi",), "cyrl": ("ru", "uk"), "arab": ("ar", "fa")}


def detect(normalized: str) -> str | None:
    """The language whose markers occur most often among the words; the script narrows the
    candidates. None when no marker occurs or two languages tie."""
    candidates = [c for c in SCRIPT_LANGS.get(_script(normalized), CODES) if c in LANGS]
    if _script(normalized) == "deva":
        return "hi"
    words = normalized.split()
    scores = {c: sum(w in set(LANGS[c]["markers"]) for w in words) for c in candidates}
    best = max(scores.values())
    winners = [c for c, s in scores.items() if s == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def hits(code: str, normalized: str) -> set[str]:
    return {tier for tier in TIERS if any(p.search(normalized) for p in PATTERNS[code][tier])}


@pytest.mark.parametrize("code", PRESENT)
def test_each_language_has_texts_helplines_and_markers(code: str) -> None:
    data = LANGS[code]
    assert data["code"] == code
    assert all(isinstance(data["texts"][t], str) and data["texts"][t].strip() for t in TEXTS)
    assert 30 <= len(data["markers"]) <= 60, len(data["markers"])
    assert len(set(data["markers"])) == len(data["markers"]), "a marker is listed twice"
    # Markers are compared with normalised words, so they must be normalised themselves.
    assert all(normalize(m) == m for m in data["markers"]), [
        m for m in data["markers"] if normalize(m) != m
    ]
    countries = [h["country"] for h in data["helplines"]]
    assert "INT" in countries
    for line in data["helplines"]:
        assert line["name"] and line["contact"] and line["source"] and line["checked"]
    assert all(data["patterns"][t] for t in TIERS)


# Languages whose file lists no line of one of its countries yet: no page of the helpline itself
# or of a government with the number could be found in the stored copies searched on 2026-12-01,
# so these give only the international directory and an emergency number. What was tried is
# written above `helplines:` in each file. Take a code out as soon as its file gets such a line.
NO_NATIONAL_LINE_YET = {"ar", "hi", "tr"}


@pytest.mark.parametrize("code", PRESENT)
def test_every_helpline_says_which_page_it_was_checked_on_and_when(code: str) -> None:
    for line in LANGS[code]["helplines"]:
        # A page address, not just a site name, so that a reviewer can open the same page.
        assert re.search(r"https?://\S+\.\S+", line["source"]), line["name"]
        # A real YAML date (not free text), and not one in the future.
        assert isinstance(line["checked"], date), (line["name"], line["checked"])
        assert line["checked"] <= date.today(), line["name"]
        assert line["country"] == "INT" or re.fullmatch(r"[A-Z]{2}", line["country"]), line


@pytest.mark.parametrize("code", PRESENT)
def test_a_national_line_comes_first_where_one_was_checked(code: str) -> None:
    countries = [line["country"] for line in LANGS[code]["helplines"]]
    national = [c for c in countries if c != "INT"]
    if code in NO_NATIONAL_LINE_YET:
        assert not national, f"{code} has a national line now: take it out of NO_NATIONAL_LINE_YET"
    else:
        assert national, f"{code} lists no line of one of its countries"
    # Someone in crisis reads from the top: a country's own line before the directory and the
    # emergency number.
    assert countries == national + ["INT"] * (len(countries) - len(national)), countries


@pytest.mark.parametrize("code", PRESENT)
def test_patterns_are_written_in_normalised_form(code: str) -> None:
    # normalize() strips accents and case-folds; a pattern with an accent or an ß never matches.
    for tier in TIERS:
        for pattern in LANGS[code]["patterns"][tier]:
            folded = "".join(
                ch for ch in unicodedata.normalize("NFKD", pattern) if not unicodedata.combining(ch)
            )
            assert folded == pattern and "ß" not in pattern, pattern


@pytest.mark.parametrize("code", PRESENT)
def test_every_language_has_enough_cases(code: str) -> None:
    tiers = [c["tier"] for c in CASES if c["lang"] == code]
    assert tiers.count("crisis") >= 8
    assert tiers.count("possible") >= 3
    assert tiers.count("other") >= 2
    assert tiers.count("none") >= 4


@pytest.mark.parametrize("case", CASES, ids=[f"{c['lang']}:{c['q'][:40]}" for c in CASES])
def test_case_gets_its_tier_and_language(case: dict[str, str]) -> None:
    text = normalize(case["q"])
    found = hits(case["lang"], text)
    tier = case["tier"]
    if tier == "crisis":
        assert found & {"crisis", "other"}, (text, found)
    elif tier == "possible":
        assert found & {"possible", "crisis"}, (text, found)
    elif tier == "other":
        assert "other" in found and "crisis" not in found, (text, found)
    else:
        assert not found, (text, found)
    assert detect(text) == case["lang"], (text, detect(text))


def _english_texts() -> list[str]:
    texts = [c["q"] for c in _load(ROOT / "knowledge" / "eval.yaml")["cases"]]
    for path in sorted((ROOT / "knowledge" / "faq").glob("*.yaml")):
        for entry in _load(path)["entries"]:
            texts += [entry["question"], *entry.get("variants", [])]
    return texts


def test_english_questions_are_not_taken_for_another_language() -> None:
    # A marker that is also an English word would answer English users "I answer in English
    # only" in Portuguese or German.
    taken = [(t, detect(normalize(t))) for t in _english_texts() if detect(normalize(t))]
    assert not taken, taken[:20]


def test_no_language_fires_on_look_alikes_of_other_languages_or_english_questions() -> None:
    """Screening may run every language's patterns on every message: a look-alike in one
    language, or an English FAQ question, must not trip another language's patterns."""
    eval_cases = _load(ROOT / "knowledge" / "eval.yaml")["cases"]
    texts = [normalize(c["q"]) for c in CASES if c["tier"] == "none"]
    texts += [normalize(c["q"]) for c in eval_cases if c.get("expect") != "crisis"]
    fired = [(code, t) for t in texts for code in PRESENT if hits(code, t)]
    assert not fired, fired[:20]


def _normalize_keeping_vowel_signs(text: str) -> str:
    """normalize(), but with Devanagari vowel signs kept as parts of words: what normalize()
    would give if it treated combining spacing marks as letters."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"['\u2019\u2018`\u00b4]", "", text)
    text = re.sub(r"[^\w\u0900-\u0903\u093e-\u094c\u0962\u0963]+|_+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.skipif("hi" not in LANGS, reason="Hindi data not present")
def test_hindi_patterns_work_with_or_without_vowel_signs() -> None:
    for case in [c for c in CASES if c["lang"] == "hi" and _script(c["q"]) == "deva"]:
        assert hits("hi", normalize(case["q"])) == hits(
            "hi", _normalize_keeping_vowel_signs(case["q"])
        ), case["q"]
