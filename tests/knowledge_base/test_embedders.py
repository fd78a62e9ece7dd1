"""Both embedding backends load offline from installed packages and rank sensibly."""

import numpy as np
import pytest

from knowledge_base.embedders import PARALLEL_BATCH_MIN, E5Embedder, get_embedder


@pytest.mark.parametrize("backend", ["e5", "sentence-transformers"])
def test_backend_embeds_normalised_vectors_that_rank_the_paraphrase_first(backend: str) -> None:
    embedder = get_embedder(backend)
    query = embedder.embed_queries(["I lost my health insurance card"])
    docs = embedder.embed_queries(["my health card was stolen, what do I do", "how do I make tea",
                                   "what is the weather tomorrow"])
    assert query.shape == (1, embedder.dim) and query.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert int(np.argmax(docs @ query[0])) == 0
    assert embedder.embed_passages([]).shape == (0, embedder.dim)


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown embedder backend"):
        get_embedder("word2vec")


def test_a_long_batch_split_across_engines_gives_the_same_vectors_in_the_same_order() -> None:
    texts = [f"question {n}: comment renouveler ma carte vitale numero {n * 7}" for n in range(PARALLEL_BATCH_MIN + 5)]
    alone = E5Embedder(batch_engines=1)
    split = E5Embedder(batch_engines=2)
    assert split._extra == []  # short batches never load a second engine
    split.embed_queries(texts[:3])
    assert split._extra == []
    for kind in ("embed_queries", "embed_passages"):
        expected = getattr(alone, kind)(texts)
        got = getattr(split, kind)(texts)
        assert got.shape == expected.shape and np.array_equal(got, expected)
    assert len(split._extra) == 1
