"""What the handlers share: the current engine (swapped whole on reload), storage, flood gates."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.engine import Engine
from bot.ratelimit import FloodGate
from bot.store import Store

STATE_KEY = "faq_state"
VOTED_MEMORY = 10_000  # messages whose feedback was taken, remembered to refuse a second vote


@dataclass
class BotState:
    settings: Settings
    engine: Engine
    store: Store | None
    group_gate: FloodGate
    user_gate: FloodGate
    voted: OrderedDict[tuple[int, int], None] = field(default_factory=OrderedDict)

    def first_vote(self, chat_id: int, message_id: int) -> bool:
        """True once per message: a second press (or a replayed callback) is not counted.

        Kept in memory only; the vote buttons are also removed from the message after a vote.
        """
        key = (chat_id, message_id)
        if key in self.voted:
            return False
        self.voted[key] = None
        if len(self.voted) > VOTED_MEMORY:
            self.voted.popitem(last=False)
        return True


def get_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    state = context.bot_data[STATE_KEY]
    assert isinstance(state, BotState)
    return state
