"""A learned second look for the crisis screen: nearest neighbours among exemplar sentences.

The rules (bot/safety.py) decide first. When they find nothing in an English message, the
message is embedded with the semantic tier's model and compared with the sentences of
knowledge/crisis_exemplars.yaml: risk sentences by family, and look-alikes (research questions,
news, figures of speech, negations). When its nearest risk sentences are close and clearly
closer than its nearest look-alikes, the message gets the possible-risk line on top of its
normal reply. It only ever raises "none" to "possible": never the crisis reply (embeddings put
"she took her own life" next to "I want to take my life"), never lower than the rules.

Optional like the semantic tier: without its extra, with SEMANTIC=off, or without the exemplar
file, the screen is the rules alone. The bars are chosen by tests/crisis_knn_cv.py.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

try:  # the semantic extra; without it this layer is simply off
    import numpy as np
except ImportError:  # pragma: no cover - exercised in the lexical-only CI venv
    HAVE_NUMPY = False
else:
    HAVE_NUMPY = True

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from bot.knowledge import Knowledge
    from bot.semantic import SemanticModel

log = logging.getLogger(__name__)

EXEMPLARS_FILE = "crisis_exemplars.yaml"
CACHE_FILE = "crisis-knn-cache.npz"  # beside the semantic tier's cache, in DATA_DIR


@dataclass(frozen=True)
class KnnBars:
    """When a message counts as near the risk exemplars. Chosen by tests/crisis_knn_cv.py: 5-fold
    cross-validation on tests/data/crisis_cases.yaml (without round 5) and knowledge/eval.yaml's
    ordinary questions, most risk messages caught while the layer alone puts its line on at most
    4% of the look-alikes and 0.5% of the ordinary questions; these are the values it picks on
    all folds. A very high cosine does not give the crisis reply: as many look-alikes and
    ordinary questions as risk messages come within 0.15 of a risk exemplar."""

    k: int = 2  # how many nearest exemplars of each side are averaged
    floor: float = 0.38  # the risk side's mean cosine is at least this...
    margin: float = 0.02  # ...and beats the look-alike side's by this much


DEFAULT_BARS = KnnBars()


@dataclass(frozen=True)
class Exemplars:
    risk: tuple[str, ...]
    lookalike: tuple[str, ...]


def read_exemplars(path: Path) -> Exemplars | None:
    """The exemplar sentences, or None (with one log line) when the file is missing or malformed:
    the layer is then off and the rules screen alone."""
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        sides = {
            side: tuple(
                str(sentence).strip()
                for family in data[side].values()
                for sentence in family
                if str(sentence).strip()
            )
            for side in ("risk", "lookalike")
        }
    except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError) as error:
        log.warning("crisis exemplars %s unreadable (%s); rules only", path, error)
        return None
    if not sides["risk"] or not sides["lookalike"]:
        log.warning("crisis exemplars %s: a side is empty; rules only", path)
        return None
    return Exemplars(risk=sides["risk"], lookalike=sides["lookalike"])


def side_scores(
    query: NDArray[np.float32], risk: NDArray[np.float32], lookalike: NDArray[np.float32], k: int
) -> tuple[float, float]:
    """Mean cosine of the k nearest risk exemplars, and of the k nearest look-alikes."""

    def top(matrix: NDArray[np.float32]) -> float:
        # einsum, not @: a single thread, where BLAS threads on a busy two-core machine made
        # this one product take 10 ms instead of under one.
        sims = np.einsum("ij,j->i", matrix, query)
        kk = min(k, len(sims))
        return float(np.partition(sims, len(sims) - kk)[-kk:].mean())

    return top(risk), top(lookalike)


def near_risk(scores: tuple[float, float], bars: KnnBars) -> bool:
    risk, lookalike = scores
    return risk >= bars.floor and risk - lookalike >= bars.margin


class CrisisKnn:
    """The exemplars, embedded once per model and knowledge version, and the check."""

    def __init__(
        self,
        model: SemanticModel,
        exemplars: Exemplars,
        bars: KnnBars = DEFAULT_BARS,
        questions: Sequence[str] = (),
    ) -> None:
        self.model = model
        self.bars = bars
        self.exemplars = exemplars
        # The FAQ's own phrasings are look-alikes too: ordinary questions, research questions
        # about suicide among them, that must never get the line.
        self._texts = (
            list(exemplars.risk),
            list(dict.fromkeys([*exemplars.lookalike, *questions])),
        )
        self._lock = threading.Lock()
        self._matrices: tuple[NDArray[np.float32], NDArray[np.float32]] | None = None
        self._failed = False

    def matrices(self) -> tuple[NDArray[np.float32], NDArray[np.float32]] | None:
        """Both sides' vectors (risk, look-alike), or None when the model failed. Embedded at
        the first message, not at start-up: with an empty DATA_DIR that takes a few seconds,
        on top of the semantic tier's own start (later starts read them from the cache)."""
        with self._lock:
            if self._matrices is None and not self._failed:
                risk, lookalike = self._texts
                try:
                    vectors = _vectors(self.model, [*risk, *lookalike])
                except Exception as error:  # a broken model must never take the screen down
                    log.warning("crisis kNN off: embedding the exemplars failed (%s)", error)
                    self._failed = True
                    return None
                self._matrices = (
                    np.ascontiguousarray(vectors[: len(risk)], dtype=np.float32),
                    np.ascontiguousarray(vectors[len(risk) :], dtype=np.float32),
                )
            return self._matrices

    def scores(self, text: str) -> tuple[float, float] | None:
        """(risk side, look-alike side) for a message; None when the model fails."""
        matrices = self.matrices()
        query = self.model.embed_query(text) if matrices is not None else None
        if matrices is None or query is None:
            return None
        return side_scores(query.astype(np.float32), *matrices, self.bars.k)

    def flags(self, text: str) -> bool:
        scores = self.scores(text)
        return scores is not None and near_risk(scores, self.bars)


def _vectors(model: SemanticModel, texts: list[str]) -> NDArray[np.float32]:
    """The exemplars' vectors, from the cache file where a text (and the model) is unchanged:
    a restart or a reload embeds nothing new (about 1.5 s for all of them on one core)."""
    from bot.semantic import text_key

    keys = [text_key(model.embedder.model_id, text) for text in texts]
    path = model.cache_path.with_name(CACHE_FILE) if model.cache_path is not None else None
    cached: dict[str, NDArray[np.float32]] = {}
    if path is not None and path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                cached = dict(zip((str(k) for k in data["keys"]), data["vectors"], strict=True))
        except Exception as error:  # a truncated or foreign file is rebuilt, not trusted
            log.info("crisis kNN cache %s unreadable (%s); embedding again", path, error)
    missing = [i for i, key in enumerate(keys) if key not in cached]
    if missing and model.cache_path is not None and model.cache_path.exists():
        # The FAQ's phrasings are in the semantic tier's cache already, under the same keys:
        # read, never written, and any other layout of that file is simply not used.
        try:
            with np.load(model.cache_path, allow_pickle=False) as data:
                wanted = {keys[i] for i in missing}
                for key, vector in zip(data["keys"], data["vectors"], strict=True):
                    if str(key) in wanted:
                        cached[str(key)] = vector.astype(np.float32)
        except Exception as error:
            log.info("semantic cache not read for the crisis kNN (%s)", error)
        missing = [i for i, key in enumerate(keys) if key not in cached]
    if missing:
        fresh = model.embedder.embed([texts[i] for i in missing])
        cached.update({keys[i]: fresh[row] for row, i in enumerate(missing)})
    matrix = np.vstack([cached[key] for key in keys]).astype(np.float32)
    if path is not None and (missing or len(cached) != len(set(keys))):
        unique = dict(zip(keys, matrix, strict=False))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:  # written aside and renamed: never half a file
                np.savez(
                    handle,
                    keys=np.array(list(unique), dtype="U64"),
                    vectors=np.vstack(list(unique.values())),
                )
            os.replace(temporary, path)
        except OSError as error:  # a read-only DATA_DIR costs start-up time, not answers
            log.warning("crisis kNN cache not written to %s: %s", path, error)
    return matrix


def build(
    model: SemanticModel | None,
    knowledge: Knowledge,
    bars: KnnBars = DEFAULT_BARS,
    *,
    faq_lookalikes: bool = True,
) -> CrisisKnn | None:
    """The layer for one knowledge version, or None when it cannot run (rules only)."""
    if model is None or not HAVE_NUMPY:
        return None
    exemplars = read_exemplars(knowledge.directory / EXEMPLARS_FILE)
    if exemplars is None:
        return None
    questions = [p for entry in knowledge.entries for p in entry.phrasings]
    return CrisisKnn(model, exemplars, bars, questions if faq_lookalikes else ())
