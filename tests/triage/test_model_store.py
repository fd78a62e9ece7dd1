"""Keeping the learned models: vectors embedded once, models trained once per snapshot."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest

import passerelle.triage.model_store as model_store
from passerelle.settings import Settings
from passerelle.stack import prepare_triage
from passerelle.triage import Triage
from passerelle.triage.learned import LearnedTriage, train
from passerelle.triage.model_store import embed_cached, load_or_train, model_key, model_path
from passerelle.triage.references import KnowledgeView
from tests.triage.test_learned import EXAMPLES, VECTORS


class CountingEmbedder:
    """Deterministic vectors from character codes; remembers what it was asked to embed."""

    name = "counting"
    dim = 4

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        rows = [np.array([len(t), sum(map(ord, t)) % 97, t.count(" "), 1.0], dtype=np.float32) for t in texts]
        return np.vstack([r / np.linalg.norm(r) for r in rows])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.embed_queries(texts)


def test_embed_cached_embeds_each_text_once(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "counting.npz"
    embedder = CountingEmbedder()
    first = embed_cached(["un", "deux", "un"], embedder, cache)
    assert embedder.seen == ["un", "deux"]
    again = CountingEmbedder()
    second = embed_cached(["deux", "trois", "un"], again, cache)
    assert again.seen == ["trois"]
    assert np.array_equal(second[0], first[1]) and np.array_equal(second[2], first[0])
    assert embed_cached([], again, cache).shape == (0, 4)


def test_an_unreadable_embedding_cache_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "counting.npz"
    cache.write_bytes(b"not a numpy file")
    embedder = CountingEmbedder()
    assert embed_cached(["un"], embedder, cache).shape == (1, 4)
    assert embedder.seen == ["un"]


def test_the_model_key_follows_the_embedder() -> None:
    assert model_key("e5") == model_key("e5") != model_key("other")


def test_the_trained_models_are_kept_with_the_snapshot(triage: Triage, monkeypatch: pytest.MonkeyPatch) -> None:
    assert triage.prepare()  # trains or loads the models of the session's snapshot
    snapshot = triage.searcher.snapshot
    view = KnowledgeView.build(snapshot, triage.is_emergency_question)
    kept = model_path(view, triage.searcher.embedder)
    assert kept.is_file() and kept.parent == snapshot.path

    def no_training(*_: object) -> None:
        raise AssertionError("the cached models should have been loaded")

    monkeypatch.setattr(model_store, "train_on", no_training)
    assert isinstance(load_or_train(view, triage.searcher.embedder, triage.is_emergency_question), LearnedTriage)


def test_changed_training_data_retrains_and_replaces_the_old_models(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    examples = tmp_path / "urgency_examples.yaml"
    examples.write_text("- {text: je veux mourir, category: suicide}\n", encoding="utf-8")
    monkeypatch.setattr(model_store, "TRAINING_FILES", (examples,))
    small = train(EXAMPLES, VECTORS, {"mythe-autisme"})
    trainings: list[object] = []
    monkeypatch.setattr(model_store, "training_set", lambda *_: None)
    monkeypatch.setattr(model_store, "train_on", lambda data: trainings.append(data) or small)
    snapshot = tmp_path / "snapshot"
    view = cast(KnowledgeView, SimpleNamespace(snapshot=SimpleNamespace(path=snapshot)))

    def models() -> list[str]:
        return sorted(p.name for p in snapshot.glob("*.joblib"))

    assert isinstance(load_or_train(view, CountingEmbedder(), bool), LearnedTriage)  # type: ignore[arg-type]
    first = models()
    load_or_train(view, CountingEmbedder(), bool)  # type: ignore[arg-type]
    assert (len(trainings), models()) == (1, first)
    examples.write_text("- {text: i want to die, category: suicide}\n", encoding="utf-8")
    load_or_train(view, CountingEmbedder(), bool)  # type: ignore[arg-type]
    assert len(trainings) == 2 and len(models()) == 1 and models() != first


def test_make_run_and_passerelle_train_prepare_the_models(triage_settings: Settings) -> None:
    said: list[str] = []
    prepare_triage(triage_settings, log=said.append)
    assert said == ["triage models ready"]
