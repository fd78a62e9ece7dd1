"""Vectors of texts kept in a file by text hash, so that each text is encoded once, not once per
process or per snapshot.

Why: triage's training messages (an e5 embedding each) and the knowledge base's texts for the
cross-lingual encoder outlive a process; re-encoding them on every start cost seconds of CPU
while messages were already arriving (the action server loads its searcher on the first
message). Files are written aside and renamed, so a concurrent process never reads half a
file; a cache that cannot be read or written only costs time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

BATCH = 64


def text_key(text: str) -> str:
    """The cache key of a text (its SHA-1: a key, not a secret)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write `path` through a temporary file in the same folder, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(Path(name))
        os.replace(name, path)
    finally:
        if os.path.exists(name):
            os.unlink(name)


def cached_vectors(texts: list[str], encode: Callable[[list[str]], np.ndarray], dim: int,
                   cache_file: Path) -> np.ndarray:
    """Vectors of `texts` (one row each), encoding only those the cache file does not hold yet."""
    known: dict[str, np.ndarray] = {}
    try:
        with np.load(cache_file) as cached:
            known = dict(zip(cached["keys"].tolist(), cached["vectors"], strict=True))
    except (OSError, ValueError, KeyError):
        pass
    keys = [text_key(t) for t in texts]
    missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in known))
    for start in range(0, len(missing), BATCH):
        batch = missing[start:start + BATCH]
        for text, vector in zip(batch, encode(batch), strict=True):
            known[text_key(text)] = vector
    if missing:
        def save(tmp: Path) -> None:
            with tmp.open("wb") as out:
                np.savez(out, keys=np.asarray(list(known)), vectors=np.vstack(list(known.values())))
        try:
            write_atomically(cache_file, save)
        except OSError:
            log.warning("could not write the vector cache %s", cache_file)
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    return np.vstack([known[k] for k in keys]).astype(np.float32)
