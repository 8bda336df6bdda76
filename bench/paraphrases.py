"""Rule-made paraphrases of the eval questions and the entries' questions, for bench/semantic_cv.py.

Every knowledge/eval.yaml case that expects an entry, and every entry's own question, gets
PER_SOURCE paraphrases. Each paraphrase applies one to three rules, in a fixed order: a statement
instead of a question ("tell me about ...", or the leading "is"/"does" dropped), a word-order
change (clauses around a comma swapped, the two words around "and"/"or"/"vs" swapped, a trailing
"for ..."/"with ..." phrase moved to the front), a swap from the everyday words in SWAPS (its own
table: knowledge/synonyms.yaml is the bot's, and using it would test the bot with itself),
contractions made or undone, filler added or dropped, one typo in a content word, and the case
and punctuation changed. A paraphrase that equals (ignoring case and punctuation) its source, a
phrasing of any entry, an eval.yaml or rephrased.yaml question or another paraphrase is thrown
away and drawn again: it would test nothing new.

The randomness is seeded per source text (SEED and the text), so the output is the same on every
run and a new eval case does not change the paraphrases of the others.

    .venv/bin/python bench/paraphrases.py          # writes bench/generated_paraphrases.yaml
    .venv/bin/python bench/paraphrases.py --check  # exit 1 if the file is not what it writes
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: bench/ is on sys.path, the repo is not
    sys.path.insert(0, str(REPO))

from bot.knowledge import CRISIS_EXPECTATION, Knowledge, load_eval, load_knowledge  # noqa: E402

KNOWLEDGE_DIR = REPO / "knowledge"
OUTPUT = REPO / "bench" / "generated_paraphrases.yaml"
REPHRASED = REPO / "bench" / "rephrased.yaml"
SEED = 12
PER_SOURCE = 2
# The filler adds greetings and thanks, which would turn "ok then" (thanks) into a greeting:
# these entries' cases are left out.
SMALL_TALK = frozenset({"greeting", "thanks"})
ATTEMPTS = 40  # draws per paraphrase before a source gives up (short texts have few options)

# Everyday words and phrases, each with stand-ins that fit where the word stands in a question.
# Medical terms are left alone: a swap there would change the question, not its wording.
SWAPS: dict[str, tuple[str, ...]] = {
    "alcohol": ("booze", "drinking"),
    "allowed": ("permitted",),
    "am i able to": ("can i",),
    "approved": ("authorized",),
    "article": ("write-up",),
    "at home": ("at my place",),
    "authors": ("writers",),
    "bad": ("harmful",),
    "begin": ("start",),
    "big": ("large", "major"),
    "buy": ("purchase",),
    "can i": ("am i able to", "is it possible to"),
    "child": ("kid",),
    "children": ("kids",),
    "combine": ("mix",),
    "common": ("frequent", "usual"),
    "companies": ("firms",),
    "company": ("firm",),
    "countries": ("nations",),
    "country": ("nation",),
    "cure": ("fix",),
    "damage": ("harm", "hurt"),
    "dangerous": ("risky", "unsafe"),
    "died": ("passed away",),
    "difference": ("distinction",),
    "differences": ("distinctions",),
    "different": ("distinct",),
    "doctor": ("gp", "physician"),
    "expensive": ("pricey", "costly"),
    "fast": ("quick",),
    "find": ("discover",),
    "forever": ("for good",),
    "free": ("free of charge",),
    "harmful": ("damaging",),
    "how much": ("what amount of",),
    "hurt": ("harm",),
    "illegal": ("against the law",),
    "is it true": ("is that right",),
    "kids": ("children",),
    "legal": ("lawful", "allowed"),
    "link": ("url",),
    "long-term": ("lasting",),
    "medication": ("medicine",),
    "medicine": ("medication",),
    "medicines": ("medications",),
    "mix": ("combine",),
    "need": ("require",),
    "often": ("frequently",),
    "older adults": ("seniors", "elderly people"),
    "online": ("on the internet",),
    "paper": ("publication",),
    "people": ("folks", "humans"),
    "permanently": ("for good",),
    "pregnant": ("expecting",),
    "problem": ("issue",),
    "problems": ("issues", "trouble"),
    "quickly": ("soon", "fast"),
    "results": ("outcomes", "findings"),
    "risk": ("danger", "chance"),
    "risks": ("dangers",),
    "safe": ("ok", "okay", "harmless"),
    "serious": ("severe",),
    "session": ("appointment", "visit"),
    "sessions": ("appointments", "visits"),
    "side effects": ("adverse effects", "unwanted effects"),
    "start": ("begin",),
    "started": ("began",),
    "stop": ("quit",),
    "studied": ("researched",),
    "study": ("research",),
    "symptoms": ("signs",),
    "take": ("use",),
    "tested": ("trialled", "studied"),
    "therapies": ("treatments",),
    "therapy": ("treatment",),
    "treatment": ("therapy",),
    "treatments": ("therapies",),
    "trial": ("experiment",),
    "trials": ("experiments",),
    "will i": ("am i going to",),
    "worse": ("more severe",),
}
_SWAP = re.compile(r"\b(" + "|".join(sorted(map(re.escape, SWAPS), key=len, reverse=True)) + r")\b")

# Contracted form -> full form; the apostrophe-less spellings people type are read too.
CONTRACTIONS: dict[str, str] = {
    "what's": "what is",
    "it's": "it is",
    "isn't": "is not",
    "don't": "do not",
    "doesn't": "does not",
    "can't": "cannot",
    "i'm": "i am",
    "won't": "will not",
    "i've": "i have",
    "there's": "there is",
    "that's": "that is",
    "who's": "who is",
    "aren't": "are not",
    "shouldn't": "should not",
    "you're": "you are",
    "how's": "how is",
    "didn't": "did not",
    "hasn't": "has not",
    "haven't": "have not",
    "i'd": "i would",
}
# "its" and "id" are words of their own; every other apostrophe-less form is read as contracted.
_BARE = {k.replace("'", ""): v for k, v in CONTRACTIONS.items() if k not in ("it's", "i'd")}
_FULL = {v: k for k, v in CONTRACTIONS.items()}
_CONTRACTED = re.compile(
    r"\b(" + "|".join(map(re.escape, [*CONTRACTIONS, *_BARE])) + r")\b", re.IGNORECASE
)
_EXPANDED = re.compile(r"\b(" + "|".join(map(re.escape, _FULL)) + r")\b", re.IGNORECASE)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PREFIXES = (
    "hey, quick question:",
    "hi,",
    "i was wondering,",
    "can you tell me",
    "so",
    "ok so",
    "question:",
    "sorry if this is obvious but",
)
SUFFIXES = (" please", ", thanks", " thank you", "??", " pls")
FILLER = re.compile(
    r"\s*\b(please|pls|exactly|actually|really|just|thanks|thank you|hey|hi)\b[,:]?", re.IGNORECASE
)
# The filler's own words: a typo goes in a word of the question, not in "thanks".
_FILLER_WORDS = frozenset(
    " ".join((*PREFIXES, *SUFFIXES, "please thanks")).replace(",", " ").split()
)
STOPWORDS = _words(
    "about after again being before could doesn does during from have having into itself "
    "might other should their there these they this those through what when where which "
    "while will with would your yours"
)
# Typos: a neighbouring key on a QWERTY keyboard.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
NEIGHBOURS = {
    ch: "".join(row[j] for j in (i - 1, i + 1) if 0 <= j < len(row))
    for row in _ROWS
    for i, ch in enumerate(row)
}
_AUX = re.compile(r"^(is|are|does|do|did)\s+(?!(?:i|you|we|my|it|they|he|she|there)\b)(\S.*)$")
_WHAT = re.compile(r"^(what is|what's|whats|what are)\s+(\S.*)$")
_WH = re.compile(r"^(how|why|when|where|who|which)\b")
# "what is known about" does not become "tell me about known about".
_NOT_A_TOPIC = _words("known said meant it that this there going happening wrong")
_TAIL = re.compile(r"^(\S+(?:\s+\S+)+)\s+(for|with|in|after|during|on)\s+(\S+(?:\s+\S+){0,3})$")
_PAIR = re.compile(r"\b([A-Za-z0-9-]+) (and|or|vs|versus) ([A-Za-z0-9-]+)\b")
# Words that do not stand alone on either side of "and" ("a meta-analysis or just a review").
_FUNCTION = _words(
    "a an the my your i you it is are be to of in on for with just more less other than "
    "also then so not no can do does was were has have had what why how who when where "
    "which get"
)
# A trailing phrase that ends in a verb is not a phrase ("... labels on the answers mean").
_VERBS = _words(
    "mean means work works do does use show help last take get find say cost feel happen "
    "affect like be go need"
)
_END = re.compile(r"[?.!]+$")


def _ending(text: str) -> tuple[str, str]:
    """The text without its closing ?/./!, and that punctuation."""
    match = _END.search(text)
    return (text[: match.start()], match.group()) if match else (text, "")


def statement(text: str, rng: random.Random) -> str | None:
    """A question said as a request or as keywords."""
    body, _ = _ending(text)
    low = body.lower()
    if match := _WHAT.match(low):
        if match.group(2).split()[0] in _NOT_A_TOPIC:
            return None
        return f"{rng.choice(('tell me about', 'explain', 'info on'))} {match.group(2)}"
    if _WH.match(low):
        return f"{rng.choice(('i would like to know', 'i want to know', 'tell me'))} {low}"
    if (match := _AUX.match(low)) and len(match.group(2).split()) >= 2:
        return f"{match.group(2)}?"  # "does ketamine damage memory" -> "ketamine damage memory?"
    return None


def _decap(text: str) -> str:
    """The first letter in lower case, unless it starts "I" or an acronym."""
    first = text.split(" ", 1)[0]
    return (
        text
        if first == "I" or (len(first) > 1 and first.isupper())
        else text[:1].lower() + text[1:]
    )


def _recap(text: str, like: str) -> str:
    return text[:1].upper() + text[1:] if like[:1].isupper() else text


def _single(after: str) -> bool:
    """Whether the word before `after` ends its phrase ("ketamine and alcohol", not "ketamine
    and bladder problems", where swapping the two words around "and" changes what is asked)."""
    words = after.split()
    return not words or words[0].lower().strip(",") in _FUNCTION or after.startswith(",")


def reorder(text: str, rng: random.Random) -> str | None:
    """The same words in another order."""
    body, end = _ending(text)
    one_sentence = not re.search(r"[?.!] ", body)  # "What about X, Y? How do they ..." is two
    if (
        one_sentence
        and body.count(", ") == 1
        and all(len(p.split()) >= 2 for p in body.split(", "))
    ):
        first, second = body.split(", ")
        # "X, and why Y" -> "why Y, and X": the joining word stays between the two.
        join, _, rest = second.partition(" ")
        if join.lower() in ("and", "but", "or") and rest:
            return _recap(f"{rest}, {join.lower()} {_decap(first)}{end}", body)
        return _recap(f"{second}, {_decap(first)}{end}", body)
    pairs = [
        m
        for m in _PAIR.finditer(body)
        if m.group(1) != m.group(3)
        and not {m.group(1).lower(), m.group(3).lower()} & _FUNCTION
        and _single(body[m.end() :])
    ]
    if pairs:
        m = rng.choice(pairs)
        swapped = f"{m.group(3)} {m.group(2)} {m.group(1)}"
        return f"{body[: m.start()]}{swapped}{body[m.end() :]}{end}"
    if (
        (match := _TAIL.match(body))
        and match.group(3).split()[-1].lower() not in _VERBS
        and match.group(1).split()[-1].lower() not in _FUNCTION | {"while", "if", "and", "or"}
    ):
        head, prep, tail = match.groups()
        return _recap(f"{prep} {tail}, {_decap(head)}{end}", body)
    return None


def swap(text: str, rng: random.Random) -> str | None:
    """One everyday word or phrase replaced by a stand-in from SWAPS."""
    low = text.lower()
    hits = list(_SWAP.finditer(low))
    if not hits:
        return None
    hit = rng.choice(hits)
    return f"{low[: hit.start()]}{rng.choice(SWAPS[hit.group()])}{low[hit.end() :]}"


def contract(text: str, rng: random.Random) -> str | None:
    """Contractions undone where there are some, made where there are none."""
    low = text.lower()
    if hits := list(_CONTRACTED.finditer(low)):
        hit = rng.choice(hits)
        word = hit.group()
        # "what's" may lose its apostrophe instead of being spelled out.
        full = CONTRACTIONS.get(word) or _BARE[word]
        out = word.replace("'", "") if "'" in word and rng.random() < 0.4 else full
        return f"{low[: hit.start()]}{out}{low[hit.end() :]}"
    if hits := list(_EXPANDED.finditer(low)):
        hit = rng.choice(hits)
        short = _FULL[hit.group()]
        if rng.random() < 0.5 and short.replace("'", "") in _BARE:
            short = short.replace("'", "")
        return f"{low[: hit.start()]}{short}{low[hit.end() :]}"
    return None


def filler(text: str, rng: random.Random) -> str | None:
    """Filler dropped where there is some; otherwise a greeting or a please added."""
    if FILLER.search(text) and rng.random() < 0.6:
        dropped = FILLER.sub("", text).strip(" ,")
        return dropped if len(dropped.split()) >= 2 else None
    body, end = _ending(text)
    if rng.random() < 0.6:
        return f"{rng.choice(PREFIXES)} {body[:1].lower()}{body[1:]}{end}"
    return f"{body}{rng.choice(SUFFIXES)}"


def typo(text: str, rng: random.Random) -> str | None:
    """One slip of the fingers in a content word (five letters or more)."""
    words = text.split(" ")
    spots = [
        i
        for i, w in enumerate(words)
        if len(w) >= 5 and w.isalpha() and w.lower() not in STOPWORDS | _FILLER_WORDS
    ]
    if not spots:
        return None
    i = rng.choice(spots)
    word = words[i]
    at = rng.randrange(1, len(word) - 1)  # never the first letter: people rarely miss that one
    kind = rng.choice(("swap", "drop", "double", "neighbour"))
    if kind == "swap":
        new = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif kind == "drop":
        new = word[:at] + word[at + 1 :]
    elif kind == "double":
        new = word[:at] + word[at] + word[at:]
    else:
        keys = NEIGHBOURS.get(word[at].lower(), "")
        if not keys:
            return None
        new = word[:at] + rng.choice(keys) + word[at + 1 :]
    if new.lower() == word.lower():
        return None
    words[i] = new
    return " ".join(words)


def casing(text: str, rng: random.Random) -> str | None:
    """Typed in lower case without punctuation, or (when it already is) capitalised or shouted."""
    stripped = re.sub(r"[?.!,\"]", "", text).lower().strip()
    if stripped != text:
        return stripped
    if rng.random() < 0.7:
        return f"{text[:1].upper()}{text[1:]}?"
    return text.upper()


# Applied in this order (a statement before the typo that would hide its first word).
RULES: tuple[tuple[str, Callable[[str, random.Random], str | None]], ...] = (
    ("statement", statement),
    ("reorder", reorder),
    ("swap", swap),
    ("contraction", contract),
    ("filler", filler),
    ("typo", typo),
    ("case", casing),
)


@dataclasses.dataclass(frozen=True)
class Paraphrase:
    question: str
    expect: tuple[str, ...]  # entry ids, every one a right answer (as in eval.yaml)
    origin: str  # the text it was made from
    source: str  # "eval.yaml" or "question of <entry id>"
    rules: tuple[str, ...]


def key(text: str) -> str:
    """What two texts must differ in to be two tests: not case, apostrophes or punctuation."""
    return " ".join(re.sub(r"[^\w\s-]", " ", text.replace("'", "").casefold()).split())


def paraphrase(text: str, rng: random.Random) -> tuple[str, tuple[str, ...]] | None:
    """One to three of the rules, drawn at random and applied in RULES' order (None: none fit)."""
    count = rng.choices((1, 2, 3), weights=(3, 5, 2))[0]
    chosen = set(rng.sample(range(len(RULES)), count))
    out = text
    used: list[str] = []
    for index, (name, rule) in enumerate(RULES):
        if index in chosen and (changed := rule(out, rng)) is not None:
            out = changed
            used.append(name)
    out = " ".join(out.split())
    return (out, tuple(used)) if used else None


def sources(knowledge: Knowledge) -> list[tuple[str, tuple[str, ...], str]]:
    """(text, expected ids, where it comes from): eval.yaml's entry cases, then the questions."""
    out = []
    for case in load_eval(KNOWLEDGE_DIR / "eval.yaml").cases:
        if case.expect not in (None, CRISIS_EXPECTATION) and not SMALL_TALK & set(case.accepted):
            out.append((case.question, case.accepted, "eval.yaml"))
    for entry in knowledge.entries:
        if entry.id in SMALL_TALK:
            continue
        out.append((entry.question, (entry.id,), f"question of {entry.id}"))
    return out


def generate(knowledge: Knowledge | None = None) -> list[Paraphrase]:
    knowledge = knowledge or load_knowledge(KNOWLEDGE_DIR)
    taken = {key(p) for entry in knowledge.entries for p in entry.phrasings}
    for path in (KNOWLEDGE_DIR / "eval.yaml", REPHRASED):
        taken |= {key(case.question) for case in load_eval(path).cases}
    out = []
    for text, expect, source in sources(knowledge):
        rng = random.Random(f"{SEED}:{text}")
        made = 0
        for _ in range(ATTEMPTS):
            if made == PER_SOURCE:
                break
            result = paraphrase(text, rng)
            if result is None or key(result[0]) in taken or not key(result[0]):
                continue
            taken.add(key(result[0]))
            out.append(Paraphrase(result[0], expect, text, source, result[1]))
            made += 1
    return out


HEADER = """\
# Generated by bench/paraphrases.py (seed {seed}, {per} per source): do not edit by hand; run
# `.venv/bin/python bench/paraphrases.py` to remake it after knowledge/eval.yaml or an entry's
# question changes. Each case is a rule-made paraphrase of a knowledge/eval.yaml case that
# expects an entry, or of an entry's own question: a statement for a question, words in another
# order, everyday-word swaps from the script's own table (not knowledge/synonyms.yaml),
# contractions, filler added or dropped, one typo in a content word, case and punctuation
# (greeting and thanks are left out: filler would change what they are). None equals (case and
# punctuation aside) a phrasing of any entry, an eval.yaml or rephrased.yaml question, or
# another case. The comment after each expect names the rules; the line above, the source.
# bench/semantic_cv.py scores these and never tunes on them.
min_accuracy: 0.0
cases:
"""


def render(items: list[Paraphrase]) -> str:
    lines = [HEADER.format(seed=SEED, per=PER_SOURCE).rstrip("\n")]
    last = None
    for item in items:
        if item.origin != last:
            lines.append(f"  # {item.source}: {item.origin}")
            last = item.origin
        question = yaml.safe_dump({"q": item.question}, width=10**6, allow_unicode=True).strip()
        expect = item.expect[0] if len(item.expect) == 1 else f"[{', '.join(item.expect)}]"
        lines += [f"  - {question}", f"    expect: {expect}  # {'+'.join(item.rules)}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args()
    text = render(generate())
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            sys.exit(f"{OUTPUT.name} is stale: run .venv/bin/python bench/paraphrases.py")
        print(f"{OUTPUT.name} is up to date")
        return
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(REPO)} ({text.count('  - q:')} cases)")


if __name__ == "__main__":
    main()
