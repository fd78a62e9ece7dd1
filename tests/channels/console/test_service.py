"""Every mediator action on real conversations (brought in by the real gateway), with its audit entry."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from channels.console import service
from channels.console.auth import SignedIn
from channels.console.models import AuditEntry, Note, User
from channels.db import Database
from channels.gateway import Gateway
from channels.models import Conversation, Message
from passerelle.messages import text
from passerelle.settings import Settings
from tests.channels.console.conftest import add_account, bring_in


@pytest.fixture()
def mona(db: Database) -> SignedIn:
    return add_account(db, "mona@example.org", ["mediator"], name="Mona")


@pytest.fixture()
def sam(db: Database) -> SignedIn:
    return add_account(db, "sam@example.org", ["mediator"], name="Sam")


@pytest.fixture()
def ada(db: Database) -> SignedIn:
    return add_account(db, "ada@example.org", ["admin"], name="Ada")


def waiting(gateway: Gateway, address: str = "alice", channel: str = "web") -> str:
    """A conversation whose person asked for a human (HUMAIN needs neither Rasa nor triage)."""
    conversation_id = bring_in(gateway, address, "HUMAIN", channel=channel)
    assert state(gateway.db, conversation_id).state == "waiting"
    return conversation_id


def state(db: Database, conversation_id: str) -> Conversation:
    with db.session() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found


def audit(db: Database, conversation_id: str) -> list[tuple[str | None, str, dict]]:
    with db.session() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.conversation_id == conversation_id)
                               .order_by(AuditEntry.id))
        return [(r.actor_id, r.action, r.details) for r in rows]


def outbound(db: Database, conversation_id: str) -> list[Message]:
    with db.session() as session:
        return list(session.scalars(select(Message).where(Message.conversation_id == conversation_id,
                                                          Message.direction == "out").order_by(Message.seq)))


def test_claim_release_and_claim_again(db: Database, gateway: Gateway, mona: SignedIn) -> None:
    cid = waiting(gateway)
    service.claim(db, mona, cid)
    assert (state(db, cid).state, state(db, cid).assigned_to) == ("with_mediator", mona.user_id)
    with pytest.raises(service.Refused, match="problem_already_yours"):
        service.claim(db, mona, cid)
    service.release(db, mona, cid)
    assert (state(db, cid).state, state(db, cid).assigned_to) == ("waiting", None)
    with pytest.raises(service.Refused, match="problem_not_claimed"):
        service.release(db, mona, cid)
    assert [a for _, a, _ in audit(db, cid)] == ["claim", "release"]


def test_a_colleague_cannot_take_or_touch_a_claimed_conversation_but_an_admin_can(
        db: Database, gateway: Gateway, mona: SignedIn, sam: SignedIn, ada: SignedIn,
        console_settings: Settings) -> None:
    cid = waiting(gateway)
    service.claim(db, mona, cid)
    for act in (lambda: service.claim(db, sam, cid), lambda: service.release(db, sam, cid),
                lambda: service.hand_back(db, sam, cid, None), lambda: service.close(db, sam, cid, None, "answered"),
                lambda: service.transfer(db, sam, cid, sam.user_id)):
        with pytest.raises(service.Refused, match="problem_claimed_by_other"):
            act()
    with pytest.raises(service.Refused, match="problem_claim_first"):
        service.reply(db, console_settings, sam, cid, "hello")
    service.claim(db, ada, cid)  # supervision
    assert state(db, cid).assigned_to == ada.user_id


def test_transfer_goes_to_an_active_mediator_only(db: Database, gateway: Gateway, mona: SignedIn,
                                                  sam: SignedIn) -> None:
    editor = add_account(db, "eve@example.org", ["editor"])
    gone = add_account(db, "old@example.org", ["mediator"])
    with db.session() as session:
        user = session.get(User, gone.user_id)
        assert user is not None
        user.active = False
    cid = waiting(gateway)
    service.claim(db, mona, cid)
    for target in (editor.user_id, gone.user_id, "nobody", ""):
        with pytest.raises(service.Refused, match="problem_bad_colleague"):
            service.transfer(db, mona, cid, target)
    service.transfer(db, mona, cid, sam.user_id)
    assert (state(db, cid).state, state(db, cid).assigned_to) == ("with_mediator", sam.user_id)
    with pytest.raises(service.Refused, match="problem_already_theirs"):
        service.transfer(db, sam, cid, sam.user_id)
    assert audit(db, cid)[-1] == (mona.user_id, "transfer", {"to": sam.user_id, "previous": mona.user_id})


def test_a_waiting_conversation_can_be_transferred_without_claiming(db: Database, gateway: Gateway,
                                                                   mona: SignedIn, sam: SignedIn) -> None:
    cid = waiting(gateway)
    service.transfer(db, mona, cid, sam.user_id)
    assert (state(db, cid).state, state(db, cid).assigned_to) == ("with_mediator", sam.user_id)


@pytest.mark.parametrize(("channel", "address", "status"), [("web", "bob", "sent"), ("sms", "+33612345678", "queued"),
                                                             ("whatsapp", "whatsapp:+33612345679", "queued")])
def test_a_reply_is_an_outbound_message_for_the_channel_sender(db: Database, gateway: Gateway, mona: SignedIn,
                                                               console_settings: Settings, channel: str, address: str,
                                                               status: str) -> None:
    cid = waiting(gateway, address, channel)
    service.claim(db, mona, cid)
    message_id = service.reply(db, console_settings, mona, cid,
                               "  Bonjour, je suis Mona, médiatrice.\r\nJe vous écoute.  ")
    last = outbound(db, cid)[-1]
    assert (last.id, last.author, last.status, last.body) == (
        message_id, "mediator", status, "Bonjour, je suis Mona, médiatrice.\nJe vous écoute.")
    assert last.meta == {"mediator": mona.user_id}
    _, action, details = audit(db, cid)[-1]
    assert action == "reply" and details["message_id"] == message_id and details["pages"] == 1
    assert "Bonjour" not in str(details)  # the audit log never copies a message


def test_a_reply_needs_a_claim_some_text_and_a_person_who_did_not_say_stop(
        db: Database, gateway: Gateway, mona: SignedIn, console_settings: Settings) -> None:
    cid = waiting(gateway)
    with pytest.raises(service.Refused, match="problem_claim_first"):
        service.reply(db, console_settings, mona, cid, "hello")
    service.claim(db, mona, cid)
    with pytest.raises(service.Refused, match="problem_empty_reply"):
        service.reply(db, console_settings, mona, cid, " \n ")
    with pytest.raises(service.Refused, match="problem_reply_too_long"):
        service.reply(db, console_settings, mona, cid, "x" * (console_settings.console_reply_max_chars + 1))
    bring_in(gateway, "alice", "STOP")
    with pytest.raises(service.Refused, match="problem_opted_out"):
        service.reply(db, console_settings, mona, cid, "hello")
    assert not [m for m in outbound(db, cid) if m.author == "mediator"]


def test_hand_back_tells_the_person_in_their_language_and_the_bot_takes_over(
        db: Database, gateway: Gateway, mona: SignedIn) -> None:
    cid = bring_in(gateway, "+447700900123", "I want to talk to a human please", channel="sms")
    bring_in(gateway, "+447700900123", "HUMAN", channel="sms")
    assert state(db, cid).state == "waiting" and state(db, cid).language == "en"
    service.claim(db, mona, cid)
    service.hand_back(db, mona, cid, None, outcome="answered")
    after = state(db, cid)
    assert (after.state, after.assigned_to, after.priority, after.handoff_reason) == ("bot", None, 0, None)
    last = outbound(db, cid)[-1]
    assert (last.author, last.status, last.body) == ("system", "queued", text("handoff_back", "en"))
    assert audit(db, cid)[-1][1:] == ("hand_back", {"outcome": "answered"})
    with pytest.raises(service.Refused, match="problem_not_held"):
        service.hand_back(db, mona, cid, None)


def test_close_needs_a_known_outcome(db: Database, gateway: Gateway, mona: SignedIn) -> None:
    cid = waiting(gateway)
    service.claim(db, mona, cid)
    for bad in (None, "", "maybe"):
        with pytest.raises(service.Refused, match="problem_outcome_required"):
            service.close(db, mona, cid, None, bad)
    assert state(db, cid).state == "with_mediator"
    service.close(db, mona, cid, None, "referred")
    assert state(db, cid).state == "closed"
    assert audit(db, cid)[-1][1:] == ("close", {"outcome": "referred"})
    with pytest.raises(service.Refused, match="problem_not_held"):
        service.close(db, mona, cid, None, "answered")


@pytest.mark.parametrize("outcome", ["answered", "referred", "appointment", "no_reply"])
def test_every_outcome_is_accepted(db: Database, gateway: Gateway, mona: SignedIn, outcome: str) -> None:
    cid = waiting(gateway, f"p-{outcome}")
    service.close(db, mona, cid, None, outcome)
    assert audit(db, cid)[-1][2] == {"outcome": outcome}


def test_take_over_a_conversation_the_bot_holds(db: Database, gateway: Gateway, mona: SignedIn) -> None:
    cid = bring_in(gateway, "carol", "AIDE")  # answered by the gateway itself: the bot holds it
    assert state(db, cid).state == "bot"
    service.take_over(db, mona, cid, None)
    after = state(db, cid)
    assert (after.state, after.assigned_to, after.handoff_reason) == ("with_mediator", mona.user_id, "proactive")
    with pytest.raises(service.Refused, match="problem_already_held"):
        service.take_over(db, mona, cid, None)
    assert [a for _, a, _ in audit(db, cid)] == ["take_over"]


def test_notes_are_private_and_audited(db: Database, gateway: Gateway, mona: SignedIn,
                                       console_settings: Settings) -> None:
    cid = waiting(gateway)
    before = len(outbound(db, cid))
    note_id = service.add_note(db, console_settings, mona, cid, "Rappeler la PMI de son quartier.")
    with pytest.raises(service.Refused, match="problem_empty_note"):
        service.add_note(db, console_settings, mona, cid, "   ")
    with db.session() as session:
        note = session.get(Note, note_id)
        assert note is not None and note.author_id == mona.user_id
    assert len(outbound(db, cid)) == before  # never sent
    assert audit(db, cid)[-1] == (mona.user_id, "note", {"note_id": note_id})


def test_unknown_conversation_is_refused(db: Database, mona: SignedIn, console_settings: Settings) -> None:
    with pytest.raises(service.Refused, match="problem_not_found"):
        service.claim(db, mona, "0" * 32)


def test_an_editor_cannot_act_on_conversations(db: Database, gateway: Gateway, console_settings: Settings) -> None:
    editor = add_account(db, "eve@example.org", ["editor", "reviewer"])
    cid = waiting(gateway)
    for act in (lambda: service.claim(db, editor, cid), lambda: service.take_over(db, editor, cid, None),
                lambda: service.add_note(db, console_settings, editor, cid, "x"),
                lambda: service.hand_back(db, editor, cid, None)):
        with pytest.raises(service.Refused, match="problem_forbidden"):
            act()
    assert state(db, cid).state == "waiting"


def test_two_mediators_claiming_at_once_one_wins(db: Database, gateway: Gateway, mona: SignedIn,
                                                 sam: SignedIn) -> None:
    for round_ in range(5):
        cid = waiting(gateway, f"race-{round_}")
        results: dict[str, str] = {}
        start = threading.Barrier(2)

        def claim_as(person: SignedIn, results: dict[str, str] = results, cid: str = cid,
                     start: threading.Barrier = start) -> None:
            start.wait()
            try:
                service.claim(db, person, cid)
                results[person.name] = "won"
            except service.Refused as refused:
                results[person.name] = refused.problem

        threads = [threading.Thread(target=claim_as, args=(p,)) for p in (mona, sam)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results.values()) == ["problem_claimed_by_other", "won"], results
        winner = mona if results["Mona"] == "won" else sam
        assert state(db, cid).assigned_to == winner.user_id
        assert [a for _, a, _ in audit(db, cid)] == ["claim"]
