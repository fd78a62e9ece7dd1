"""Small talk: a confident "oui" gets its short reply; a question the NLU misread as small talk
(a low-confidence "affirm" for "vaccin grippe") is searched, even right after an offer of a mediator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import answer, conversation, signals
from knowledge_base.search import Searcher
from passerelle.messages import text


def _run(message: str, intent: str, confidence: float, offered_human: bool = False) -> list[dict[str, Any]]:
    latest = {"text": message, "intent": {"name": intent, "confidence": confidence}, "metadata": {"language": "fr"}}
    tracker = Tracker("person-1", {"language": "fr", "misses": None, "offered_human": offered_human}, latest,
                      [], False, None, {}, None)
    dispatcher = CollectingDispatcher()
    asyncio.run(conversation.ActionSmallTalk().run(dispatcher, tracker, {}))
    return dispatcher.messages


def _handoff(message: dict[str, Any]) -> str | None:
    return ((message.get("custom") or {}).get(signals.KEY) or {}).get("handoff")


@pytest.fixture(autouse=True)
def _shipped_searcher(searcher: Searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answer, "fresh_searcher", lambda: searcher)


def test_a_confident_yes_gets_the_short_reply() -> None:
    assert [m.get("text") for m in _run("oui", "affirm", 0.99)] == [text("affirm_alone", "fr")]


def test_a_confident_yes_after_an_offer_hands_over() -> None:
    [message] = _run("oui", "affirm", 0.99, offered_human=True)
    assert _handoff(message) == "asked"


@pytest.mark.parametrize(("message", "intent"), [("vaccin grippe", "affirm"), ("rdv medecin", "thanks")])
def test_a_question_misread_as_small_talk_is_searched(message: str, intent: str) -> None:
    for offered in (False, True):
        replies = _run(message, intent, 0.4, offered_human=offered)
        assert replies and not any(_handoff(r) for r in replies)
        assert all(r.get("text") != text("affirm_alone", "fr") for r in replies)
        assert any("Source" in (r.get("text") or "") or "médiateur" in (r.get("text") or "") for r in replies)
