"""A vector computed once (by the gateway's triage) is reused by search only when it is exactly
the one search would compute, and then search ranks exactly as if it had embedded the text."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge_base.query_embedding import QueryEmbedding, vector_for
from knowledge_base.search import Searcher

QUESTION = "c koi mon espace santé"


@pytest.fixture(scope="module")
def carried(searcher: Searcher) -> dict[str, str]:
    vector = searcher.embedder.embed_queries([QUESTION])[0]
    return QueryEmbedding(QUESTION, vector, searcher.embedder.name).to_metadata()


def test_the_carried_vector_is_exact_and_search_ranks_the_same(searcher: Searcher, carried: dict[str, str]) -> None:
    vector = vector_for(carried, QUESTION, searcher.embedder.name, searcher.embedder.dim)
    assert vector is not None
    assert np.array_equal(vector, searcher.embedder.embed_queries([QUESTION])[0])
    reused, embedded = searcher.search(QUESTION, "fr", query_vector=vector), searcher.search(QUESTION, "fr")
    assert reused.answerable and reused.entry is not None
    assert reused.hits == embedded.hits and reused.hits


@pytest.mark.parametrize("change", ["other text", "other embedder", "other dimension", "bad base64", "short",
                                    "not a dict"])
def test_a_vector_that_may_not_be_ours_is_ignored(searcher: Searcher, carried: dict[str, str], change: str) -> None:
    text, embedder, dim, payload = QUESTION, searcher.embedder.name, searcher.embedder.dim, dict(carried)
    if change == "other text":
        text = QUESTION + " ?"
    elif change == "other embedder":
        embedder = "sentence-transformers:all-MiniLM-L6-v2"
    elif change == "other dimension":
        dim = dim * 2
    elif change == "bad base64":
        payload["f32"] = "not base64 !"
    elif change == "short":
        payload["f32"] = payload["f32"][:64]
    assert vector_for(payload if change != "not a dict" else [payload], text, embedder, dim) is None
