"""`action_answer_question` searches with the vector the gateway's triage sent along with the
message (no second embedding in the action server), and answers exactly as without it; when the
search is not sure it offers its likely topics, and a number in reply answers the one picked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import answer, signals
from knowledge_base.search import Searcher
from passerelle.messages import text
from passerelle.replies import answer_text, suggestion_text
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


# "Did you mean 1, 2 or 3?": the searcher is made unsure of a question it knows (answer bar out of
# reach), with the suggest bar at 0 so that its first three topics are offered.

def _unsure(searcher: Searcher, monkeypatch: pytest.MonkeyPatch, suggest_threshold: float = 0.0) -> None:
    settings = searcher.settings.model_copy(update={"answer_threshold": 10.0, "suggest_threshold": suggest_threshold})
    monkeypatch.setattr(searcher, "settings", settings)
    monkeypatch.setattr(answer, "fresh_searcher", lambda: searcher)


def _reply(message: str, slots: dict[str, Any],
           intent: str = "ask_question") -> tuple[list[dict[str, Any]], dict[str, Any]]:
    tracker = Tracker("person-1", {"language": "fr", "misses": None, **slots},
                      {"text": message, "intent": {"name": intent, "confidence": 0.9}, "metadata": {"language": "fr"}},
                      [], False, None, {}, None)
    dispatcher = CollectingDispatcher()
    events = answer.answer_question(dispatcher, tracker)
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def _signal(messages: list[dict[str, Any]], key: str) -> Any:
    return next((m["custom"][signals.KEY][key] for m in messages
                 if key in ((m.get("custom") or {}).get(signals.KEY) or {})), None)


def test_an_unsure_search_offers_its_first_three_topics(searcher: Searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    _unsure(searcher, monkeypatch)
    hits = searcher.search(QUESTION, language="fr").hits
    messages, slots = _reply(QUESTION, {})
    assert messages[0]["text"] == suggestion_text([h.title for h in hits], "fr", searcher.settings.sms_max_chars)[0]
    assert slots["suggested"] == _signal(messages, "suggested") == [h.id for h in hits]
    assert _signal(messages, "unanswered") == "suggested"
    assert slots["offered_human"] is False and "misses" not in slots  # not a miss: the person has a way on


def test_a_number_answers_the_suggested_entry_like_an_answer(searcher: Searcher,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _unsure(searcher, monkeypatch)
    entries = {e.id: e for e in searcher.snapshot.entries}
    suggested = [h.id for h in searcher.search(QUESTION, language="fr").hits]
    for reply in ("2", "le 2", "2.", "٢"):
        messages, slots = _reply(reply, {"suggested": suggested, "misses": 1.0}, intent="choose_suggestion")
        chosen = entries[suggested[1]]
        assert messages[0]["text"] == answer_text(chosen, "fr", fallback=False)
        assert _signal(messages, "entry") == {"id": chosen.id, "topic": chosen.topic, "version": chosen.version}
        assert slots == {"language": "fr", "suggested": None, "last_topic": chosen.topic, "misses": 0.0,
                         "offered_human": False}


def test_a_number_without_a_list_is_searched_as_today(searcher: Searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer, "fresh_searcher", lambda: searcher)
    messages, slots = _reply("2", {}, intent="choose_suggestion")
    assert messages[0]["text"] == text("not_sure", "fr") and slots["misses"] == 1.0
    # a number beyond the list offered is no choice either, and the list is dropped
    messages, slots = _reply("3", {"suggested": ["mes-activer-fr"]}, intent="choose_suggestion")
    assert messages[0]["text"] == text("not_sure", "fr") and slots["suggested"] is None


def test_a_list_holds_for_the_next_message_only(searcher: Searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer, "fresh_searcher", lambda: searcher)
    suggested = [h.id for h in searcher.search(QUESTION, language="fr").hits]
    messages, slots = _reply("comment avoir une carte vitale", {"suggested": suggested})
    assert "carte-vitale" in _signal(messages, "entry")["topic"] and slots["suggested"] is None


def test_under_the_suggest_bar_it_is_not_sure_as_before(searcher: Searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    _unsure(searcher, monkeypatch, suggest_threshold=10.0)
    messages, slots = _reply(QUESTION, {})
    assert messages[0]["text"] == text("not_sure", "fr") and slots["misses"] == 1.0 and slots["suggested"] is None
    messages, slots = _reply(QUESTION, {"misses": 1.0})
    assert _signal(messages, "handoff") == "no_answer"
