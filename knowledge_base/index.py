"""Building, storing and loading the search index of the live entries.

An index is a self-contained snapshot in its own folder (vectors, FAISS index, the entries it
answers with, metadata with the content hash). `CURRENT` names the folder in use and is
replaced atomically, so a reader sees either the old snapshot or the new one, never half of
each, and the running servers can swap to a rebuilt index without a restart.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from knowledge_base.embedders import Embedder
from knowledge_base.loader import content_hash
from knowledge_base.schema import Entry

POINTER = "CURRENT"
KEEP_SNAPSHOTS = 2  # the one in use and the previous one, for readers still holding it
# lists probed per query: at 10k and 30k synthetic entries (evaluation/search_benchmark.py) 32 probes
# kept the exact best entry in the top 10 for 81 % / 91 % of queries, 256 for 99 % / 98 %, at +2.5 ms
IVF_PROBES = 256
IVF_TRAIN_POINTS_PER_LIST = 40  # FAISS warns under 39


@dataclass
class IndexSnapshot:
    """Everything search needs, loaded from one snapshot folder."""

    path: Path
    entries: list[Entry]
    vectors: np.ndarray  # (n_vectors, dim) float32, L2-normalised
    owners: np.ndarray  # (n_vectors,) index into `entries`
    offsets: np.ndarray  # (n_entries + 1,) vectors of entry i are offsets[i]:offsets[i+1]
    faiss_index: faiss.Index
    meta: dict[str, object]


def entry_texts(entry: Entry) -> tuple[list[str], list[str]]:
    """(short texts embedded as queries, long texts embedded as passages) for one entry.

    Questions, claims and the title are phrased like what people send, so they are embedded the
    way incoming messages are (e5 "query:" side); the answer is a passage.
    """
    return [entry.title, *entry.questions, *entry.claims], [entry.answer_sms]


EMBED_BATCH = 256

TextsKey = tuple[tuple[str, ...], tuple[str, ...]]


def texts_key(entry: Entry) -> TextsKey:
    """What an entry's vectors depend on: two entries with the same texts have the same vectors."""
    short, long = entry_texts(entry)
    return tuple(short), tuple(long)


def known_vectors(snapshot: IndexSnapshot) -> dict[TextsKey, np.ndarray]:
    """Each entry's block of vectors in `snapshot`, keyed by its texts, for reuse by a rebuild."""
    return {texts_key(entry): snapshot.vectors[snapshot.offsets[i]:snapshot.offsets[i + 1]]
            for i, entry in enumerate(snapshot.entries)}


def _embed_all(entries: list[Entry], embedder: Embedder, progress: Callable[[int], None] | None,
               known: dict[TextsKey, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vectors, owners, offsets) of `entries`, embedding only the texts `known` does not hold.

    Publishing one edited entry thus embeds a dozen texts instead of the whole knowledge base
    (a minute on two cores), which is what lets the assistant follow an editor within seconds.
    """
    known = known or {}
    todo = [e for e in entries if texts_key(e) not in known]
    fresh = _embed_entries(todo, embedder, progress)
    blocks = [known[key] if key in known else fresh[key] for key in map(texts_key, entries)]
    sizes = [len(block) for block in blocks]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    owners = np.repeat(np.arange(len(entries), dtype=np.int32), sizes)
    matrix = (np.vstack(blocks).astype(np.float32) if blocks else np.zeros((0, embedder.dim), np.float32))
    return matrix, owners, offsets


def _embed_entries(entries: list[Entry], embedder: Embedder,
                   progress: Callable[[int], None] | None) -> dict[TextsKey, np.ndarray]:
    """Embed every text of every entry in large batches (per-entry calls are ~10x slower)."""
    short_texts: list[str] = []
    long_texts: list[str] = []
    for entry in entries:
        short, long = entry_texts(entry)
        short_texts.extend(short)
        long_texts.extend(long)
    short_vectors = _batched(embedder.embed_queries, short_texts, embedder.dim, progress, len(entries), 2)
    long_vectors = _batched(embedder.embed_passages, long_texts, embedder.dim, progress, len(entries), 2)
    blocks: dict[TextsKey, np.ndarray] = {}
    s_pos = l_pos = 0
    for entry in entries:
        short, long = entry_texts(entry)
        blocks[texts_key(entry)] = np.vstack([short_vectors[s_pos:s_pos + len(short)],
                                              long_vectors[l_pos:l_pos + len(long)]])
        s_pos, l_pos = s_pos + len(short), l_pos + len(long)
    return blocks


def _batched(embed: Callable[[list[str]], np.ndarray], texts: list[str], dim: int,
             progress: Callable[[int], None] | None, units: int, phases: int) -> np.ndarray:
    """Embed `texts` batch by batch, advancing the progress bar by this phase's share of `units`."""
    parts = []
    done_units = 0
    for start in range(0, len(texts), EMBED_BATCH):
        parts.append(embed(texts[start:start + EMBED_BATCH]))
        if progress:
            target = (units * min(len(texts), start + EMBED_BATCH)) // (max(len(texts), 1) * phases)
            progress(target - done_units)
            done_units = target
    return np.vstack(parts).astype(np.float32) if parts else np.zeros((0, dim), np.float32)


def make_faiss_index(vectors: np.ndarray, exact_max: int) -> tuple[faiss.Index, str]:
    """Exact inner-product search up to `exact_max` vectors, an IVF index above.

    IVF rather than HNSW because it builds in seconds rather than many minutes at a million
    vectors on two cores, for a recall measured by the scale benchmark (evaluation/). Its lists
    hold 8-bit scalar-quantised codes (SQ8): a query scans 256 lists, and at 30k entries that scan
    took 7.7 ms of CPU p50 against 10.3 ms with float vectors, for the same best-entry-in-top-10
    rate (98.3 %), at a quarter of the memory. Search rescores the candidates with the float
    vectors of the snapshot, so the quantisation never changes a score the answer threshold reads.
    """
    dim = vectors.shape[1]
    if len(vectors) <= exact_max:
        index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return index, "flat"
    lists = int(4 * np.sqrt(len(vectors)))
    ivf = faiss.index_factory(dim, f"IVF{lists},SQ8", faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(len(vectors), size=min(len(vectors), IVF_TRAIN_POINTS_PER_LIST * lists), replace=False)]
    ivf.train(sample)
    ivf.add(vectors)
    faiss.extract_index_ivf(ivf).nprobe = IVF_PROBES
    return ivf, "ivf"


def build_index(entries: list[Entry], embedder: Embedder, index_root: Path, *, exact_max: int,
                progress: Callable[[int], None] | None = None, reuse: IndexSnapshot | None = None,
                source: str = "files") -> Path:
    """Embed the live entries and publish a new snapshot under `index_root`; returns its folder.

    With `reuse` (a snapshot made by the same embedder), entries whose texts did not change keep
    their vectors from it. `source` records where the entries came from ("files", or "editors"
    for the content console's published versions).
    """
    live = [e for e in entries if e.is_live]
    started = time.perf_counter()
    known = known_vectors(reuse) if reuse is not None and reuse.meta.get("embedder") == embedder.name else None
    vectors, owners, offsets = _embed_all(live, embedder, progress, known)
    index, kind = make_faiss_index(vectors, exact_max)
    index_root.mkdir(parents=True, exist_ok=True)
    digest = content_hash(live)
    staging = Path(tempfile.mkdtemp(prefix=f".build-{digest}-", dir=index_root))
    np.save(staging / "vectors.npy", vectors)
    np.save(staging / "owners.npy", owners)
    np.save(staging / "offsets.npy", offsets)
    faiss.write_index(index, str(staging / "vectors.faiss"))
    with (staging / "entries.jsonl").open("w", encoding="utf-8") as out:
        for entry in live:
            out.write(entry.model_dump_json() + "\n")
    meta = {
        "content_hash": digest,
        "source": source,
        "embedder": embedder.name,
        "dim": embedder.dim,
        "entries": len(live),
        "vectors": int(len(vectors)),
        "faiss": kind,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(time.perf_counter() - started, 2),
    }
    (staging / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    final = index_root / f"{digest}-{embedder.name.replace('/', '_').replace(':', '_')}-{time.time_ns()}"
    staging.rename(final)
    _point_to(index_root, final.name)
    _prune(index_root, keep=final.name)
    return final


def _point_to(index_root: Path, name: str) -> None:
    tmp = index_root / f".{POINTER}.{os.getpid()}"
    tmp.write_text(name, encoding="utf-8")
    os.replace(tmp, index_root / POINTER)  # atomic on POSIX


def _prune(index_root: Path, keep: str) -> None:
    snapshots = sorted((p for p in index_root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                       key=lambda p: p.stat().st_mtime, reverse=True)
    for old in snapshots[KEEP_SNAPSHOTS:]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def current_snapshot_name(index_root: Path) -> str | None:
    """The folder name `CURRENT` points to, or None when no index was built yet."""
    try:
        return (index_root / POINTER).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def read_meta(index_root: Path) -> dict[str, object] | None:
    """The metadata of the snapshot in use, without loading vectors."""
    name = current_snapshot_name(index_root)
    if name is None:
        return None
    try:
        meta: dict[str, object] = json.loads((index_root / name / "meta.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return meta


def load_snapshot(index_root: Path, name: str | None = None) -> IndexSnapshot:
    """Load the snapshot folder `name`, by default the one `CURRENT` points to."""
    name = name or current_snapshot_name(index_root)
    if name is None:
        raise FileNotFoundError(f"no index under {index_root}: run `passerelle kb build`")
    path = index_root / name
    entries = [Entry.model_validate_json(line) for line in
               (path / "entries.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    index = faiss.read_index(str(path / "vectors.faiss"))
    if hasattr(index, "nprobe"):
        faiss.extract_index_ivf(index).nprobe = IVF_PROBES
    return IndexSnapshot(
        path=path,
        entries=entries,
        vectors=np.load(path / "vectors.npy"),
        owners=np.load(path / "owners.npy"),
        offsets=np.load(path / "offsets.npy"),
        faiss_index=index,
        meta=json.loads((path / "meta.json").read_text(encoding="utf-8")),
    )


def snapshot_with(snapshot: IndexSnapshot, entry: Entry, embedder: Embedder, *, exact_max: int) -> IndexSnapshot:
    """An in-memory copy of `snapshot` where `entry` replaces the entry of the same id (or is added).

    Used to show an editor what search would return after their change, without publishing it;
    only the edited entry's texts are embedded.
    """
    entries = [e for e in snapshot.entries if e.id != entry.id] + [entry]
    vectors, owners, offsets = _embed_all(entries, embedder, None, known_vectors(snapshot))
    index, _kind = make_faiss_index(vectors, exact_max)
    return IndexSnapshot(path=snapshot.path, entries=entries, vectors=vectors, owners=owners, offsets=offsets,
                         faiss_index=index, meta={**snapshot.meta, "draft": entry.id})


def stderr_is_terminal() -> bool:
    """Progress bars only on a terminal; logs and CI stay clean."""
    return sys.stderr.isatty()
