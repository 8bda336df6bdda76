"""Screening that runs before matching: suicide and self-harm risk, and requests for personal
advice.

Risk has two tiers (bot.risk.Risk): "crisis" for clear first-person risk (or someone else's,
which gets the helpers' version), "possible" for ambiguous wording. How a message is read:
1. normalised, and key words read through a typo ("kill myelf" -> "kill myself");
2. idioms and negations (`ignore`: "dying of laughter", "i would never hurt myself") cut out,
   so they can neither raise an alarm nor hide a real statement elsewhere in the message;
3. the families of rules tried: crisis and possible families are never cancelled by an
   exclusion; only bare mentions of suicide (`mentions`, the old `patterns`) can be;
4. every language's patterns tried as well, so a crisis in any language gets help in it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from bot.knowledge import Language, SafetyRules
from bot.languages import ENGLISH_MARKERS, Detector
from bot.risk import Risk
from bot.text import normalize

_FIRST_PERSON = re.compile(r"\b(i|im|ive|id|ill|me|my|myself|mine)\b")
# Someone the writer knows: "my aunt", "a friend of mine", "my best friend's sister".
_KNOWN_PERSON = re.compile(
    r"\b(my|our|a|one of my) (\w+ )?(friend|friends|bff|mate|pal|buddy|brother|sister|sibling|son|"
    r"daughter|mom|mum|mother|dad|father|parent|partner|boyfriend|girlfriend|bf|gf|wife|husband|"
    r"fiance|fiancee|roommate|flatmate|housemate|cousin|aunt|uncle|grandma|grandpa|grandmother|"
    r"grandfather|kid|child|teen|teenager|student|colleague|coworker|classmate|neighbour|neighbor|"
    r"nephew|niece|stepdad|stepmom|stepmum|ex)\b"
)
_SHIFT = {
    "he": "i",
    "she": "i",
    "they": "i",
    "him": "me",
    "her": "my",
    "them": "me",
    "his": "my",
    "their": "my",
    "hers": "mine",
    "himself": "myself",
    "herself": "myself",
    "themselves": "myself",
    "themself": "myself",
    "hes": "im",
    "shes": "im",
    "theyre": "im",
    "hed": "id",
    "shed": "id",
    "theyd": "id",
    "hell": "ill",
    "shell": "ill",
    "wants": "want",
    "has": "have",
    "is": "am",
    "keeps": "keep",
    "says": "say",
    "doesnt": "dont",
    "does": "do",
    "feels": "feel",
    "thinks": "think",
    "needs": "need",
    "wishes": "wish",
    "isnt": "am not",
}
_PAST_DEATH = re.compile(
    r"(?<!tried to )(?<!almost )(?<!nearly )\b(killed|hanged|hung|shot|drowned|poisoned) myself\b"
    r"|\b(took|ended) my (own )?life\b|\bdied\b|\bcommitted suicide\b"
)


def _shift(text: str) -> str:
    """Third person to first: "she wants to die" -> "i want to die"."""
    words = text.split()
    shifted = [_SHIFT.get(word, word) for word in words]
    # "he s going", "she d rather": the contraction's letter after the pronoun
    return " ".join(shifted).replace("i s ", "im ").replace("i d ", "id ")


_ORDER = {Risk.NONE: 0, Risk.POSSIBLE: 1, Risk.CRISIS: 2}
MIN_FUZZY_CHARS = 5  # shorter words have too many real neighbours (kill: bill, fill, will)
MAX_SPELLINGS = 20_000
MAX_TYPOS = 2  # for key words of 8 letters or more; shorter ones allow one
# Real words one or two edits from a key word, never "mended" into it.
REAL_WORDS = frozenset({"overdone", "overrode", "overdue", "suicides", "itself"})


@dataclass(frozen=True)
class Screening:
    """What the screen found. `advice_entry` names the entry that answers an advice request;
    `language` is the message's language when it is not English (a code of knowledge/languages);
    `family` names the first family that fired, for the development figures."""

    risk: Risk = Risk.NONE
    about_other: bool = False
    language: str | None = None
    advice_entry: str | None = None
    family: str | None = None

    @property
    def crisis(self) -> bool:
        return self.risk is Risk.CRISIS


_GLOBAL_FLAGS = re.compile(r"\s*\(\?[aiLmsux]+\)")


class _AnyOf:
    """Does any of the patterns match? One alternation, so a single search per message; a
    pattern that cannot join one (a global inline flag such as "(?x)") is tried on its own."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self._alone: list[re.Pattern[str]] = []
        joinable: list[str] = []
        for pattern in patterns:
            # Only a global inline flag, which must open the whole expression, stops a pattern
            # (already compiled on its own) from joining: checked by its text, not compiled
            # twice more (with ~1,500 patterns that was most of the start-up).
            if _GLOBAL_FLAGS.match(pattern.pattern):
                self._alone.append(pattern)
            else:
                joinable.append(f"(?:{pattern.pattern})")
        self._joined = re.compile("|".join(joinable), re.IGNORECASE) if joinable else None

    def search(self, text: str) -> bool:
        if self._joined is not None and self._joined.search(text):
            return True
        return any(pattern.search(text) for pattern in self._alone)

    def cut(self, text: str) -> str:
        """The text with every match blanked out (a space keeps the words apart)."""
        if self._joined is not None:
            text = self._joined.sub(" ", text)
        for pattern in self._alone:
            text = pattern.sub(" ", text)
        return text


class _Tiers:
    """One language's (or English's) rules by tier: crisis, possible, someone else."""

    def __init__(
        self,
        crisis: Sequence[tuple[str, re.Pattern[str]]],
        possible: Sequence[tuple[str, re.Pattern[str]]],
        other: Sequence[tuple[str, re.Pattern[str]]],
    ) -> None:
        self.crisis = _AnyOf([pattern for _, pattern in crisis])
        self.possible = _AnyOf([pattern for _, pattern in possible])
        self.other = _AnyOf([pattern for _, pattern in other])
        self._named = {"crisis": list(crisis), "possible": list(possible), "other": list(other)}

    def read(self, text: str) -> tuple[Risk, bool, str | None]:
        """(risk, about someone else, family). Someone else's risk is cut out first, so "my
        sister wants to kill herself" is not read as the writer's own words; the writer's own
        risk, anywhere in the rest, wins."""
        own = self.other.cut(text) if self.other.search(text) else text
        if self.crisis.search(own):
            return Risk.CRISIS, False, self._family("crisis", own)
        if own != text:
            return Risk.CRISIS, True, self._family("other", text)
        if self.possible.search(text):
            return Risk.POSSIBLE, False, self._family("possible", text)
        return Risk.NONE, False, None

    def _family(self, tier: str, text: str) -> str | None:
        """The family of the first rule of `tier` that matches: a second pass, only for the
        rare message that fired, so that reports can say which family caught it."""
        return next((name for name, p in self._named[tier] if p.search(text)), None)


class Screener:
    def __init__(self, rules: SafetyRules, languages: dict[str, Language] | None = None) -> None:
        self.rules = rules
        self._crisis = _AnyOf(rules.crisis)
        self._exclude = _AnyOf(rules.crisis_exclude)
        self._always = _AnyOf(rules.crisis_always)
        self._mentions = _AnyOf(rules.mentions)
        self._ignore = _AnyOf(rules.ignore)
        self._advice = [(rule.entry, _AnyOf(rule.patterns)) for rule in rules.advice]
        self._keywords = tuple(rules.keywords)
        self._spellings: dict[str, str] = {}
        by_tier: dict[str, list[tuple[str, re.Pattern[str]]]] = {
            "crisis": [("always", p) for p in rules.crisis_always],
            "possible": [],
            "other": [],
        }
        for family in rules.families:
            by_tier[family.tier].extend((family.name, p) for p in family.patterns)
        self._english = _Tiers(by_tier["crisis"], by_tier["possible"], by_tier["other"])
        self.languages = dict(languages or {})
        self._detector = Detector(self.languages)
        self._foreign = {
            code: _Tiers(
                [(code, p) for p in lang.patterns.get("crisis", ())],
                [(code, p) for p in lang.patterns.get("possible", ())],
                [(code, p) for p in lang.patterns.get("other", ())],
            )
            for code, lang in self.languages.items()
        }

    def _spelled(self, word: str) -> str:
        """A key word when `word` is one typo away from it (two for long words), else `word`."""
        known = self._spellings.get(word)
        if known is not None:
            return known
        spelled = word
        if (
            len(word) >= MIN_FUZZY_CHARS
            and word.isascii()
            and word not in ENGLISH_MARKERS
            and word not in REAL_WORDS
            and word not in self._keywords
        ):
            # The nearest key word within reach; a swap of two letters is one typo ("myslef").
            best = MAX_TYPOS + 1
            for keyword in self._keywords:
                allowed = 1 if len(keyword) < 8 else MAX_TYPOS
                if abs(len(keyword) - len(word)) > allowed:
                    continue
                distance = OSA.distance(word, keyword, score_cutoff=allowed)
                if distance <= allowed and distance < best:
                    spelled, best = keyword, distance
        if len(self._spellings) < MAX_SPELLINGS:  # bounded: messages bring endless new words
            self._spellings[word] = spelled
        return spelled

    def prepare(self, text: str) -> str:
        """The English rules' view of a message: normalised, typos of key words mended, idioms
        and negations cut out."""
        normalized = normalize(text)
        if self._keywords:
            normalized = " ".join(self._spelled(word) for word in normalized.split())
        cleaned = self._ignore.cut(normalized) if self._ignore.search(normalized) else normalized
        return " ".join(cleaned.split())

    def english_risk(self, prepared: str, english: bool = True) -> tuple[Risk, bool, str | None]:
        """The English rules' verdict. For a message in another language only the families
        run: a bare mention ("suicidio") or risk words are that language's patterns' to read."""
        risk, other, family = self._english.read(prepared)
        if not english:
            return risk, other, family
        if (
            risk is Risk.NONE
            and self._crisis.search(prepared)
            and not self._exclude.search(prepared)
        ):
            # The older single-tier rules: a mention is a crisis unless a research question.
            return Risk.CRISIS, False, "patterns"
        known = _KNOWN_PERSON.search(prepared) if risk is not Risk.CRISIS else None
        if known is not None:
            # Someone the writer knows, in words the other-person rules do not name: read what
            # is said of them as if said in the first person ("my aunt says she'd rather be
            # dead" -> "... i d rather be dead"). Deaths already past are news, not a crisis.
            shifted = _PAST_DEATH.sub(" ", _shift(prepared[known.end() :]))
            if self._english.crisis.search(shifted):
                return Risk.CRISIS, True, "other-as-first-person"
        mentioned = risk is Risk.NONE and self._mentions.search(prepared)
        if mentioned and not self._exclude.search(prepared):
            return Risk.POSSIBLE, False, "mentions"
        if risk is Risk.NONE and self.cue_count(prepared) >= self.rules.cues_at > 0:
            return Risk.POSSIBLE, False, "cues"
        return risk, other, family

    def cue_count(self, prepared: str) -> int:
        """How many risk words a first-person message holds, at most two of each kind: "the
        knife is on my bed and I'm scared of what I'll do" holds a means and a fear."""
        rules = self.rules
        if not rules.cues or not _FIRST_PERSON.search(prepared):
            return 0
        if rules.cues_skip is not None and rules.cues_skip.search(prepared):
            return 0
        count = 0
        for _, pattern in rules.cues:
            found = {match.group(0) for match in pattern.finditer(prepared)}
            count += min(len(found), 2)
        return count

    def screen(self, text: str, language_code: str | None = None) -> Screening:
        prepared = self.prepare(text)
        normalized = normalize(text)
        detected = self._detector.detect(normalized)
        risk, other, family = self.english_risk(prepared, english=detected is None)
        language = detected
        # Every language's patterns, on every message: the highest tier wins, and a tier found
        # in a language (the message's own first of all) is answered in that language.
        # The rules that fired choose the reply's language: English rules answer in English,
        # unless the message's own language fired at the same tier too.
        english_risk = risk
        if risk is not Risk.NONE:
            language = None
        best_foreign: tuple[int, bool] = (0, False)
        for code, tiers in self._foreign.items():
            found, found_other, found_family = tiers.read(normalized)
            if found is Risk.NONE or _ORDER[found] < _ORDER[english_risk]:
                continue
            rank = (_ORDER[found], code == detected)
            if rank <= best_foreign or (found is english_risk and code != detected):
                continue
            risk, other, language, family = found, found_other, code, found_family
            best_foreign = rank
        if (
            language is None
            and risk is not Risk.NONE
            and language_code
            and language_code.split("-")[0].lower() in self.languages
            and not any(word in ENGLISH_MARKERS for word in normalized.split())
        ):
            # Nothing in the words says which language: the user's Telegram language decides.
            language = language_code.split("-")[0].lower()
        advice = None if risk is Risk.CRISIS else self.advice_entry(normalized, prepared)
        return Screening(
            risk=risk, about_other=other, language=language, advice_entry=advice, family=family
        )

    def is_crisis(self, normalized: str) -> bool:
        return self.screen(normalized).crisis

    def advice_entry(self, normalized: str, prepared: str) -> str | None:
        """The entry a request for advice goes to, when the message is about the drug. The
        subject may be misspelt ("ketanine"): `prepared` has the key words' typos mended."""
        subject = self.rules.subject
        if subject is not None and not subject.search(normalized) and not subject.search(prepared):
            return None
        return next(
            (entry for entry, patterns in self._advice if patterns.search(normalized)), None
        )
