"""Journey expectations: named answers and catalogue messages, compared after folding."""

from __future__ import annotations

import pytest

from evaluation.conversations import Expectations, load_journeys
from knowledge_base.loader import load_entries
from knowledge_base.schema import Entry, Status
from passerelle.messages import text
from passerelle.settings import ROOT, Settings

ENTRIES = [Entry(id=f"cv-{lang}", topic="carte-vitale", language=lang, title="t", answer_sms=answer,
                 answer_long=answer, status=Status.published)
           for lang, answer in (("fr", "Demandez votre carte Vitale sur ameli.fr, rubrique Mes démarches."),
                                ("en", "Ask for your carte Vitale on ameli.fr, under My procedures."))]


@pytest.fixture()
def expectations() -> Expectations:
    return Expectations(ENTRIES, Settings())


def test_an_answer_matches_despite_case_accents_and_punctuation(expectations: Expectations) -> None:
    reply = "demandez votre carte vitale sur AMELI.FR rubrique mes demarches !\nSource : https://www.ameli.fr"
    assert expectations.check([reply], {"answer": "carte-vitale"}, "fr") == (True, "answer carte-vitale (fr)")


def test_an_answer_in_the_wrong_language_fails(expectations: Expectations) -> None:
    ok, expected = expectations.check([ENTRIES[0].answer_sms], {"answer": "carte-vitale", "lang": "en"}, "fr")
    assert not ok and expected == "answer carte-vitale (en)"


def test_a_language_without_the_entry_expects_the_french_fallback(expectations: Expectations) -> None:
    assert expectations.check(["(note)", ENTRIES[0].answer_sms], {"answer": "carte-vitale"}, "pt")[0]


def test_catalogue_messages_are_formatted_and_any_of_several_may_come(expectations: Expectations) -> None:
    settings = Settings()
    closed = text("handoff_closed", "fr", hours=settings.working_hours)
    assert expectations.check([closed], {"catalogue": ["handoff_waiting", "handoff_closed"]}, "fr")[0]
    assert not expectations.check([closed], {"catalogue": "greet"}, "fr")[0]


def test_silence_is_an_expectation(expectations: Expectations) -> None:
    assert expectations.check([], {"silent": True}, "fr")[0]
    assert not expectations.check(["Bonjour"], {"silent": True}, "fr")[0]


def test_unknown_topics_are_an_error_not_a_failure(expectations: Expectations) -> None:
    with pytest.raises(KeyError):
        expectations.check(["x"], {"answer": "no-such-topic"}, "fr")


def _names(value: str | list[str] | None) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def test_shipped_journeys_name_real_topics_and_messages() -> None:
    journeys = load_journeys()
    entries, _ = load_entries(ROOT / "knowledge_base" / "content")
    topics = {e.topic for e in entries}
    kinds = {j["kind"] for j in journeys}
    assert kinds == {"question_answered", "not_understood_mediator", "urgent", "myth", "language_switch", "opt_out"}
    assert len({j["name"] for j in journeys}) == len(journeys)
    for journey in journeys:
        for turn in journey["turns"]:
            expect = turn["expect"]
            for topic in _names(expect.get("answer")):
                assert topic in topics, journey["name"]
            for key in _names(expect.get("catalogue")):
                assert text(key, expect.get("lang", journey["lang"]), minutes=15, hours="x"), journey["name"]
