"""Both embedding backends load offline from installed packages and rank sensibly."""

import numpy as np
import pytest

from knowledge_base.embedders import get_embedder


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
