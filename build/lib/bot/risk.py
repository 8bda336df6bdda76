"""How much a message tells of suicide or self-harm risk: the screen's verdict, shared by the
engine, the reply and every front end."""

from __future__ import annotations

from enum import StrEnum


class Risk(StrEnum):
    NONE = "none"  # nothing of the kind
    POSSIBLE = "possible"  # ambiguous wording: the normal reply, with one helpline line on top
    CRISIS = "crisis"  # clear first-person risk (or someone else's): the crisis reply, helplines first
