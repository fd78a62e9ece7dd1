"""The gateway triages with this library, on its own: with Rasa and the action server down, an
emergency is still answered first with the number to call, and the verdict it stores (passed to
Rasa with the message, read by the mediator console) is the library's own."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from channels.models import Message
from passerelle.replies import answer_text
from passerelle.triage import Triage
from tests.channels.test_app import client, simulate

__all__ = ["client"]  # the web app with Rasa down, as the channel tests build it

# Caught by the learned model only (see test_learned.py): the gateway must use the same models.
UNNAMED_EMERGENCY = "mon fils a avalé le contenu d'un flacon de lave-vitre"
MYTH = "le vaccin ror donne l'autisme"


def stored_verdicts(client: TestClient) -> dict[str, dict[str, object]]:
    """The triage metadata the gateway stored with each inbound message, by text."""
    with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        rows = session.scalars(select(Message).where(Message.direction == "in")).all()
        return {row.body: (row.meta or {}).get("triage") for row in rows}


def test_the_gateway_triages_with_the_library_while_rasa_is_down(client: TestClient) -> None:
    triage = client.app.state.gateway.triage  # type: ignore[attr-defined]
    assert isinstance(triage, Triage)
    replies = simulate(client, UNNAMED_EMERGENCY)
    entry = triage.urgent_entry("poisoning", "fr")
    assert replies[0] == answer_text(entry, "fr", fallback=False)
    assert replies[0].startswith("Appelez le 15")

    simulate(client, MYTH)
    verdict = triage.assess(MYTH, "fr")
    stored = stored_verdicts(client)
    assert stored[UNNAMED_EMERGENCY] == {"urgent": True, "category": "poisoning", "myth": None,
                                         "myth_level": "none", "rumour_cue": False}
    assert stored[MYTH] == {"urgent": False, "category": None, "myth": verdict.myth.topic,
                            "myth_level": verdict.myth.level, "rumour_cue": verdict.rumour_cue}
    assert stored[MYTH]["myth"] == "mythe-vaccin-autisme"
