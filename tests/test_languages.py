"""Crisis help in the languages people write: knowledge/languages/<code>.yaml is loaded and
checked, the message's language is told apart, a crisis in any language is answered in it, and a
message in another language that is not a crisis gets one line saying this bot answers in
English. A test language (tests/fixtures/languages/eo.yaml) keeps these tests meaningful
whatever files are shipped; the shipped languages are tested on tests/data/crisis_languages.yaml."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import render
from bot.engine import Engine
from bot.knowledge import LANGUAGE_TEXTS, KnowledgeError, Language, load_knowledge
from bot.languages import Detector
from bot.reply import ReplyKind
from bot.risk import Risk
from tests.conftest import FIXTURE_KNOWLEDGE, REPO_KNOWLEDGE_DIR

TEST_LANGUAGE = Path(__file__).parent / "fixtures" / "languages" / "eo.yaml"
SHIPPED_LANGUAGES = sorted((REPO_KNOWLEDGE_DIR / "languages").glob("*.yaml"))
CASES_FILE = Path(__file__).parent / "data" / "crisis_languages.yaml"
MIN_ENGLISH_ONLY = 0.85


def _load_cases() -> list[dict[str, Any]]:
    if not CASES_FILE.exists():
        return []
    data = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
    cases = data.get("cases", []) if isinstance(data, dict) else data  # a list, or {cases: [...]}
    return list(cases or [])


CASES = _load_cases()


def _with_test_language(tmp_path: Path, base: Path = FIXTURE_KNOWLEDGE) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(base, root)
    (root / "languages").mkdir(exist_ok=True)
    shutil.copy(TEST_LANGUAGE, root / "languages" / "eo.yaml")
    return root


@pytest.fixture(scope="module")
def eo_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return Engine(load_knowledge(_with_test_language(tmp_path_factory.mktemp("eo"))))


# --- the test language, end to end ---------------------------------------------------------


def test_a_crisis_in_another_language_is_answered_in_it(eo_engine: Engine) -> None:
    reply = eo_engine.answer("Mi volas morti.")
    eo = eo_engine.knowledge.languages["eo"]
    assert reply.kind is ReplyKind.CRISIS and reply.risk is Risk.CRISIS
    assert reply.language == "eo" and reply.body == eo.texts["crisis"]
    assert reply.helplines == eo.helplines and reply.closing == eo.texts["closing"]
    text = render.text(reply)
    assert text.index("findahelpline.com") < text.index("Helpo funkcias")


def test_someone_else_at_risk_gets_the_helpers_text_in_that_language(eo_engine: Engine) -> None:
    reply = eo_engine.answer("Mia amikino diras, ke si volas morti")
    assert reply.kind is ReplyKind.CRISIS and reply.about_other
    assert reply.body == eo_engine.knowledge.languages["eo"].texts["helper"]


def test_possible_risk_in_another_language_gets_its_line(eo_engine: Engine) -> None:
    reply = eo_engine.answer("Mi estas tute senespera")
    eo = eo_engine.knowledge.languages["eo"]
    assert reply.risk is Risk.POSSIBLE and reply.kind is not ReplyKind.CRISIS
    assert render.text(reply).startswith(eo.texts["possible"])


def test_a_question_in_another_language_gets_the_english_only_line(eo_engine: Engine) -> None:
    reply = eo_engine.answer("Kio estas la vetero hodiau?")
    assert reply.risk is Risk.NONE and reply.kind is ReplyKind.FALLBACK
    assert render.text(reply) == "Mi respondas nur angle."


def test_english_stays_english(eo_engine: Engine) -> None:
    crisis = eo_engine.answer("I want to kill myself")
    assert crisis.kind is ReplyKind.CRISIS and crisis.language is None
    assert crisis.body == eo_engine.knowledge.messages.crisis_text
    answer = eo_engine.answer("what is ketamine")
    assert answer.language is None and not answer.lead


def test_telegram_language_decides_only_when_the_words_do_not(eo_engine: Engine) -> None:
    # "SUICIDAL" alone says no language: the user's Telegram language picks the texts.
    assert eo_engine.answer("SUICIDAL!!!", language_code="eo").language == "eo"
    assert eo_engine.answer("I am suicidal", language_code="eo").language is None


# --- validation ----------------------------------------------------------------------------


def _broken(tmp_path: Path, change: Any) -> str:
    root = _with_test_language(tmp_path)
    path = root / "languages" / "eo.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(root)
    return str(raised.value)


@pytest.mark.parametrize("text", LANGUAGE_TEXTS)
def test_every_text_is_required(tmp_path: Path, text: str) -> None:
    assert f"missing field '{text}'" in _broken(tmp_path, lambda d: d["texts"].pop(text))


def test_the_international_directory_is_required(tmp_path: Path) -> None:
    def drop(document: Any) -> None:
        document["helplines"] = [h for h in document["helplines"] if "url" not in h]

    assert "findahelpline.com" in _broken(tmp_path, drop)


def test_an_emergency_number_is_required(tmp_path: Path) -> None:
    def drop(document: Any) -> None:
        document["helplines"] = [h for h in document["helplines"] if "112" not in h["contact"]]

    assert "emergency number" in _broken(tmp_path, drop)


def test_a_crisis_pattern_is_required_and_must_compile(tmp_path: Path) -> None:
    assert "crisis" in _broken(tmp_path / "a", lambda d: d["patterns"].update(crisis=[]))
    assert "invalid regular expression" in _broken(
        tmp_path / "b", lambda d: d["patterns"].update(crisis=["(unclosed"])
    )


def test_the_code_matches_the_file_name(tmp_path: Path) -> None:
    assert "differs from the file name" in _broken(tmp_path, lambda d: d.update(code="xx"))


# --- detection -----------------------------------------------------------------------------


def _language(code: str, markers: str) -> Language:
    return Language(
        code=code,
        name=code,
        markers=frozenset(markers.split()),
        patterns={"crisis": (re.compile("x"),), "possible": (), "other": ()},
        texts={},
        helplines=(),
    )


DETECTOR = Detector(
    {
        "es": _language("es", "que de no el la estoy quiero yo me mi"),
        "pt": _language("pt", "que de nao o a estou quero eu me minha"),
        "ru": _language("ru", "я не хочу что это как мне"),
        "uk": _language("uk", "я не хочу що це як мені"),
        "ar": _language("ar", "انا لا اريد ما هذا"),
        "fa": _language("fa", "من نمی خواهم این چه"),
        "hi": _language("hi", "मैं नहीं है क्या"),
    }
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("quiero morir", "es"),
        ("eu quero morrer", "pt"),
        ("я хочу умереть", "ru"),
        ("я хочу померти, мені погано", "uk"),  # і and є are Ukrainian letters
        ("اريد ان اموت", "ar"),
        ("می‌خواهم بمیرم، چه کنم", "fa"),  # چ is Persian only
        ("मैं मरना चाहता हूँ", "hi"),
        ("what is ketamine", None),
        ("I want to die, no more", None),  # English words outnumber "no"
    ],
)
def test_the_language_of_a_message(text: str, code: str | None) -> None:
    from bot.text import normalize

    assert DETECTOR.detect(normalize(text)) == code


# --- the shipped languages -----------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED_LANGUAGES, ids=lambda path: path.stem)
def test_shipped_language_loads_complete(shipped_engine: Engine, path: Path) -> None:
    language = shipped_engine.knowledge.languages[path.stem]
    assert set(language.texts) == set(LANGUAGE_TEXTS)
    assert any("findahelpline.com" in (line.url or "") for line in language.helplines)
    assert all(line.source and line.checked for line in language.helplines), "checked, dated"


@pytest.mark.parametrize("path", SHIPPED_LANGUAGES, ids=lambda path: path.stem)
def test_shipped_language_has_cases_of_both_kinds(path: Path) -> None:
    tiers = {case["tier"] for case in CASES if case["lang"] == path.stem}
    assert "crisis" in tiers and "none" in tiers, f"{path.stem}: no crisis or no none case"


@pytest.mark.parametrize(
    "case", CASES, ids=lambda case: f"{case['lang']}:{case['tier']}:{case['q'][:30]}"
)
def test_shipped_language_case(shipped_engine: Engine, case: dict[str, Any]) -> None:
    language = shipped_engine.knowledge.languages[case["lang"]]
    reply = shipped_engine.answer(case["q"])
    tier = case["tier"]
    if tier in ("crisis", "other"):
        assert reply.kind is ReplyKind.CRISIS and reply.language == language.code
        assert reply.helplines == language.helplines
        expected = language.texts["helper" if tier == "other" else "crisis"]
        if tier == "crisis":
            assert reply.body in (language.texts["crisis"], language.texts["helper"])
        else:
            assert reply.body == expected
    elif tier == "possible":
        assert reply.risk is not Risk.NONE
        if reply.risk is Risk.POSSIBLE:
            assert render.text(reply).startswith(language.texts["possible"])
    else:
        assert reply.risk is Risk.NONE and reply.kind is not ReplyKind.CRISIS


def test_shipped_look_alikes_mostly_get_the_english_only_line(shipped_engine: Engine) -> None:
    """A research question in another language is told its language (so it gets the line that
    this bot answers in English) nearly always; a short one may carry too few common words."""
    looks = [case for case in CASES if case["tier"] == "none"]
    if not looks:
        pytest.skip("no shipped language cases")
    told = [
        shipped_engine.knowledge.languages[case["lang"]].texts["english_only"]
        in render.text(shipped_engine.answer(case["q"]))
        for case in looks
    ]
    assert sum(told) / len(told) >= MIN_ENGLISH_ONLY


@pytest.mark.parametrize(
    "message", ["i wanna die lol", "die die die, I hate my life, I want to die"]
)
def test_english_rules_answer_in_english(shipped_engine: Engine, message: str) -> None:
    # "die" is also a German word: the English rule that fired decides the language.
    reply = shipped_engine.answer(message)
    assert reply.kind is ReplyKind.CRISIS and reply.language is None


# --- "yo": an English greeting, and Spanish "I" ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("yo", None),
        ("yo, anyone here?", None),
        ("yo quiero morir", "es"),  # another Spanish word: Spanish
        ("yo estoy muy mal", "es"),
    ],
)
def test_yo_is_spanish_only_next_to_another_spanish_word(text: str, code: str | None) -> None:
    from bot.text import normalize

    assert DETECTOR.detect(normalize(text)) == code


def test_an_english_message_opening_with_yo_is_answered_in_english(
    shipped_engine: Engine,
) -> None:
    reply = shipped_engine.answer("yo does esketamine work fast")
    assert reply.language is None
    assert "español" not in render.text(reply).lower()
    risky = shipped_engine.answer("yo, suicide is on my mind all day")
    assert risky.risk is not Risk.NONE and risky.language is None


# --- families of the round-7 language patterns, in phrasings of their own -------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("es", "hoy tengo muchas ganas de matarme"),
        ("es", "me voy a ir para siempre, perdón"),
        ("pt", "sinto vontade de me matar todo dia"),
        ("fr", "je songe sérieusement à me suicider"),
        ("de", "ich werde meinem Leben heute ein Ende setzen"),
        ("uk", "вчора я порізала собі руку"),
        ("hi", "मैं आज खुद को खतम कर डालूंगी"),
        ("hi", "मैंने बहुत सारी दवाइयाँ खा लीं"),
        ("id", "saya melukai pergelangan tangan lagi"),
    ],
)
def test_new_phrasings_get_crisis_help_in_their_language(
    shipped_engine: Engine, code: str, message: str
) -> None:
    reply = shipped_engine.answer(message)
    assert reply.kind is ReplyKind.CRISIS and reply.language == code
    assert reply.helplines == shipped_engine.knowledge.languages[code].helplines


@pytest.mark.parametrize(
    "message",
    [
        "tengo ganas de comer algo dulce",  # "ganas de" with no risk word
        "je pense à manger, il est midi",
        "ich will dem Film noch eine Chance geben",
    ],
)
def test_their_look_alikes_are_not_flagged(shipped_engine: Engine, message: str) -> None:
    assert shipped_engine.answer(message).risk is Risk.NONE
