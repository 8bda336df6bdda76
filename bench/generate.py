"""Deterministic generated knowledge for the scaling benchmarks, with held-out queries.

Shaped like a real FAQ grown large, so the matcher's index is exercised as in production:
- a few dozen common domain words ("treatment", "dose", "side effect") shared by thousands
  of entries, drawn with a Zipf skew;
- ~100 mid-frequency condition words ("cardiopathy", "neuritis");
- ~5,000 rare drug-like pseudo-words ("ketoxmine", "seranzole") that share prefixes and
  suffixes, so a typo can land near another real word, as with drug names;
- stop-word question templates ("how does ... affect ...", "can i take ... with ...").

Every entry gets a question and 6 variants over its own words. Held-out queries come from
other templates: one word dropped, the rest sometimes reordered, one typo in a content word.

    .venv/bin/python bench/generate.py 1000     # prints a few entries and queries
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass

import benchlib  # noqa: F401  (puts the repo on sys.path)

from bot.knowledge import Entry

SEED = 20240611
VARIANTS = 6


def _words(text: str) -> list[str]:
    return text.split()


COMMON_WORDS = _words("""treatment depression dose effect side risk patient therapy clinic study trial
drug medication infusion symptom anxiety week day long term safe work take start stop
insurance cost doctor nurse child adult pregnancy alcohol sleep memory heart blood pressure
brain receptor response relapse session spray tablet injection research evidence result
benefit problem help need after before during between without better worse first last often
many much when where why should get""")
_CONDITION_STEMS = _words("neur card gastr derm hepat nephr psych oste arthr my pulmon endocr")
_CONDITION_ENDS = _words("itis osis algia opathy emia oma ology")
_RARE_PREFIXES = _words("""ket ser dop glu nor met hyd cor pro ami ben lit val zol fen tra mid clo
par lor""")
_RARE_MIDDLES = _words("a o i e u ox an ar el im op ur yl")
_RARE_ENDS = _words("""mine tine zole pam done pine xone lide trol sone prine vir mab nib stat cept
ide ase in ol""")

# Phrasings the FAQ authors wrote ({0}, {1}, {2}: the chosen words, in order).
ENTRY_TEMPLATES = (
    "what is {0} {1}",
    "how does {0} affect {1}",
    "can i take {0} with {1}",
    "is {0} safe for {1}",
    "{0} and {1}",
    "{0} {1}?",
    "does {0} help with {1} {2}",
    "what are the {0} of {1}",
    "why do {0} {1} {2}",
    "when should i {0} {1}",
    "how long does {0} {1} last",
    "where can i get {0} {1}",
    "{0} vs {1}",
    "is there {0} for {1} {2}",
    "{0} {1} {2} explained",
)
# How users ask: never used for entries, so queries are paraphrases, not copies.
QUERY_TEMPLATES = (
    "i want to know about {0}",
    "{0} please explain",
    "could you tell me {0}",
    "whats the deal with {0}",
    "{0}??",
    "question about {0}",
    "hi, {0}",
    "so {0} then",
)


@dataclass(frozen=True)
class Query:
    text: str
    expect: str  # the id of the entry it was made from


@dataclass(frozen=True)
class Generated:
    entries: tuple[Entry, ...]
    queries: tuple[Query, ...]  # one per entry, in entry order


def vocabulary() -> tuple[list[str], list[str]]:
    conditions = [stem + end for stem in _CONDITION_STEMS for end in _CONDITION_ENDS]
    rare = [p + m + e for p in _RARE_PREFIXES for m in _RARE_MIDDLES for e in _RARE_ENDS]
    return conditions, rare


def _zipf_weights(count: int, exponent: float) -> list[float]:
    return [1 / (rank + 1) ** exponent for rank in range(count)]


def typo(word: str, rng: random.Random) -> str:
    """One realistic slip: swap two neighbours, drop, double or replace a letter (not the first)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double", "replace"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    letters = "abcdefghijklmnopqrstuvwxyz".replace(word[i], "")
    return word[:i] + rng.choice(letters) + word[i + 1 :]


def _fill(template: str, words: list[str]) -> str:
    return template.format(*words, *([""] * 3)).replace("  ", " ").strip()


def generate(count: int, seed: int = SEED) -> Generated:
    """`count` entries (question + 6 variants each) and one held-out query per entry."""
    rng = random.Random(seed)
    conditions, rare = vocabulary()
    rng.shuffle(rare)
    rng.shuffle(conditions)
    common_weights = _zipf_weights(len(COMMON_WORDS), 1.0)
    condition_weights = _zipf_weights(len(conditions), 0.7)
    entries: list[Entry] = []
    queries: list[Query] = []
    seen_keys: set[frozenset[str]] = set()
    for index in range(count):
        # Two rare words name the entry; no two entries share that pair (as no two FAQ
        # entries ask the same thing), though each word alone recurs across entries.
        while True:
            key = rng.sample(rare, 2)
            if frozenset(key) not in seen_keys:
                seen_keys.add(frozenset(key))
                break
        extra = rng.choice(rare)
        while extra in key:
            extra = rng.choice(rare)
        condition = rng.choices(conditions, condition_weights)[0]
        common = rng.choices(COMMON_WORDS, common_weights, k=2)
        while common[1] == common[0]:
            common[1] = rng.choices(COMMON_WORDS, common_weights)[0]
        pool = [*key, extra, condition, *common]
        question = _fill(rng.choice(ENTRY_TEMPLATES), [key[0], key[1], common[0]])
        variants: list[str] = []
        while len(variants) < VARIANTS:
            # Each phrasing keeps at least one naming word, plus two or three others.
            words = [rng.choice(key), *rng.sample([w for w in pool if w not in key], 1)]
            words += rng.sample(pool, rng.randint(0, 1))
            words = list(dict.fromkeys(words))
            rng.shuffle(words)
            variant = _fill(rng.choice(ENTRY_TEMPLATES), words)
            if variant != question and variant not in variants:
                variants.append(variant)
        entry_id = f"gen-{index:05d}"
        entries.append(
            Entry(
                id=entry_id,
                topic=f"Topic {index % 25}",
                question=question,
                variants=tuple(variants),
                answer=f"Generated answer number {index}.",
                sources=("generated",),
                evidence="review",
            )
        )
        # The query: the naming words and one or two other words of the entry, then now and
        # then one word dropped (possibly a naming one), sometimes reordered, one typo.
        words = [*key, *rng.sample(pool[2:], rng.randint(1, 2))]
        if rng.random() < 0.3:
            words.pop(rng.randrange(len(words)))
        if rng.random() < 0.5:
            rng.shuffle(words)
        target = rng.choice([i for i, w in enumerate(words) if len(w) >= 5] or [0])
        words[target] = typo(words[target], rng)
        queries.append(Query(_fill(rng.choice(QUERY_TEMPLATES), [" ".join(words)]), entry_id))
    return Generated(tuple(entries), tuple(queries))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    generated = generate(count)
    for entry, query in list(zip(generated.entries, generated.queries, strict=True))[:5]:
        print(entry.id, "|", entry.question, "|", " | ".join(entry.variants))
        print("   query:", query.text)
    words = {w for e in generated.entries for p in e.phrasings for w in p.split()}
    print(f"{len(generated.entries)} entries, {len(words)} distinct words")


if __name__ == "__main__":
    main()
