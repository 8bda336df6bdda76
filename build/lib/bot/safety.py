"""Screening that runs before matching: crisis messages and requests for personal advice."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.knowledge import SafetyRules
from bot.text import normalize


@dataclass(frozen=True)
class Screening:
    """What the screen found. `advice_entry` names the entry that answers an advice request."""

    crisis: bool = False
    advice_entry: str | None = None


class _AnyOf:
    """Does any of the patterns match? One alternation, so a single search per message; a
    pattern that cannot join one (a global inline flag such as "(?x)") is tried on its own."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self._alone: list[re.Pattern[str]] = []
        joinable: list[str] = []
        for pattern in patterns:
            try:
                re.compile(f"(?:{pattern.pattern})|x", re.IGNORECASE)
                re.compile(f"x|(?:{pattern.pattern})", re.IGNORECASE)
            except re.error:
                self._alone.append(pattern)
            else:
                joinable.append(f"(?:{pattern.pattern})")
        self._joined = re.compile("|".join(joinable), re.IGNORECASE) if joinable else None

    def search(self, text: str) -> bool:
        if self._joined is not None and self._joined.search(text):
            return True
        return any(pattern.search(text) for pattern in self._alone)


class Screener:
    def __init__(self, rules: SafetyRules) -> None:
        self.rules = rules
        self._crisis = _AnyOf(rules.crisis)
        self._exclude = _AnyOf(rules.crisis_exclude)
        self._always = _AnyOf(rules.crisis_always)
        self._advice = [(rule.entry, _AnyOf(rule.patterns)) for rule in rules.advice]

    def is_crisis(self, normalized: str) -> bool:
        if self._always.search(normalized):
            return True
        # Informational look-alikes ("does ketamine kill brain cells") are carved out.
        return self._crisis.search(normalized) and not self._exclude.search(normalized)

    def advice_entry(self, normalized: str) -> str | None:
        if self.rules.subject is not None and not self.rules.subject.search(normalized):
            return None
        return next(
            (entry for entry, patterns in self._advice if patterns.search(normalized)), None
        )

    def screen(self, text: str) -> Screening:
        normalized = normalize(text)
        if self.is_crisis(normalized):
            return Screening(crisis=True)
        return Screening(advice_entry=self.advice_entry(normalized))
