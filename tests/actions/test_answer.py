"""`action_answer_question` searches with the vector the gateway's triage sent along with the
message (no second embedding in the action server), and answers exactly as without it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import answer
from knowledge_base.search import Searcher
from passerelle.triage import Triage

QUESTION = "comment avoir la complementaire sante solidaire"


class CountingEmbedder:
    """The searcher's real embedder, counting the texts it embeds."""

    def __init__(self, real: Any) -> None:
        self.real, self.name, self.dim, self.embedded = real, real.name, real.dim, 0

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self.real.embed_queries(texts)


def _answer(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    tracker = Tracker("person-1", {"language": None, "misses": None}, {"text": QUESTION, "metadata": metadata},
                      [], False, None, {}, None)
    dispatcher = CollectingDispatcher()
    answer.answer_question(dispatcher, tracker)
    return dispatcher.messages


def test_the_action_reuses_the_triage_vector(searcher: Searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = Triage(searcher.settings, searcher).assess(QUESTION, "fr")
    assert verdict.embedding is not None
    counting = CountingEmbedder(searcher.embedder)
    monkeypatch.setattr(searcher, "embedder", counting)
    monkeypatch.setattr(answer, "fresh_searcher", lambda: searcher)

    with_vector = _answer({"language": "fr", "query_vector": verdict.embedding.to_metadata()})
    assert counting.embedded == 0
    without = _answer({"language": "fr"})
    assert counting.embedded == 1
    assert with_vector == without and with_vector[0]["text"]
