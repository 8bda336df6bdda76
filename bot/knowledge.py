"""The knowledge folder (YAML) turned into typed, validated data.

Every problem is collected, not only the first, and reported as `path:line: message`.
Checks that need the matcher or the renderer (collisions, rendered length) live in
`validate.py`; this module knows only the files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.text import content_terms, normalize
from bot.yamlsource import LineDict, LineList, Problem, read_yaml

# Relative to where the bot starts (the project folder, /app in the Docker image); KNOWLEDGE_DIR
# or --knowledge (read by config.py) choose another folder.
DEFAULT_KNOWLEDGE_DIR = Path("knowledge")
EVIDENCE_LEVELS: tuple[str, ...] = (
    "review",
    "human-trial",
    "animal-study",
    "regulatory",
    "consensus",
    "bot",
)
EVIDENCE_LABELS: dict[str, str] = {
    "review": "review of studies",
    "human-trial": "human trial(s)",
    "animal-study": "animal studies only",
    "regulatory": "regulator's label or decision",
    "consensus": "expert consensus",
    "bot": "about this bot",
}
# Entries about the bot itself (greetings, what it can do) cite no research: for them
# `sources` may be left out or empty, and the reply shows no "Sources:" block.
SOURCELESS_EVIDENCE = "bot"
CRISIS_EXPECTATION = "crisis"  # reserved in eval.yaml; no entry may use it as an id
# Fewer variants than this is a warning, not an error: any well-formed FAQ (a public set, a
# help-desk export with one phrasing per question) must load, and the matcher serves an entry
# from its question alone. The shipped knowledge is held to it in the tests.
MIN_VARIANTS = 5
MAX_QUESTION_CHARS = 200
MAX_ID_CHARS = 60  # ids travel in Telegram button data (64 bytes) and /start links
_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SOURCE_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")

ENTRY_FIELDS = {
    "id": True,
    "topic": True,
    "question": True,
    "variants": False,
    "answer": True,
    "sources": False,  # required, except for entries whose evidence is SOURCELESS_EVIDENCE
    "evidence": True,
    "related": False,
    "note": False,
    "min_score": False,
}


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    url: str
    year: int | None


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    question: str
    variants: tuple[str, ...]
    answer: str
    sources: tuple[str, ...]
    evidence: str
    related: tuple[str, ...] = ()
    note: str | None = None
    min_score: float | None = None
    # Where the entry was read, for problems found later (collisions, length).
    path: str = ""
    line: int = 0
    variant_lines: tuple[int, ...] = ()
    source_lines: tuple[int, ...] = ()
    related_lines: tuple[int, ...] = ()
    answer_line: int = 0

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.variants)


@dataclass(frozen=True)
class Helpline:
    name: str
    contact: str
    url: str | None = None
    country: str | None = None  # ISO 3166 code, for language files' national lines
    source: str | None = None  # the page where the number was checked
    checked: str | None = None  # when (YYYY-MM-DD)


@dataclass(frozen=True)
class Messages:
    disclaimer_short: str
    disclaimer_full: str
    welcome: str
    help: str
    fallback: str
    suggest_intro: str
    crisis_text: str
    helplines: tuple[Helpline, ...]
    crisis_closing: str
    # The reply for someone worried about another person: `crisis_helper` before the helplines,
    # `crisis_helper_steps` (what to say, how to stay with them) after them.
    crisis_helper: str = ""
    crisis_helper_steps: str = ""
    possible_line: str = ""  # one line on top of a normal reply when the screen says "possible"


@dataclass(frozen=True)
class AdviceRule:
    entry: str
    patterns: tuple[re.Pattern[str], ...]


RISK_TIERS = ("crisis", "possible", "other")  # a family's tier; "other": someone else at risk


@dataclass(frozen=True)
class RiskFamily:
    """One family of crisis rules (means, goodbyes, hopelessness...) and the tier it gives."""

    name: str
    tier: str  # one of RISK_TIERS
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class SafetyRules:
    crisis: tuple[re.Pattern[str], ...] = ()  # a mention: a crisis unless `crisis_exclude` matches
    crisis_exclude: tuple[re.Pattern[str], ...] = ()
    crisis_always: tuple[re.Pattern[str], ...] = ()
    advice: tuple[AdviceRule, ...] = ()
    subject: re.Pattern[str] | None = None
    families: tuple[RiskFamily, ...] = ()  # never cancelled by an exclusion
    mentions: tuple[re.Pattern[str], ...] = ()  # "possible", unless `crisis_exclude` matches
    ignore: tuple[re.Pattern[str], ...] = ()  # idioms and negations, cut out before any rule
    keywords: tuple[str, ...] = ()  # key words read through a typo ("myelf" -> "myself")
    # Kinds of risk words (death, means, harm, despair, plans): a first-person message with
    # `cues_at` or more of them, that no rule caught, gets "possible" unless `cues_skip` matches.
    cues: tuple[tuple[str, re.Pattern[str]], ...] = ()
    cues_at: int = 0
    cues_skip: re.Pattern[str] | None = None


LANGUAGE_TEXTS = ("crisis", "closing", "possible", "helper", "english_only")
LANGUAGE_TIERS = ("crisis", "possible", "other")
INTERNATIONAL_DIRECTORY = "findahelpline.com"
_EMERGENCY_NUMBER = re.compile(r"(?<!\d)\d{2,3}(?!\d)")  # 112, 911, 999, 110, 102...


@dataclass(frozen=True)
class Language:
    """One language the screen reads (knowledge/languages/<code>.yaml): how to tell it, its
    risk patterns (run on normalised text) and its fixed texts and helplines."""

    code: str
    name: str
    markers: frozenset[str]
    patterns: dict[str, tuple[re.Pattern[str], ...]]  # tier -> patterns, tiers LANGUAGE_TIERS
    texts: dict[str, str]  # LANGUAGE_TEXTS
    helplines: tuple[Helpline, ...]


@dataclass(frozen=True)
class EvalCase:
    question: str
    expect: (
        str | None
    )  # an entry id (the first acceptable one), None (no answer), or CRISIS_EXPECTATION
    line: int = 0
    alternatives: tuple[str, ...] = ()  # further entry ids that are just as right

    @property
    def accepted(self) -> tuple[str, ...]:
        """Every entry id that answers this case right (empty for null and crisis)."""
        if self.expect is None or self.expect == CRISIS_EXPECTATION:
            return ()
        return (self.expect, *self.alternatives)


@dataclass(frozen=True)
class EvalSet:
    cases: tuple[EvalCase, ...]
    min_accuracy: float
    path: str = ""


@dataclass(frozen=True)
class Knowledge:
    entries: tuple[Entry, ...]
    sources: dict[str, Source]
    messages: Messages
    safety: SafetyRules
    directory: Path
    entry_by_id: dict[str, Entry] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)  # a word's term -> its group's term
    warnings: tuple[Problem, ...] = ()  # advice for the maintainer; the knowledge loads anyway
    languages: dict[str, Language] = field(default_factory=dict)  # code -> language, not English

    def __post_init__(self) -> None:
        if not self.entry_by_id:
            self.entry_by_id.update({entry.id: entry for entry in self.entries})

    @property
    def topics(self) -> tuple[str, ...]:
        """Topics in the order they first appear, for browsing."""
        return tuple(dict.fromkeys(entry.topic for entry in self.entries))

    def entries_in(self, topic: str) -> tuple[Entry, ...]:
        return tuple(entry for entry in self.entries if entry.topic == topic)


class KnowledgeError(Exception):
    """The knowledge folder has problems; all of them are in `problems` (and any warnings,
    which alone would not have stopped it, in `warnings`)."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] | None = None) -> None:
        self.problems = problems
        self.warnings = warnings or []
        super().__init__("\n".join(str(problem) for problem in problems))


def knowledge_dir(directory: str | os.PathLike[str]) -> Path:
    """The knowledge folder, or a KnowledgeError that says how to point the bot at one."""
    root = Path(directory)
    if not root.is_dir():
        raise KnowledgeError(
            [
                Problem(
                    str(root),
                    1,
                    "knowledge folder not found: start the bot in the project folder, or set "
                    "KNOWLEDGE_DIR (or --knowledge) to the folder that holds faq/ and messages.yaml",
                )
            ]
        )
    return root


class _Reader:
    """Collects problems while turning one file's parsed YAML into typed values."""

    def __init__(
        self, display: str, problems: list[Problem], warnings: list[Problem] | None = None
    ) -> None:
        self.display = display
        self.problems = problems
        self.warnings: list[Problem] = [] if warnings is None else warnings

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.display, line, message))

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Problem(self.display, line, message, warning=True))

    def mapping(self, value: Any, line: int, what: str) -> LineDict | None:
        if isinstance(value, LineDict):
            return value
        self.problem(line, f"{what} must be a mapping")
        return None

    def mappings(self, parent: LineDict, key: str, what: str) -> list[LineDict]:
        """An optional list of mappings (the families, the advice rules): each item that is not
        a mapping, or the field that is not a list, is a problem and left out."""
        raw = parent.get(key) or LineList()
        if not isinstance(raw, LineList):
            self.problem(parent.line_of(key), f"'{key}' must be a list")
            return []
        found = (self.mapping(item, raw.line_of(index), what) for index, item in enumerate(raw))
        return [item for item in found if item is not None]

    def text(self, parent: LineDict, key: str, *, required: bool = True) -> str | None:
        line = parent.line_of(key)
        if key not in parent or parent[key] is None:
            if required:
                self.problem(parent.line, f"missing field '{key}'")
            return None
        value = parent[key]
        if not isinstance(value, str):
            self.problem(line, f"'{key}' must be text")
            return None
        if not value.strip():
            self.problem(line, f"'{key}' is empty")
            return None
        return value.strip()

    def text_list(
        self, parent: LineDict, key: str, *, required: bool = True
    ) -> list[tuple[str, int]]:
        if key not in parent or parent[key] is None:
            if required:
                self.problem(parent.line, f"missing field '{key}'")
            return []
        value = parent[key]
        if not isinstance(value, LineList):
            self.problem(parent.line_of(key), f"'{key}' must be a list")
            return []
        items: list[tuple[str, int]] = []
        for index, item in enumerate(value):
            line = value.line_of(index)
            if not isinstance(item, str) or not item.strip():
                self.problem(line, f"'{key}' item {index + 1} must be non-empty text")
                continue
            items.append((item.strip(), line))
        return items

    def unknown_fields(
        self, mapping: LineDict, allowed: set[str] | dict[str, bool], what: str
    ) -> None:
        for key in mapping:
            if key not in allowed:
                self.problem(mapping.line_of(key), f"unknown field '{key}' in {what}")

    def https_url(self, url: str, line: int) -> bool:
        parts = urlsplit(url)
        if parts.scheme != "https":
            self.problem(line, f"URL must use https: {url}")
            return False
        if not parts.netloc or "." not in parts.netloc or " " in url:
            self.problem(line, f"malformed URL: {url}")
            return False
        return True

    def regex(self, pattern: Any, line: int) -> re.Pattern[str] | None:
        if not isinstance(pattern, str) or not pattern:
            self.problem(line, "a pattern must be non-empty text")
            return None
        try:
            return re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            self.problem(line, f"invalid regular expression: {exc}")
            return None


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read_entries(
    root: Path, problems: list[Problem], unreadable: list[str], warnings: list[Problem]
) -> list[Entry]:
    """The entries of faq/*.yaml, files in name order. The text of a file that does not parse
    goes to `unreadable`, so that references into it are not reported as unknown."""
    faq_dir = root / "faq"
    files = sorted([*faq_dir.glob("*.yaml"), *faq_dir.glob("*.yml")])
    if not files:
        problems.append(Problem(_display(faq_dir), 1, "no FAQ files (faq/*.yaml)"))
    entries: list[Entry] = []
    for path in files:
        display = _display(path)
        reader = _Reader(display, problems, warnings)
        data = read_yaml(path, display, problems)
        if data is None:
            unreadable.append(_text_or_empty(path))
            continue
        top = reader.mapping(data, getattr(data, "line", 1), "an FAQ file")
        if top is None:
            continue
        reader.unknown_fields(top, {"entries"}, "an FAQ file")
        raw_entries = top.get("entries")
        if not isinstance(raw_entries, LineList):
            reader.problem(top.line_of("entries"), "'entries' must be a list of entries")
            continue
        for index, raw in enumerate(raw_entries):
            entry = _read_entry(raw, raw_entries.line_of(index), reader)
            if entry is not None:
                entries.append(entry)
    return entries


def _text_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _mentioned(key: str, texts: Sequence[str]) -> bool:
    """Could a file that failed to parse define or use `key`? Then an "unknown" is not known."""
    pattern = re.compile(rf"(?<![a-z0-9-]){re.escape(key)}(?![a-z0-9-])")
    return any(pattern.search(text) for text in texts)


def _read_entry(raw: Any, line: int, reader: _Reader) -> Entry | None:
    mapping = reader.mapping(raw, line, "an entry")
    if mapping is None:
        return None
    reader.unknown_fields(mapping, ENTRY_FIELDS, "an entry")
    entry_id = reader.text(mapping, "id")
    if entry_id is not None and not _ID_PATTERN.match(entry_id):
        reader.problem(mapping.line_of("id"), f"id '{entry_id}' must be kebab-case (a-z, 0-9, -)")
    if entry_id is not None and len(entry_id) > MAX_ID_CHARS:
        reader.problem(
            mapping.line_of("id"), f"id '{entry_id}' is longer than {MAX_ID_CHARS} characters"
        )
    if entry_id == CRISIS_EXPECTATION:
        reader.problem(mapping.line_of("id"), f"id '{CRISIS_EXPECTATION}' is reserved")
    topic = reader.text(mapping, "topic")
    question = reader.text(mapping, "question")
    if question is not None and len(question) > MAX_QUESTION_CHARS:
        reader.problem(
            mapping.line_of("question"), f"question is longer than {MAX_QUESTION_CHARS} characters"
        )
    variants = reader.text_list(mapping, "variants", required=False)
    listed = mapping.get("variants")
    if len(variants) < MIN_VARIANTS and (listed is None or isinstance(listed, LineList)):
        reader.warn(
            mapping.line_of("variants"),
            f"entry '{entry_id}': {len(variants)} variant(s); at least {MIN_VARIANTS} are "
            "recommended, so the matcher knows more ways people ask it",
        )
    answer = reader.text(mapping, "answer")
    evidence = reader.text(mapping, "evidence")
    if evidence is not None and evidence not in EVIDENCE_LEVELS:
        reader.problem(
            mapping.line_of("evidence"), f"evidence must be one of: {', '.join(EVIDENCE_LEVELS)}"
        )
    sourceless = evidence == SOURCELESS_EVIDENCE
    sources = reader.text_list(mapping, "sources", required=not sourceless)
    if "sources" in mapping and not sources and not sourceless:
        reader.problem(mapping.line_of("sources"), "at least one source is needed")
    related = reader.text_list(mapping, "related", required=False)
    note = reader.text(mapping, "note", required=False) if mapping.get("note") is not None else None
    min_score = mapping.get("min_score")
    if min_score is not None and (
        isinstance(min_score, bool)
        or not isinstance(min_score, int | float)
        or not 0 <= min_score <= 100
    ):
        reader.problem(mapping.line_of("min_score"), "min_score must be a number from 0 to 100")
        min_score = None
    if None in (entry_id, topic, question, answer, evidence):
        return None
    if not sources and not sourceless:
        return None
    assert entry_id and topic and question and answer and evidence  # narrowed for type checkers
    return Entry(
        id=entry_id,
        topic=topic,
        question=question,
        variants=tuple(text for text, _ in variants),
        answer=answer,
        sources=tuple(key for key, _ in sources),
        evidence=evidence,
        related=tuple(key for key, _ in related),
        note=note,
        min_score=float(min_score) if min_score is not None else None,
        path=reader.display,
        line=mapping.line_of("id"),
        variant_lines=tuple(line for _, line in variants),
        source_lines=tuple(line for _, line in sources),
        related_lines=tuple(line for _, line in related),
        answer_line=mapping.line_of("answer"),
    )


def _read_sources(
    root: Path, problems: list[Problem], unreadable: list[str]
) -> tuple[dict[str, Source], dict[str, int], str]:
    path = root / "sources.yaml"
    display = _display(path)
    reader = _Reader(display, problems)
    sources: dict[str, Source] = {}
    lines: dict[str, int] = {}
    if not path.exists():
        reader.problem(1, "file missing")
        return sources, lines, display
    data = read_yaml(path, display, problems)
    if data is None:
        unreadable.append(_text_or_empty(path))
        return sources, lines, display
    top = reader.mapping(data, getattr(data, "line", 1), "sources.yaml")
    if top is None:
        return sources, lines, display
    reader.unknown_fields(top, {"sources"}, "sources.yaml")
    table = reader.mapping(top.get("sources"), top.line_of("sources"), "'sources'")
    if table is None:
        return sources, lines, display
    for key, raw in table.items():
        line = table.line_of(key)
        lines[key] = line
        if not _SOURCE_KEY_PATTERN.match(key):
            reader.problem(line, f"source key '{key}' must be lower-case letters, digits and -")
        item = reader.mapping(raw, line, f"source '{key}'")
        if item is None:
            continue
        reader.unknown_fields(item, {"title", "url", "year"}, f"source '{key}'")
        title = reader.text(item, "title")
        url = reader.text(item, "url")
        year = item.get("year")
        if year is not None and (
            not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2100
        ):
            reader.problem(item.line_of("year"), "year must be a four-digit year")
            year = None
        if url is not None and not reader.https_url(url, item.line_of("url")):
            url = None
        if title and url:
            sources[key] = Source(key=key, title=title, url=url, year=year)
    return sources, lines, display


def _read_messages(root: Path, problems: list[Problem]) -> Messages | None:
    path = root / "messages.yaml"
    display = _display(path)
    reader = _Reader(display, problems)
    if not path.exists():
        reader.problem(1, "file missing")
        return None
    data = read_yaml(path, display, problems)
    if data is None:
        return None
    top = reader.mapping(data, getattr(data, "line", 1), "messages.yaml")
    if top is None:
        return None
    simple = ("disclaimer_short", "disclaimer_full", "welcome", "help", "fallback", "suggest_intro")
    reader.unknown_fields(top, {*simple, "crisis"}, "messages.yaml")
    texts = {key: reader.text(top, key) for key in simple}
    short = texts["disclaimer_short"]
    if short is not None and "not medical advice" not in short.lower():
        reader.problem(
            top.line_of("disclaimer_short"), "disclaimer_short must say 'not medical advice'"
        )
    crisis = reader.mapping(top.get("crisis"), top.line_of("crisis"), "'crisis'")
    helplines: list[Helpline] = []
    crisis_text = closing = None
    helper = helper_steps = possible = ""
    if crisis is not None:
        reader.unknown_fields(
            crisis,
            {"text", "helplines", "closing", "helper", "helper_steps", "possible"},
            "'crisis'",
        )
        crisis_text = reader.text(crisis, "text")
        closing = reader.text(crisis, "closing", required=False) or ""
        # Optional, so that older knowledge folders still load: without them the helper's
        # version is the crisis reply and the "possible" line is left out.
        helper = reader.text(crisis, "helper", required=False) or ""
        helper_steps = reader.text(crisis, "helper_steps", required=False) or ""
        possible = reader.text(crisis, "possible", required=False) or ""
        helplines = _read_helplines(crisis, reader, extra=set())
    if any(value is None for value in texts.values()) or crisis_text is None or not helplines:
        return None
    return Messages(
        disclaimer_short=texts["disclaimer_short"] or "",
        disclaimer_full=texts["disclaimer_full"] or "",
        welcome=texts["welcome"] or "",
        help=texts["help"] or "",
        fallback=texts["fallback"] or "",
        suggest_intro=texts["suggest_intro"] or "",
        crisis_text=crisis_text,
        helplines=tuple(helplines),
        crisis_closing=closing or "",
        crisis_helper=helper,
        crisis_helper_steps=helper_steps,
        possible_line=possible,
    )


HELPLINE_EXTRA_FIELDS = {"country", "source", "checked"}


def _read_helplines(parent: LineDict, reader: _Reader, extra: set[str]) -> list[Helpline]:
    """A non-empty list of helplines; `extra` names the optional fields allowed beyond
    name, contact and url (language files record where and when each line was checked)."""
    helplines: list[Helpline] = []
    raw_lines = parent.get("helplines")
    if not isinstance(raw_lines, LineList) or not raw_lines:
        reader.problem(parent.line_of("helplines"), "'helplines' must be a non-empty list")
        return helplines
    for index, raw in enumerate(raw_lines):
        item = reader.mapping(raw, raw_lines.line_of(index), "a helpline")
        if item is None:
            continue
        reader.unknown_fields(item, {"name", "contact", "url", *extra}, "a helpline")
        name = reader.text(item, "name")
        contact = reader.text(item, "contact")
        url = reader.text(item, "url", required=False) if item.get("url") is not None else None
        if url is not None and not reader.https_url(url, item.line_of("url")):
            url = None
        found: dict[str, str | None] = {}
        for key in extra:
            value = item.get(key)
            found[key] = None if value is None else str(value).strip() or None
        # Where the line was checked: free text (a note may follow), but it must name a page.
        if found.get("source") and not re.search(r"https?://\S+\.\S+", found["source"] or ""):
            reader.problem(item.line_of("source"), "'source' must give the address of a page")
            found["source"] = None
        if name and contact:
            helplines.append(Helpline(name=name, contact=contact, url=url, **found))
    return helplines


def _read_safety(
    root: Path, problems: list[Problem]
) -> tuple[SafetyRules | None, list[tuple[str, int]], str]:
    path = root / "safety.yaml"
    display = _display(path)
    reader = _Reader(display, problems)
    advice_targets: list[tuple[str, int]] = []
    if not path.exists():
        reader.problem(1, "file missing")
        return None, advice_targets, display
    data = read_yaml(path, display, problems)
    if data is None:
        return None, advice_targets, display
    top = reader.mapping(data, getattr(data, "line", 1), "safety.yaml")
    if top is None:
        return None, advice_targets, display
    reader.unknown_fields(top, {"crisis", "advice", "subject"}, "safety.yaml")

    def patterns(parent: LineDict, key: str, required: bool) -> tuple[re.Pattern[str], ...]:
        raw = parent.get(key)
        if raw is None:
            if required:
                reader.problem(parent.line, f"missing field '{key}'")
            return ()
        if not isinstance(raw, LineList):
            reader.problem(parent.line_of(key), f"'{key}' must be a list of patterns")
            return ()
        compiled = (reader.regex(item, raw.line_of(index)) for index, item in enumerate(raw))
        return tuple(pattern for pattern in compiled if pattern is not None)

    crisis = reader.mapping(top.get("crisis"), top.line_of("crisis"), "'crisis'")
    if crisis is None:
        return None, advice_targets, display
    reader.unknown_fields(
        crisis,
        {
            "patterns",
            "exclude",
            "always",
            "families",
            "mentions",
            "ignore",
            "keywords",
            "words",
            "cues",
        },
        "'crisis'",
    )
    words = _read_words(crisis, reader)

    def rules(parent: LineDict, key: str) -> tuple[re.Pattern[str], ...]:
        """Patterns with `{NAME}` fragments from `words` filled in before compiling."""
        raw = parent.get(key)
        if raw is None:
            return ()
        if not isinstance(raw, LineList):
            reader.problem(parent.line_of(key), f"'{key}' must be a list of patterns")
            return ()
        compiled = []
        for index, item in enumerate(raw):
            line = raw.line_of(index)
            if isinstance(item, str):
                missing = [name for name in _FRAGMENT.findall(item) if name not in words]
                if missing:
                    reader.problem(line, f"unknown word fragment {{{missing[0]}}}")
                    continue
                item = _FRAGMENT.sub(lambda found: words[found.group(1)], item)
            pattern = reader.regex(item, line)
            if pattern is not None:
                compiled.append(pattern)
        return tuple(compiled)

    families: list[RiskFamily] = []
    for item in reader.mappings(crisis, "families", "a family"):
        reader.unknown_fields(item, {"family", "tier", "patterns"}, "a family")
        name = reader.text(item, "family")
        tier = reader.text(item, "tier")
        if tier is not None and tier not in RISK_TIERS:
            reader.problem(item.line_of("tier"), f"'tier' must be one of {', '.join(RISK_TIERS)}")
            tier = None
        if "patterns" not in item:
            reader.problem(item.line, "missing field 'patterns'")
        compiled_family = rules(item, "patterns")
        if name and tier:
            families.append(RiskFamily(name=name, tier=tier, patterns=compiled_family))
    keywords = [word for word, _ in reader.text_list(crisis, "keywords", required=False)]
    cues: list[tuple[str, re.Pattern[str]]] = []
    cues_at = 0
    cues_skip = None
    if crisis.get("cues") is not None:
        raw_cues = reader.mapping(crisis["cues"], crisis.line_of("cues"), "'cues'")
        if raw_cues is not None:
            reader.unknown_fields(raw_cues, {"at", "skip", "kinds"}, "'cues'")
            at = raw_cues.get("at")
            if not isinstance(at, int) or isinstance(at, bool) or at < 2:
                reader.problem(raw_cues.line_of("at"), "'at' must be a whole number, 2 or more")
            else:
                cues_at = at
            if raw_cues.get("skip") is not None:
                cues_skip = reader.regex(raw_cues["skip"], raw_cues.line_of("skip"))
            kinds = reader.mapping(raw_cues.get("kinds"), raw_cues.line_of("kinds"), "'kinds'")
            for name in kinds or {}:
                assert kinds is not None
                pattern = reader.regex(kinds[name], kinds.line_of(name))
                if pattern is not None:
                    cues.append((str(name), pattern))
    advice_rules: list[AdviceRule] = []
    for item in reader.mappings(top, "advice", "an advice rule"):
        reader.unknown_fields(item, {"entry", "patterns"}, "an advice rule")
        target = reader.text(item, "entry")
        compiled = patterns(item, "patterns", True)
        if target:
            advice_targets.append((target, item.line_of("entry")))
            advice_rules.append(AdviceRule(entry=target, patterns=compiled))
    subject = None
    if top.get("subject") is not None:
        subject = reader.regex(top["subject"], top.line_of("subject"))
    safety = SafetyRules(
        crisis=rules(crisis, "patterns"),
        crisis_exclude=rules(crisis, "exclude"),
        crisis_always=rules(crisis, "always"),
        advice=tuple(advice_rules),
        subject=subject,
        families=tuple(families),
        mentions=rules(crisis, "mentions"),
        ignore=rules(crisis, "ignore"),
        keywords=tuple(normalize(word) for word in keywords),
        cues=tuple(cues),
        cues_at=cues_at,
        cues_skip=cues_skip,
    )
    if not (safety.crisis or safety.crisis_always or safety.families):
        reader.problem(crisis.line, "no crisis rules: give 'families' (or 'patterns')")
    return safety, advice_targets, display


_FRAGMENT = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")  # never a quantifier: those hold digits


def _read_words(crisis: LineDict, reader: _Reader) -> dict[str, str]:
    """Named pattern fragments (`I: '(i|im|ive)'`), written once and used as `{I}`."""
    raw = crisis.get("words")
    if raw is None:
        return {}
    mapping = reader.mapping(raw, crisis.line_of("words"), "'words'")
    if mapping is None:
        return {}
    words: dict[str, str] = {}
    for name in mapping:
        value = mapping[name]
        if not isinstance(name, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            reader.problem(mapping.line_of(name), f"word name '{name}' must be UPPER_CASE")
        elif not isinstance(value, str) or not value.strip():
            reader.problem(mapping.line_of(name), f"word '{name}' must be a non-empty pattern")
        elif reader.regex(value, mapping.line_of(name)) is not None:
            words[name] = f"(?:{value})"
    return words


def _read_synonyms(root: Path, problems: list[Problem]) -> dict[str, str]:
    """Optional synonyms.yaml: groups of words the matcher treats as one; the first names it."""
    path = root / "synonyms.yaml"
    if not path.exists():
        return {}
    display = _display(path)
    reader = _Reader(display, problems)
    data = read_yaml(path, display, problems)
    top = (
        reader.mapping(data, getattr(data, "line", 1), "synonyms.yaml")
        if data is not None
        else None
    )
    if top is None:
        return {}
    reader.unknown_fields(top, {"synonyms"}, "synonyms.yaml")
    groups = top.get("synonyms")
    if not isinstance(groups, LineList):
        reader.problem(top.line_of("synonyms"), "'synonyms' must be a list of word lists")
        return {}
    mapping: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for index, group in enumerate(groups):
        line = groups.line_of(index)
        if not isinstance(group, LineList) or len(group) < 2:
            reader.problem(line, "a synonym group is a list of at least two words")
            continue
        canonical: str | None = None
        for position, word in enumerate(group):
            word_line = group.line_of(position)
            one_word = isinstance(word, str) and len(word.split()) == 1
            terms = content_terms(normalize(word)) if one_word else []
            if len(terms) != 1:
                reader.problem(
                    word_line, f"'{word}' must be one meaningful word (not a stopword or a phrase)"
                )
                continue
            term = terms[0]
            canonical = canonical or term
            if term in first_line and mapping.get(term) != canonical:
                reader.problem(
                    word_line, f"'{word}' is already in the group at line {first_line[term]}"
                )
                continue
            first_line.setdefault(term, line)
            if term != canonical:
                mapping[term] = canonical
    return mapping


def _read_languages(root: Path, problems: list[Problem]) -> dict[str, Language]:
    """Optional knowledge/languages/*.yaml: every file complete, or the folder does not load."""
    languages: dict[str, Language] = {}
    folder = root / "languages"
    if not folder.is_dir():
        return languages
    for path in sorted(folder.glob("*.yaml")):
        language = _read_language(path, problems)
        if language is not None:
            languages[language.code] = language
    return languages


def _read_language(path: Path, problems: list[Problem]) -> Language | None:
    display = _display(path)
    reader = _Reader(display, problems)
    data = read_yaml(path, display, problems)
    if data is None:
        return None
    top = reader.mapping(data, getattr(data, "line", 1), path.name)
    if top is None:
        return None
    reader.unknown_fields(
        top, {"code", "name", "markers", "patterns", "texts", "helplines"}, path.name
    )
    code = reader.text(top, "code")
    name = reader.text(top, "name")
    if code is not None and (not re.fullmatch(r"[a-z]{2}", code) or code == "en"):
        reader.problem(top.line_of("code"), f"'code' must be a two-letter ISO 639-1 code: {code}")
        code = None
    if code is not None and code != path.stem:
        reader.problem(top.line_of("code"), f"'code' {code} differs from the file name")
    markers = frozenset(normalize(word) for word, _ in reader.text_list(top, "markers"))
    if "markers" in top and not markers:
        reader.problem(top.line_of("markers"), "'markers' must list some words")
    patterns: dict[str, tuple[re.Pattern[str], ...]] = {tier: () for tier in LANGUAGE_TIERS}
    raw_patterns = reader.mapping(top.get("patterns"), top.line_of("patterns"), "'patterns'")
    if raw_patterns is not None:
        reader.unknown_fields(raw_patterns, set(LANGUAGE_TIERS), "'patterns'")
        for tier in LANGUAGE_TIERS:
            raw = raw_patterns.get(tier)
            if raw is None:
                continue
            if not isinstance(raw, LineList):
                reader.problem(raw_patterns.line_of(tier), f"'{tier}' must be a list of patterns")
                continue
            compiled = (reader.regex(item, raw.line_of(index)) for index, item in enumerate(raw))
            patterns[tier] = tuple(pattern for pattern in compiled if pattern is not None)
        if not patterns["crisis"]:
            reader.problem(raw_patterns.line, "'patterns' needs at least one 'crisis' pattern")
    texts: dict[str, str] = {}
    raw_texts = reader.mapping(top.get("texts"), top.line_of("texts"), "'texts'")
    if raw_texts is not None:
        reader.unknown_fields(raw_texts, set(LANGUAGE_TEXTS), "'texts'")
        for key in LANGUAGE_TEXTS:
            value = reader.text(raw_texts, key)
            if value is not None:
                texts[key] = value
    helplines = _read_helplines(top, reader, extra=HELPLINE_EXTRA_FIELDS)
    if helplines and not any(
        INTERNATIONAL_DIRECTORY in f"{line.url or ''} {line.contact}" for line in helplines
    ):
        reader.problem(
            top.line_of("helplines"), f"'helplines' must include {INTERNATIONAL_DIRECTORY}"
        )
    if helplines and not any(_EMERGENCY_NUMBER.search(line.contact) for line in helplines):
        reader.problem(top.line_of("helplines"), "'helplines' must give an emergency number")
    if code is None or name is None or len(texts) < len(LANGUAGE_TEXTS) or not helplines:
        return None
    return Language(
        code=code,
        name=name,
        markers=markers,
        patterns=patterns,
        texts=texts,
        helplines=tuple(helplines),
    )


def ordered(problems: list[Problem]) -> list[Problem]:
    """Syntax errors first (they explain much of the rest), then by file and line."""
    return sorted(problems, key=lambda p: (not p.message.startswith("YAML syntax"), p.path, p.line))


def load_knowledge(directory: str | os.PathLike[str]) -> Knowledge:
    """Read and check the whole knowledge folder; raise KnowledgeError listing every problem."""
    root = knowledge_dir(directory)
    problems: list[Problem] = []
    unreadable_faq: list[str] = []
    unreadable_sources: list[str] = []
    warnings: list[Problem] = []
    entries = _read_entries(root, problems, unreadable_faq, warnings)
    sources, source_lines, sources_display = _read_sources(root, problems, unreadable_sources)
    messages = _read_messages(root, problems)
    safety, advice_targets, safety_display = _read_safety(root, problems)
    synonyms = _read_synonyms(root, problems)
    languages = _read_languages(root, problems)
    _check_references(
        entries,
        sources,
        source_lines,
        sources_display,
        problems,
        unreadable_faq=unreadable_faq,
        unreadable_sources=unreadable_sources,
    )
    ids = {entry.id for entry in entries}
    for target, line in advice_targets:
        if target not in ids and not _mentioned(target, unreadable_faq):
            problems.append(
                Problem(safety_display, line, f"advice rule points to unknown entry '{target}'")
            )
    if problems or messages is None or safety is None:
        raise KnowledgeError(
            ordered(problems) or [Problem(str(root), 1, "knowledge is incomplete")], warnings
        )
    return Knowledge(
        entries=tuple(entries),
        sources=sources,
        messages=messages,
        safety=safety,
        directory=root,
        synonyms=synonyms,
        warnings=tuple(warnings),
        languages=languages,
    )


def _check_references(
    entries: list[Entry],
    sources: dict[str, Source],
    source_lines: dict[str, int],
    sources_display: str,
    problems: list[Problem],
    *,
    unreadable_faq: Sequence[str] = (),
    unreadable_sources: Sequence[str] = (),
) -> None:
    seen: dict[str, Entry] = {}
    # In file-name order, then line: the later of two entries with one id is the duplicate.
    for entry in sorted(entries, key=lambda e: (e.path, e.line)):
        if entry.id in seen:
            first = seen[entry.id]
            problems.append(
                Problem(
                    entry.path,
                    entry.line,
                    f"duplicate id '{entry.id}': already the id of the entry at "
                    f"{first.path}:{first.line}; rename this one",
                )
            )
        else:
            seen[entry.id] = entry
    cited: set[str] = set()
    for entry in entries:
        for key, line in zip(entry.sources, entry.source_lines, strict=True):
            cited.add(key)
            if (
                key not in sources
                and key not in source_lines
                and not _mentioned(key, unreadable_sources)
            ):
                problems.append(
                    Problem(entry.path, line, f"entry '{entry.id}': unknown source '{key}'")
                )
        for key, line in zip(entry.related, entry.related_lines, strict=True):
            if key not in seen:
                if _mentioned(key, unreadable_faq):
                    continue
                problems.append(
                    Problem(entry.path, line, f"entry '{entry.id}': unknown related entry '{key}'")
                )
            elif key == entry.id:
                problems.append(
                    Problem(entry.path, line, f"entry '{entry.id}' lists itself as related")
                )
    for key, line in source_lines.items():
        if key not in cited and not _mentioned(key, unreadable_faq):
            problems.append(
                Problem(sources_display, line, f"source '{key}' is not cited by any entry")
            )


def load_eval(path: str | os.PathLike[str], known_ids: set[str] | None = None) -> EvalSet:
    """Read eval.yaml; with `known_ids`, every expected id must exist."""
    file = Path(path)
    display = str(file)
    problems: list[Problem] = []
    reader = _Reader(display, problems)
    if not file.exists():
        raise KnowledgeError([Problem(display, 1, "file missing")])
    data = read_yaml(file, display, problems)
    top = (
        reader.mapping(data, getattr(data, "line", 1), "an eval file") if data is not None else None
    )
    cases: list[EvalCase] = []
    min_accuracy = 0.0
    if top is not None:
        reader.unknown_fields(top, {"min_accuracy", "cases"}, "an eval file")
        raw_min = top.get("min_accuracy", 0.0)
        if (
            isinstance(raw_min, bool)
            or not isinstance(raw_min, int | float)
            or not 0 <= raw_min <= 1
        ):
            reader.problem(top.line_of("min_accuracy"), "min_accuracy must be a number from 0 to 1")
        else:
            min_accuracy = float(raw_min)
        raw_cases = top.get("cases")
        if not isinstance(raw_cases, LineList) or not raw_cases:
            reader.problem(top.line_of("cases"), "'cases' must be a non-empty list")
        else:
            for index, raw in enumerate(raw_cases):
                line = raw_cases.line_of(index)
                item = reader.mapping(raw, line, "a case")
                if item is None:
                    continue
                reader.unknown_fields(item, {"q", "expect"}, "a case")
                question = reader.text(item, "q")
                if "expect" not in item:
                    reader.problem(
                        line, "missing field 'expect' (an entry id, a list of ids, crisis, or null)"
                    )
                    continue
                raw_expect = item["expect"]
                # A list names several entries that are all right answers (a question that
                # two entries answer equally well); crisis and null stay single values.
                expects = raw_expect if isinstance(raw_expect, list) else [raw_expect]
                valid = bool(expects) and (
                    all(isinstance(e, str) and e and e != CRISIS_EXPECTATION for e in expects)
                    if isinstance(raw_expect, list)
                    else raw_expect is None or isinstance(raw_expect, str)
                )
                if not valid:
                    reader.problem(
                        item.line_of("expect"),
                        "'expect' must be an entry id, a list of entry ids, crisis, or null",
                    )
                    continue
                for expect in expects:
                    if (
                        known_ids is not None
                        and expect not in (None, CRISIS_EXPECTATION)
                        and expect not in known_ids
                    ):
                        reader.problem(item.line_of("expect"), f"unknown entry '{expect}'")
                if question:
                    cases.append(
                        EvalCase(
                            question=question,
                            expect=expects[0],
                            line=line,
                            alternatives=tuple(expects[1:]),
                        )
                    )
    if problems:
        raise KnowledgeError(problems)
    return EvalSet(cases=tuple(cases), min_accuracy=min_accuracy, path=display)
