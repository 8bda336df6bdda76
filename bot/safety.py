"""Screening that runs before matching: crisis messages and requests for personal advice."""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge import SafetyRules
from bot.text import normalize


@dataclass(frozen=True)
class Screening:
    """What the screen found. `advice_entry` names the entry that answers an advice request."""

    crisis: bool = False
    advice_entry: str | None = None


class Screener:
    def __init__(self, rules: SafetyRules) -> None:
        self.rules = rules

    def is_crisis(self, normalized: str) -> bool:
        rules = self.rules
        if any(pattern.search(normalized) for pattern in rules.crisis_always):
            return True
        if not any(pattern.search(normalized) for pattern in rules.crisis):
            return False
        # Informational look-alikes ("does ketamine kill brain cells") are carved out.
        return not any(pattern.search(normalized) for pattern in rules.crisis_exclude)

    def advice_entry(self, normalized: str) -> str | None:
        rules = self.rules
        if rules.subject is not None and not rules.subject.search(normalized):
            return None
        for rule in rules.advice:
            if any(pattern.search(normalized) for pattern in rule.patterns):
                return rule.entry
        return None

    def screen(self, text: str) -> Screening:
        normalized = normalize(text)
        if self.is_crisis(normalized):
            return Screening(crisis=True)
        return Screening(advice_entry=self.advice_entry(normalized))
