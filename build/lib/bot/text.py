"""Text normalisation shared by matching and safety screening."""

from __future__ import annotations

import re
import unicodedata

# Apostrophes are dropped rather than split on, so "don't" -> "dont" and "i'm" -> "im".
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_NON_WORD = re.compile(r"[^\w]+|_+")
_SPACES = re.compile(r"\s+")

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
exactly honestly literally simply totally true anyone anybody someone somebody guys
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())


def normalize(text: str) -> str:
    """Lower-case, fold accents and width, turn punctuation into spaces, collapse spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHES.sub("", text.casefold())
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


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


def content_terms(normalized: str) -> list[str]:
    """The meaningful, stemmed words of an already normalised text, in order."""
    words = [part for word in normalized.split() for part in _NEGATIONS.get(word, (word,))]
    terms = [stem(word) for word in words if word not in STOPWORDS]
    # "r-ketamine", "s ketamine", "k-hole": a lone letter names a kind of what follows.
    joined: list[str] = []
    for term in terms:
        if joined and len(joined[-1]) == 1 and joined[-1].isalpha() and len(term) >= 3:
            joined[-1] += term
        else:
            joined.append(term)
    return joined
