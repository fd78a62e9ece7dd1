"""A message's query vector, computed once and carried to the process that searches with it.

The gateway's triage embeds every message; the action server then searched the knowledge base
with the same message and embedded it again (the e5 embedding is most of the CPU a question
costs in each process). The gateway now sends its vector along with the message (Rasa passes the
message's metadata to the action server), and search uses it instead of embedding again.

A vector is used only if it provably is the one search would compute: the same embedder, the
same dimension, and the hash of exactly the text search embeds. Anything else (a message longer
than what triage embeds, another backend, a missing or malformed field) is ignored, and search
embeds the text itself as before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

METADATA_KEY = "query_vector"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class QueryEmbedding:
    """The vector `embedder` gave for `text` (float32, as `Embedder.embed_queries` returns it)."""

    text: str
    vector: np.ndarray
    embedder: str

    def to_metadata(self) -> dict[str, str]:
        """A JSON-safe form: the raw float32 bytes in base64 (exact, 2 KB for 384 dimensions)."""
        raw = np.ascontiguousarray(self.vector, dtype="<f4").tobytes()
        return {"embedder": self.embedder, "text_sha256": _digest(self.text),
                "f32": base64.b64encode(raw).decode("ascii")}


def vector_for(payload: Any, text: str, embedder: str, dim: int) -> np.ndarray | None:
    """The vector carried in `payload` if it was computed by `embedder` from exactly `text`, else None."""
    if not isinstance(payload, dict) or payload.get("embedder") != embedder:
        return None
    if payload.get("text_sha256") != _digest(text) or not isinstance(payload.get("f32"), str):
        return None
    try:
        raw = base64.b64decode(payload["f32"], validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 4 * dim:
        return None
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)
