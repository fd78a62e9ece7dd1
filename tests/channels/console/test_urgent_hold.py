"""An urgent message and a mediator acting at the same moment: the mediator's hold must stand.

The gateway loads the conversation before triage and writes it back seconds later. A mediator who
takes it over meanwhile keeps it (the conversation is flagged urgent in their queue), and Rasa is
told to pause the bot only once the escalation is committed. Here the mediator acts through the
console's service in its own session, at those two moments of the real gateway (during the real
triage, patterns only without an index; during the pause call to Rasa). The same with the real
stack and a stopped Rasa is in tests/e2e/test_faults.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from channels import handoff
from channels.console import service
from channels.console.queue import open_queue
from channels.db import Database
from channels.gateway import Gateway, Inbound
from channels.models import Conversation, Message
from channels.rasa_client import RasaClient
from passerelle.messages import text
from passerelle.settings import Settings
from passerelle.triage import Triage
from passerelle.triage.verdicts import TriageVerdict
from tests.channels.console.conftest import add_account, bring_in

URGENT = "mon pere se tient la poitrine, il est tout gris"  # a curated pattern: cardiac


class TriageWhile(Triage):
    """The real triage, during which `meanwhile` runs once (after the gateway loaded the conversation)."""

    def __init__(self, settings: Settings, meanwhile: Callable[[], object]) -> None:
        super().__init__(settings)
        self.meanwhile = meanwhile

    def assess(self, text: str, language: str | None = None) -> TriageVerdict:
        meanwhile, self.meanwhile = self.meanwhile, lambda: None
        meanwhile()
        return super().assess(text, language)


class PauseWhile(RasaClient):
    """Rasa's tracker API, where each note runs `meanwhile` and is recorded (nothing listens)."""

    def __init__(self, meanwhile: Callable[[str], object]) -> None:
        super().__init__("http://127.0.0.1:9")
        self.meanwhile = meanwhile
        self.notes: list[tuple[str, list[dict[str, Any]]]] = []

    def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        self.notes.append((sender_id, events))
        self.meanwhile(sender_id)


def conversation(db: Database, conversation_id: str) -> Conversation:
    with db.session() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found


def replies_stored(db: Database, conversation_id: str) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(Message.body).where(Message.conversation_id == conversation_id,
                                                               Message.direction == "out").order_by(Message.seq)))


def test_a_take_over_during_triage_of_an_urgent_message_stands_flagged_urgent(
        console_settings: Settings, db: Database, gateway: Gateway) -> None:
    mona = add_account(db, "mona@example.org", ["mediator"])
    cid = bring_in(gateway, "+33611111111", "AIDE", channel="sms")  # with the bot
    rasa = PauseWhile(lambda _: None)
    during_triage = Gateway(console_settings, db, rasa=rasa,
                            triage=TriageWhile(console_settings, lambda: service.take_over(db, mona, cid, rasa=None)))
    message_id, _ = during_triage.receive(Inbound(channel="sms", address="+33611111111", body=URGENT))

    replies = during_triage.process(message_id)

    held = conversation(db, cid)
    assert (held.state, held.assigned_to, held.handoff_reason) == ("with_mediator", mona.user_id, "proactive")
    assert (held.priority, held.urgency_category) == (handoff.PRIORITY_URGENT, "cardiac")
    assert replies == [text("service_down", "fr")]  # the emergency numbers; a mediator already answers here
    assert rasa.notes == []  # the take-over paused the bot, not the gateway
    with db.session() as session:
        (item,) = open_queue(session, 15, mona.user_id, view="mine")
    assert item.urgent and item.preview == URGENT and ("urgent", "cardiac") in [(f.kind, f.value) for f in item.flags]


def test_rasa_is_told_to_pause_once_the_urgent_conversation_is_in_the_queue_and_a_claim_then_stands(
        console_settings: Settings, db: Database) -> None:
    mona = add_account(db, "mona@example.org", ["mediator"])
    seen: list[list[str]] = []

    def claim_during_the_pause(conversation_id: str) -> None:
        seen.append(replies_stored(db, conversation_id))
        service.claim(db, mona, conversation_id)  # refused unless the conversation is waiting, committed

    rasa = PauseWhile(claim_during_the_pause)
    urgent = Gateway(console_settings, db, rasa=rasa, triage=TriageWhile(console_settings, lambda: None))
    message_id, _ = urgent.receive(Inbound(channel="sms", address="+33622222222", body=URGENT))

    replies = urgent.process(message_id)

    assert replies == [text("service_down", "fr"), text("handoff_urgent", "fr")]
    (cid, events), = rasa.notes
    assert events == [{"event": "pause"}]
    assert seen == [replies]  # the emergency answer was stored before Rasa was called
    held = conversation(db, cid)
    assert (held.state, held.assigned_to, held.handoff_reason) == ("with_mediator", mona.user_id, "urgent")
    assert held.priority == handoff.PRIORITY_URGENT
