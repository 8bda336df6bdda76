"""The knowledge folder (YAML) turned into typed, validated data.

Every problem is collected, not only the first, and reported as `path:line: message`.
Checks that need the matcher or the renderer (collisions, rendered length) live in
`validate.py`; this module knows only the files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.text import content_terms, normalize
from bot.yamlsource import LineDict, LineList, Problem, read_yaml

REPO_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
EVIDENCE_LEVELS: tuple[str, ...] = (
    "review",
    "human-trial",
    "animal-study",
    "regulatory",
    "consensus",
)
EVIDENCE_LABELS: dict[str, str] = {
    "review": "review of studies",
    "human-trial": "human trial(s)",
    "animal-study": "animal studies only",
    "regulatory": "regulator's label or decision",
    "consensus": "expert consensus",
}
CRISIS_EXPECTATION = "crisis"  # reserved in eval.yaml; no entry may use it as an id
MIN_VARIANTS = 5
MAX_QUESTION_CHARS = 200
MAX_ID_CHARS = 60  # ids travel in Telegram button data (64 bytes) and /start links
_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SOURCE_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")

ENTRY_FIELDS = {
    "id": True,
    "topic": True,
    "question": True,
    "variants": True,
    "answer": True,
    "sources": True,
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

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.variants)


@dataclass(frozen=True)
class Helpline:
    name: str
    contact: str
    url: str | None = None


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


@dataclass(frozen=True)
class AdviceRule:
    entry: str
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class SafetyRules:
    crisis: tuple[re.Pattern[str], ...]
    crisis_exclude: tuple[re.Pattern[str], ...] = ()
    crisis_always: tuple[re.Pattern[str], ...] = ()
    advice: tuple[AdviceRule, ...] = ()
    subject: re.Pattern[str] | None = None


@dataclass(frozen=True)
class EvalCase:
    question: str
    expect: str | None  # an entry id, None (no answer), or CRISIS_EXPECTATION
    line: int = 0


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
    """The knowledge folder has problems; all of them are in `problems`."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def knowledge_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--knowledge DIR first, then KNOWLEDGE_DIR, then the repo's own knowledge/."""
    chosen = explicit or os.environ.get("KNOWLEDGE_DIR") or REPO_KNOWLEDGE_DIR
    return Path(chosen)


class _Reader:
    """Collects problems while turning one file's parsed YAML into typed values."""

    def __init__(self, display: str, problems: list[Problem]) -> None:
        self.display = display
        self.problems = problems

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.display, line, message))

    def mapping(self, value: Any, line: int, what: str) -> LineDict | None:
        if isinstance(value, LineDict):
            return value
        self.problem(line, f"{what} must be a mapping")
        return None

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


def _read_entries(root: Path, problems: list[Problem]) -> list[Entry]:
    faq_dir = root / "faq"
    files = sorted(faq_dir.glob("*.yaml")) + sorted(faq_dir.glob("*.yml"))
    if not files:
        problems.append(Problem(_display(faq_dir), 1, "no FAQ files (faq/*.yaml)"))
    entries: list[Entry] = []
    for path in files:
        display = _display(path)
        reader = _Reader(display, problems)
        data = read_yaml(path, display, problems)
        if data is None:
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
    variants = reader.text_list(mapping, "variants")
    if "variants" in mapping and len(variants) < MIN_VARIANTS:
        reader.problem(
            mapping.line_of("variants"),
            f"at least {MIN_VARIANTS} variants are needed, found {len(variants)}",
        )
    answer = reader.text(mapping, "answer")
    sources = reader.text_list(mapping, "sources")
    if "sources" in mapping and not sources:
        reader.problem(mapping.line_of("sources"), "at least one source is needed")
    evidence = reader.text(mapping, "evidence")
    if evidence is not None and evidence not in EVIDENCE_LEVELS:
        reader.problem(
            mapping.line_of("evidence"), f"evidence must be one of: {', '.join(EVIDENCE_LEVELS)}"
        )
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
    if None in (entry_id, topic, question, answer, evidence) or not variants or not sources:
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
    )


def _read_sources(
    root: Path, problems: list[Problem]
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
    if crisis is not None:
        reader.unknown_fields(crisis, {"text", "helplines", "closing"}, "'crisis'")
        crisis_text = reader.text(crisis, "text")
        closing = reader.text(crisis, "closing", required=False) or ""
        raw_lines = crisis.get("helplines")
        if not isinstance(raw_lines, LineList) or not raw_lines:
            reader.problem(crisis.line_of("helplines"), "'helplines' must be a non-empty list")
        else:
            for index, raw in enumerate(raw_lines):
                item = reader.mapping(raw, raw_lines.line_of(index), "a helpline")
                if item is None:
                    continue
                reader.unknown_fields(item, {"name", "contact", "url"}, "a helpline")
                name = reader.text(item, "name")
                contact = reader.text(item, "contact")
                url = (
                    reader.text(item, "url", required=False)
                    if item.get("url") is not None
                    else None
                )
                if url is not None and not reader.https_url(url, item.line_of("url")):
                    url = None
                if name and contact:
                    helplines.append(Helpline(name=name, contact=contact, url=url))
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
    )


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
    reader.unknown_fields(crisis, {"patterns", "exclude", "always"}, "'crisis'")
    rules: list[AdviceRule] = []
    raw_advice = top.get("advice") or LineList()
    if not isinstance(raw_advice, LineList):
        reader.problem(top.line_of("advice"), "'advice' must be a list")
        raw_advice = LineList()
    for index, raw in enumerate(raw_advice):
        item = reader.mapping(raw, raw_advice.line_of(index), "an advice rule")
        if item is None:
            continue
        reader.unknown_fields(item, {"entry", "patterns"}, "an advice rule")
        target = reader.text(item, "entry")
        compiled = patterns(item, "patterns", True)
        if target:
            advice_targets.append((target, item.line_of("entry")))
            rules.append(AdviceRule(entry=target, patterns=compiled))
    subject = None
    if top.get("subject") is not None:
        subject = reader.regex(top["subject"], top.line_of("subject"))
    safety = SafetyRules(
        crisis=patterns(crisis, "patterns", True),
        crisis_exclude=patterns(crisis, "exclude", False),
        crisis_always=patterns(crisis, "always", False),
        advice=tuple(rules),
        subject=subject,
    )
    return safety, advice_targets, display


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


def load_knowledge(directory: str | os.PathLike[str] | None = None) -> Knowledge:
    """Read and check the whole knowledge folder; raise KnowledgeError listing every problem."""
    root = knowledge_dir(directory)
    problems: list[Problem] = []
    if not root.is_dir():
        raise KnowledgeError([Problem(str(root), 1, "knowledge folder not found")])
    entries = _read_entries(root, problems)
    sources, source_lines, sources_display = _read_sources(root, problems)
    messages = _read_messages(root, problems)
    safety, advice_targets, safety_display = _read_safety(root, problems)
    synonyms = _read_synonyms(root, problems)
    _check_references(entries, sources, source_lines, sources_display, problems)
    ids = {entry.id for entry in entries}
    for target, line in advice_targets:
        if target not in ids:
            problems.append(
                Problem(safety_display, line, f"advice rule points to unknown entry '{target}'")
            )
    if problems or messages is None or safety is None:
        raise KnowledgeError(problems or [Problem(str(root), 1, "knowledge is incomplete")])
    return Knowledge(
        entries=tuple(entries),
        sources=sources,
        messages=messages,
        safety=safety,
        directory=root,
        synonyms=synonyms,
    )


def _check_references(
    entries: list[Entry],
    sources: dict[str, Source],
    source_lines: dict[str, int],
    sources_display: str,
    problems: list[Problem],
) -> None:
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in seen:
            first = seen[entry.id]
            problems.append(
                Problem(
                    entry.path,
                    entry.line,
                    f"duplicate id '{entry.id}' (first at {first.path}:{first.line})",
                )
            )
        else:
            seen[entry.id] = entry
    cited: set[str] = set()
    for entry in entries:
        for key, line in zip(entry.sources, entry.source_lines, strict=True):
            cited.add(key)
            if key not in sources and key not in source_lines:
                problems.append(
                    Problem(entry.path, line, f"entry '{entry.id}': unknown source '{key}'")
                )
        for key, line in zip(entry.related, entry.related_lines, strict=True):
            if key not in seen:
                problems.append(
                    Problem(entry.path, line, f"entry '{entry.id}': unknown related entry '{key}'")
                )
            elif key == entry.id:
                problems.append(
                    Problem(entry.path, line, f"entry '{entry.id}' lists itself as related")
                )
    for key, line in source_lines.items():
        if key not in cited:
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
                    reader.problem(line, "missing field 'expect' (an entry id, crisis, or null)")
                    continue
                expect = item["expect"]
                if expect is not None and not isinstance(expect, str):
                    reader.problem(
                        item.line_of("expect"), "'expect' must be an entry id, crisis, or null"
                    )
                    continue
                if (
                    known_ids is not None
                    and expect not in (None, CRISIS_EXPECTATION)
                    and expect not in known_ids
                ):
                    reader.problem(item.line_of("expect"), f"unknown entry '{expect}'")
                if question:
                    cases.append(EvalCase(question=question, expect=expect, line=line))
    if problems:
        raise KnowledgeError(problems)
    return EvalSet(cases=tuple(cases), min_accuracy=min_accuracy, path=display)
