"""One conversation for every front end: a chat's pending choices and a message in, a reply out.

The console and Telegram both drive it. A reply can offer choices (suggestions, related
questions, topics, a topic's questions); the console shows them as numbers, Telegram as
buttons, and on both a number typed next opens that choice. Commands (/start, /help, /topics,
/sources, /disclaimer, /ask, unknown ones) are answered here too, so that every front end says
the same thing. Nothing here imports telegram.

Pending choices are kept per chat in memory only: bounded (least recently used chats are
forgotten first), expiring, never written to disk.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import StrEnum

from bot import render
from bot.engine import Engine
from bot.reply import Reply, ReplyKind

EXAMPLE_QUESTIONS = (
    "What is esketamine?",
    "How fast does ketamine work?",
    "Is ketamine addictive?",
)
UNKNOWN_COMMAND = "I don't know that command. Try /help, or just type your question."
ASK_USAGE = "Put your question after the command, for example: /ask how fast does ketamine work"
STALE_CHOICE = "That choice is out of date. Here are the current topics:"
NOTHING_PENDING = (
    "A number opens one of the choices I list under a reply, and there are none open right "
    "now. Type a question, or send /topics to browse."
)
TOPICS_INTRO = "Browse by topic:"
SOURCES_TITLE = "Sources this FAQ cites"
BROWSE_LABEL = "Browse topics"
ALL_TOPICS_LABEL = "« All topics"
NUMBER = re.compile(r"[0-9]{1,4}")  # ASCII digits only: "٣" is text, not a choice
PENDING_CHATS = 10_000
PENDING_SECONDS = 30 * 60.0


def out_of_range(count: int) -> str:
    return f"Choose a number from 1 to {count}, or type a question."


def privacy_note(question_log_days: int | None) -> str:
    """What is kept and for how long. None: nothing is kept (QUESTION_LOG=off, the console)."""
    if question_log_days is None:
        return "Privacy: I keep no record of your questions."
    return (
        f"Privacy: questions I cannot answer are kept for {question_log_days} days, "
        "without your name, username or any Telegram id, so that maintainers can improve the FAQ. "
        "Nothing else you send is stored."
    )


class ChoiceKind(StrEnum):
    ENTRY = "entry"  # open an entry's answer
    TOPIC = "topic"  # list one topic's questions
    TOPICS = "topics"  # list the topics


@dataclass(frozen=True)
class Choice:
    kind: ChoiceKind
    label: str
    entry_id: str = ""  # for ENTRY
    topic: int = -1  # for TOPIC: the topic's index in Knowledge.topics


Choices = tuple[Choice, ...]


@dataclass(frozen=True)
class Turn:
    """One reply and the choices offered under it."""

    reply: Reply
    choices: Choices = ()
    # What the user typed, when the reply is the engine's answer to it: only typed questions
    # may join the unanswered-questions log (not numbers, buttons or links).
    question: str | None = None


def plain_text(turn: Turn) -> str:
    """A turn as the console shows it: the reply, then its choices as numbers."""
    text = render.text(turn.reply)
    if not turn.choices:
        return text
    lines = [f"{number}. {choice.label}" for number, choice in enumerate(turn.choices, 1)]
    return f"{text}\n\n" + "\n".join(lines)


class Conversation:
    """Built per message from the current engine (cheap): reloads are picked up at once."""

    def __init__(self, engine: Engine, question_log_days: int | None = None) -> None:
        self.engine = engine
        self.knowledge = engine.knowledge
        self.question_log_days = question_log_days

    def respond(
        self, pending: Choices, text: str, language_code: str | None = None
    ) -> tuple[Turn, Choices]:
        """The reply to `text` and the chat's new pending choices. `language_code` is the
        user's app language (Telegram's), used only when the words do not tell."""
        message = text.strip()
        if NUMBER.fullmatch(message):
            if not pending:
                return self._message(NOTHING_PENDING), ()
            number = int(message)
            if not 1 <= number <= len(pending):
                return self._message(out_of_range(len(pending))), pending  # keep them open
            turn = self.open(pending[number - 1])
        elif message.startswith("/"):
            turn = self.command(message)
        else:
            turn = self.ask(message, language_code)
        return turn, turn.choices

    def ask(self, question: str, language_code: str | None = None) -> Turn:
        return self.turn_for(self.engine.answer(question, language_code), question=question)

    def turn_for(self, reply: Reply, question: str | None = None) -> Turn:
        """A reply from the engine with the choices it offers."""
        choices: Choices = ()
        if reply.kind is ReplyKind.SUGGEST:
            choices = tuple(self._entry(s.entry_id, s.question) for s in reply.suggestions)
        elif reply.kind is ReplyKind.ANSWER:
            choices = tuple(self._entry(s.entry_id, s.question) for s in reply.related)
        elif reply.kind is ReplyKind.FALLBACK:
            choices = (Choice(ChoiceKind.TOPICS, BROWSE_LABEL),)
        return Turn(reply, choices, question)

    def open(self, choice: Choice) -> Turn:
        """A number typed or a button pressed. Choices may come from an older knowledge (or a
        forged button): anything unknown gets the current topics."""
        if choice.kind is ChoiceKind.ENTRY:
            reply = self.engine.reply_for_id(choice.entry_id)
            return self.turn_for(reply) if reply is not None else self.topics(STALE_CHOICE)
        if choice.kind is ChoiceKind.TOPIC:
            return self.topic(choice.topic)
        return self.topics()

    def topics(self, intro: str = TOPICS_INTRO) -> Turn:
        choices = tuple(
            Choice(ChoiceKind.TOPIC, topic, topic=index)
            for index, topic in enumerate(self.knowledge.topics)
        )
        return Turn(self._reply(intro), choices)

    def topic(self, index: int) -> Turn:
        topics = self.knowledge.topics
        if not 0 <= index < len(topics):
            return self.topics(STALE_CHOICE)
        entries = self.knowledge.entries_in(topics[index])
        choices = tuple(self._entry(entry.id, entry.question) for entry in entries)
        return Turn(
            self._reply(f"{topics[index]}:"),
            (*choices, Choice(ChoiceKind.TOPICS, ALL_TOPICS_LABEL)),
        )

    def command(self, message: str) -> Turn:
        word, _, rest = message.partition(" ")
        name = word[1:].split("@", 1)[0].lower()  # "/Help@some_bot" is /help
        argument = rest.strip()
        messages = self.knowledge.messages
        if name == "start":
            # A t.me/<bot>?start=<entry-id> link opens that answer; anything else: the welcome.
            reply = self.engine.reply_for_id(argument) if argument else None
            return self.turn_for(reply) if reply is not None else self.start()
        if name == "help":
            return self._message(messages.help)
        if name == "topics":
            return self.topics()
        if name == "sources":
            return Turn(
                Reply(
                    kind=ReplyKind.MESSAGE,
                    body="",
                    title=SOURCES_TITLE,
                    sources=tuple(self.knowledge.sources.values()),
                )
            )
        if name == "disclaimer":
            return self._message(messages.disclaimer_full)
        if name == "ask":
            return self.ask(argument) if argument else self._message(ASK_USAGE)
        return self._message(UNKNOWN_COMMAND)

    def start(self) -> Turn:
        messages = self.knowledge.messages
        examples = "\n".join(f"• {question}" for question in EXAMPLE_QUESTIONS)
        body = (
            f"{messages.welcome}\n\nTry asking:\n{examples}\n\n"
            "Browse everything with /topics; /sources lists the studies.\n\n"
            f"{privacy_note(self.question_log_days)}"
        )
        return Turn(Reply(kind=ReplyKind.MESSAGE, body=body, disclaimer=messages.disclaimer_full))

    def _entry(self, entry_id: str, question: str) -> Choice:
        return Choice(ChoiceKind.ENTRY, question, entry_id=entry_id)

    @staticmethod
    def _reply(body: str) -> Reply:
        return Reply(kind=ReplyKind.MESSAGE, body=body)

    def _message(self, body: str) -> Turn:
        return Turn(self._reply(body))


class PendingChoices:
    """Each chat's open choices: in memory, at most `capacity` chats (the least recently used
    go first), each forgotten `ttl` seconds after its last reply. Keys are whatever the front
    end uses for a chat; they are never stored anywhere else."""

    def __init__(
        self,
        capacity: int = PENDING_CHATS,
        ttl: float = PENDING_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._clock = clock
        self._chats: OrderedDict[Hashable, tuple[float, Choices]] = OrderedDict()

    def get(self, chat: Hashable) -> Choices:
        found = self._chats.get(chat)
        if found is None:
            return ()
        stamp, choices = found
        if self._clock() - stamp > self.ttl:
            del self._chats[chat]
            return ()
        return choices

    def set(self, chat: Hashable, choices: Choices) -> None:
        self._chats.pop(chat, None)
        if not choices:
            return  # nothing open: nothing to remember
        self._chats[chat] = (self._clock(), choices)
        while len(self._chats) > self.capacity:
            self._chats.popitem(last=False)

    def __len__(self) -> int:
        return len(self._chats)
