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
from passerelle.replies import answer_text


def _run(message: str, intent: str, confidence: float, offered_human: bool = False,
         suggested: list[str] | None = None) -> list[dict[str, Any]]:
    latest = {"text": message, "intent": {"name": intent, "confidence": confidence}, "metadata": {"language": "fr"}}
    tracker = Tracker("person-1", {"language": "fr", "misses": None, "offered_human": offered_human,
                                   "suggested": suggested}, latest, [], False, None, {}, None)
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


def test_a_number_picking_a_suggestion_is_answered_whatever_the_nlu_read(searcher: Searcher) -> None:
    entry = next(e for e in searcher.snapshot.entries if e.language == "fr")
    messages = _run("1", "greet", 0.95, suggested=[entry.id])
    assert [m.get("text") for m in messages if m.get("text")] == [answer_text(entry, "fr", fallback=False)]
    # without a list, the same greeting reads as a greeting
    assert [m.get("text") for m in _run("bonjour", "greet", 0.95)] == [text("greet", "fr")]
