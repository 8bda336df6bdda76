"""Text normalisation shared by matching and safety screening."""

from __future__ import annotations

import functools
import re
import unicodedata

# Apostrophes are dropped rather than split on, so "don't" -> "dont" and "i'm" -> "im".
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_NON_WORD = re.compile(r"[^\w]+|_+")

# Words that carry little meaning in a question. They still count for the fuzzy
# similarity of whole phrasings, but term weighting ignores them. Words that tell intents
# apart ("where", "when", "why", "much", "should", "get") are deliberately not here.
_STOPWORD_TEXT = """
a an the and or but if of to in on at by for with about from into as than then so
is are was were be been being am do does did doing done have has had having
i me my mine im ive id you your youre we our us they them their it its itll thats
he she his her him this that these those there here what whats which who whom whose
how can could would will shall may might must
tell please any some more most very really just also still even actually basically
ok okay hi hey hello thanks thank pls plz u ur myself yourself itself himself herself ourselves themselves
exactly honestly literally simply totally true anyone anybody someone somebody guys actual
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())


def normalize(text: str) -> str:
    """Lower-case, fold accents and width, turn punctuation into spaces, collapse spaces."""
    if not text.isascii():  # plain ASCII has no accents or wide forms to fold
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text.casefold())
    return " ".join(_NON_WORD.sub(" ", text).split())


@functools.lru_cache(maxsize=1 << 16)  # a large FAQ repeats its words: stem each once
def stem(word: str) -> str:
    """A deliberately small stemmer, the same for questions and phrasings, so that "effects"
    meets "effect", "taking" meets "take" and "approved" meets "approve"."""
    if len(word) <= 2:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 3 and not word.endswith("eed"):
        word = word[:-2]
        if word.endswith("i"):  # "studied" meets "studies" (study), "tried" meets "try"
            word = word[:-1] + "y"
    if word.endswith("e") and len(word) >= 3:
        word = word[:-1]
    return word


# Negations matter ("who should not take it"); normalising drops the apostrophe, so the
# contracted forms are spelled out here before stopwords are removed.
_NEGATIONS: dict[str, tuple[str, ...]] = {
    "dont": ("do", "not"),
    "doesnt": ("does", "not"),
    "didnt": ("did", "not"),
    "cant": ("can", "not"),
    "cannot": ("can", "not"),
    "shouldnt": ("should", "not"),
    "wouldnt": ("would", "not"),
    "couldnt": ("could", "not"),
    "wont": ("will", "not"),
    "isnt": ("is", "not"),
    "arent": ("are", "not"),
    "wasnt": ("was", "not"),
    "werent": ("were", "not"),
    "havent": ("have", "not"),
    "hasnt": ("has", "not"),
    "mustnt": ("must", "not"),
}


@functools.lru_cache(maxsize=1 << 16)
def _word_terms(word: str) -> tuple[str, ...]:
    """One normalised word's stemmed content terms: none for a stopword, two for "shouldnt"."""
    return tuple(stem(part) for part in _NEGATIONS.get(word, (word,)) if part not in STOPWORDS)


# "how does ketamine work" asks how it acts, "does ketamine really work" whether it helps: the
# same content words. A "how" that opens "how does/do/can <it>" (not "how do i") or "how <it>
# works" is kept as a term of its own, so the two questions part.
_HOW_ACTS = re.compile(
    r"\bhow (?:(?:does|do|did|can|could) (?!i\b|we\b|you\b|u\b)|\w+ (?:works?|acts?)\b)"
)
HOW_TERM = "how_acts"
# "is ketamine-assisted therapy right for me" asks whether to try it, not what it is: the
# words that judge fit ("right for me", "suit me", "someone like me") are mostly stopwords,
# so the treatment's name alone would pick the entry that describes it. They are kept as a
# term of their own, which the entries on whether to try it carry.
_FITS_ME = re.compile(
    r"\b(?:right|suitable|good|best)(?: \w+)? for me\b|\bsuits? me\b"
    r"|\bsomeone like me\b|\bin my (?:case|situation)\b|\bfor me personally\b"
)
FIT_TERM = "fits_me"


def content_terms(normalized: str) -> list[str]:
    """The meaningful, stemmed words of an already normalised text, in order."""
    terms = [term for word in normalized.split() for term in _word_terms(word)]
    if "how" in normalized and _HOW_ACTS.search(normalized):
        terms.insert(0, HOW_TERM)
    if "me" in normalized and _FITS_ME.search(normalized):
        terms.insert(0, FIT_TERM)
    if all(len(term) > 1 for term in terms):
        return terms
    # "r-ketamine", "s ketamine", "k-hole": a lone letter names a kind of what follows.
    joined: list[str] = []
    for term in terms:
        if joined and len(joined[-1]) == 1 and joined[-1].isalpha() and len(term) >= 3:
            joined[-1] += term
        else:
            joined.append(term)
    return joined


# A "not" negates the question when it follows a verb form or pronoun ("who is not", "should
# i not"); after a noun it contrasts ("in hours not weeks") and asks nothing negative.
_NOT_AFTER_TEXT = """
is are was were be been am do does did can could should would will shall may might must
have has had i you we they it he she who what which that there
"""
_NOT_AFTER: frozenset[str] = frozenset(_NOT_AFTER_TEXT.split())
# "not sure", "dont know": doubt about the question, not a negation inside it.
_HEDGES = frozenset({"sure", "certain", "know", "understand", "clear"})
# ...but "treatment not right for", "people not suitable": a "not" before a judgement of fit
# negates whatever comes before it.
_NOT_FIT = frozenset(
    {"right", "suitable", "good", "safe", "ok", "okay", "allowed", "eligible", "recommended", "a"}
)


def is_negated(normalized: str) -> bool:
    """Whether an already normalised text negates what it asks ("who should not take it",
    "when shouldnt i get it", "why doesnt it work", "never with alcohol?"). Not negated: a
    contracted negation that opens the question ("isnt ketamine a party drug", rhetorical), a
    hedge ("not sure", "dont know"), a contrast ("hours not weeks")."""
    if "nt" not in normalized and "not" not in normalized and "never" not in normalized:
        return False  # every negation holds one of these (the contractions end in "nt")
    words = normalized.split()
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if following in _HEDGES:
            continue
        if word in _NEGATIONS:
            if index > 0:
                return True
        elif word == "never" or (
            word == "not"
            and (index == 0 or words[index - 1] in _NOT_AFTER or following in _NOT_FIT)
        ):
            return True
    return False
