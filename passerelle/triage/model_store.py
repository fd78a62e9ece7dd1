"""Training the learned triage models once, and keeping them next to the index snapshot.

Training embeds about 1,100 labelled messages and 400 knowledge-base questions given a time
(a minute or two on two cores) and fits four models (under a minute), so both results are kept:
- the labelled messages' vectors, by embedder and text hash, in `<index root>/.triage-cache/`
  (the leading dot keeps index pruning away); they outlive snapshots, so after a content edit
  only the fits run again;
- the fitted models, in the snapshot folder, under a key over the training files, the patterns
  file (it decides which urgent-entry questions are only informational), the source of the
  training code, the embedder and the scikit-learn version: change any and the models retrain.
Files are written aside and renamed, so a concurrent process never reads half a file; a cache
that cannot be read or written only costs time.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import sklearn

from knowledge_base.embedders import Embedder
from knowledge_base.schema import Kind
from knowledge_base.vector_cache import cached_vectors, write_atomically
from passerelle.triage import learned, training_data
from passerelle.triage.learned import LearnedTriage, MythModels, train, train_myth
from passerelle.triage.patterns import PATTERNS_FILE
from passerelle.triage.references import KnowledgeView
from passerelle.triage.training_data import (
    TRAINING_FILES,
    Example,
    everyday_examples,
    files_digest,
    knowledge_examples,
    labelled_examples,
)

log = logging.getLogger(__name__)

CACHE_FOLDER = ".triage-cache"
MODEL_PREFIX = "triage-model-"


def embed_cached(texts: list[str], embedder: Embedder, cache_file: Path) -> np.ndarray:
    """Query vectors of `texts`, embedding only those the cache file does not hold yet."""
    return cached_vectors(texts, embedder.embed_queries, embedder.dim, cache_file)


def model_key(embedder_name: str) -> str:
    """What a cached model depends on besides the snapshot it sits in."""
    code = (Path(learned.__file__), Path(training_data.__file__))
    parts = [sklearn.__version__, embedder_name, files_digest((*TRAINING_FILES, PATTERNS_FILE, *code))]
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class TrainingSet:
    """Everything the models learn from, with one vector per example."""

    labelled: list[Example]
    labelled_vectors: np.ndarray
    known: list[Example]  # from the knowledge base (its entries, and its questions given a time)
    known_vectors: np.ndarray
    myth_topics: set[str]  # the myths the knowledge base answers


def training_set(view: KnowledgeView, embedder: Embedder,
                 is_emergency_question: Callable[[str], bool]) -> TrainingSet:
    """The labelled files and the snapshot's entries, embedded (labelled ones and the everyday
    questions made from the entries through the cache)."""
    labelled = labelled_examples()
    cache_file = view.snapshot.path.parent / CACHE_FOLDER / f"{embedder.name.replace('/', '_').replace(':', '_')}.npz"
    known, known_vectors = knowledge_examples(view, is_emergency_question)
    everyday = everyday_examples(view)
    vectors = embed_cached([e.text for e in labelled + everyday], embedder, cache_file)
    return TrainingSet(labelled, vectors[:len(labelled)], known + everyday,
                       np.vstack([known_vectors, vectors[len(labelled):]]),
                       {e.topic for e in view.snapshot.entries if e.kind is Kind.myth})


def _chosen(data: TrainingSet, keep: np.ndarray | None) -> tuple[list[Example], np.ndarray]:
    """The knowledge-base examples and the labelled ones `keep` selects (all by default), with their vectors."""
    chosen = np.ones(len(data.labelled), dtype=bool) if keep is None else keep
    labelled = [e for e, k in zip(data.labelled, chosen, strict=True) if k]
    return labelled + data.known, np.vstack([data.labelled_vectors[chosen], data.known_vectors])


def train_on(data: TrainingSet, keep: np.ndarray | None = None) -> LearnedTriage:
    """Fit on the knowledge-base examples and the labelled ones `keep` selects (all by default)."""
    return train(*_chosen(data, keep), data.myth_topics)


def train_myth_on(data: TrainingSet, keep: np.ndarray | None = None) -> MythModels:
    """The myth models alone, fitted as `train_on` fits them."""
    return train_myth(*_chosen(data, keep), data.myth_topics)


def model_path(view: KnowledgeView, embedder: Embedder) -> Path:
    """Where the models of this snapshot, training data and code are kept."""
    return view.snapshot.path / f"{MODEL_PREFIX}{model_key(embedder.name)}.joblib"


def load_or_train(view: KnowledgeView, embedder: Embedder,
                  is_emergency_question: Callable[[str], bool]) -> LearnedTriage:
    """The models for this snapshot: from its folder when already trained, else trained and saved."""
    path = model_path(view, embedder)
    try:
        model = joblib.load(path)
        if isinstance(model, LearnedTriage):
            return model
    except FileNotFoundError:
        pass
    except Exception:  # an unreadable cache (other library version, truncated file) is retrained
        log.warning("triage model cache unreadable; training again")
    log.info("training the triage models for snapshot %s", view.snapshot.path.name)
    model = train_on(training_set(view, embedder, is_emergency_question))
    try:
        write_atomically(path, lambda tmp: joblib.dump(model, tmp))
        for stale in path.parent.glob(f"{MODEL_PREFIX}*.joblib"):  # trained on older data or code
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        log.warning("could not write the triage model cache %s", path)
    return model
