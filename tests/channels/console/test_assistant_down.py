"""The assistant unavailable: "a mediator will answer" must hold.

Rasa is down here (the gateway fixture has none), so every question is deferred. The
conversation shows in the mediators' queue, labelled; a mediator can take it and answer, and the
retried message then stays silent; a real reason to queue it (urgent, asked for a person) keeps it
there. The bot answering once Rasa is back, and the item leaving the queue, is proven against the
real Rasa in tests/e2e/test_faults.py; here `bot_takes_turn`, the guard it goes through, is checked
against the database.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from channels import handoff
from channels.console import service
from channels.console.queue import open_queue
from channels.db import Database
from channels.gateway import Gateway, Inbound
from channels.models import Conversation, Message, utcnow
from passerelle.messages import text
from tests.channels.console.conftest import add_account, bring_in, sign_in


def ask(gateway: Gateway, address: str, body: str) -> tuple[str, list[str]]:
    """A message stored and processed; returns its id and the replies."""
    message_id, _ = gateway.receive(Inbound(channel="sms", address=address, body=body))
    return message_id, gateway.process(message_id)


def conversation_of(db: Database, message_id: str) -> Conversation:
    with db.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.conversation


def messages_of(db: Database, conversation_id: str) -> list[Message]:
    with db.session() as session:
        return list(session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                                    .order_by(Message.seq)))


def test_a_deferred_question_is_in_the_queue_labelled_with_the_person_told_once(
        client: TestClient, db: Database, gateway: Gateway) -> None:
    first, replies = ask(gateway, "+33611111111", "comment avoir une carte vitale")
    assert replies == [text("service_down", "fr")]
    second, replies = ask(gateway, "+33611111111", "et pour mon fils ?")
    assert replies == []  # told once per outage; kept behind the first one
    conversation = conversation_of(db, first)
    assert (conversation.state, conversation.handoff_reason) == ("waiting", handoff.ASSISTANT_DOWN)
    assert [m.status for m in messages_of(db, conversation.id) if m.direction == "in"] == ["deferred", "deferred"]
    with db.session() as session:
        (item,) = open_queue(session, 15, "nobody")
    assert item.id == conversation.id and item.messages_waiting == 2 and item.preview == "et pour mon fils ?"

    add_account(db, "mona@example.org", ["mediator"])
    sign_in(client, "mona@example.org")
    page = client.get("/console")
    assert conversation.id in page.text and "Assistant indisponible" in page.text
    assert second  # both stored


def test_urgent_conversations_come_before_those_waiting_for_the_assistant(db: Database, gateway: Gateway) -> None:
    deferred, _ = ask(gateway, "+33622222222", "pharmacie de garde ce soir")
    asked = bring_in(gateway, "later", "HUMAIN")
    urgent = bring_in(gateway, "urgent", "HUMAIN")
    with db.session() as session:
        held = session.get(Conversation, urgent)
        assert held is not None
        handoff.request_handoff(held, "urgent", rasa=None, priority=handoff.PRIORITY_URGENT, category="cardiac")
    with db.session() as session:
        items = open_queue(session, 15, "nobody")
    assert [i.id for i in items] == [urgent, conversation_of(db, deferred).id, asked]  # then by waiting time
    assert [(i.urgent, i.reason) for i in items] == [(True, "asked"), (False, handoff.ASSISTANT_DOWN), (False, "asked")]


def test_a_mediator_takes_it_and_answers_then_the_retried_message_stays_silent(
        db: Database, gateway: Gateway) -> None:
    mona = add_account(db, "mona@example.org", ["mediator"])
    first, _ = ask(gateway, "+33633333333", "comment avoir une carte vitale")
    cid = conversation_of(db, first).id
    service.claim(db, mona, cid)
    service.reply(db, gateway.settings, mona, cid, "Bonjour, je m'en occupe.")
    assert gateway.process(first) == []  # the worker's retry: a mediator holds it now
    assert ask(gateway, "+33633333333", "merci")[1] == []
    messages = messages_of(db, cid)
    assert [m.status for m in messages if m.direction == "in"] == ["done", "done"]
    assert [(m.author, m.status) for m in messages if m.direction == "out"] == [("bot", "queued"),
                                                                                ("mediator", "queued")]
    assert messages[1].body == text("service_down", "fr")


def test_a_real_reason_keeps_it_with_the_mediators(db: Database, gateway: Gateway) -> None:
    first, _ = ask(gateway, "+33644444444", "comment avoir une carte vitale")
    _, replies = ask(gateway, "+33644444444", "HUMAIN")
    assert len(replies) == 1 and "médiateur" in replies[0]  # asking for a person is answered, once
    conversation = conversation_of(db, first)
    assert (conversation.state, conversation.handoff_reason) == ("waiting", "asked")
    with db.session() as session:
        held = session.get(Conversation, conversation.id)
        assert held is not None and not handoff.bot_takes_turn(session, held)
    assert gateway.process(first) == []  # retried: held for a person now, the bot stays silent
    assert conversation_of(db, first).state == "waiting"


def test_the_bot_takes_its_turn_only_if_no_mediator_took_the_conversation(db: Database, gateway: Gateway) -> None:
    mona = add_account(db, "mona@example.org", ["mediator"])
    left, _ = ask(gateway, "+33655555555", "comment avoir une carte vitale")
    taken, _ = ask(gateway, "+33666666666", "comment avoir une carte vitale")
    left_id, taken_id = conversation_of(db, left).id, conversation_of(db, taken).id
    with db.session() as session:  # what the gateway holds while Rasa answers...
        stale = session.get(Conversation, taken_id)
        assert stale is not None and handoff.awaiting_assistant(stale)
    service.claim(db, mona, taken_id)  # ...when a mediator claims it
    with db.session() as session:
        assert not handoff.bot_takes_turn(session, stale)
        back = session.get(Conversation, left_id)
        assert back is not None and handoff.bot_takes_turn(session, back)
    assert (conversation_of(db, taken).state, conversation_of(db, taken).assigned_to) == ("with_mediator", mona.user_id)
    after = conversation_of(db, left)
    assert (after.state, after.handoff_reason, after.waiting_since) == ("bot", None, None)
    with db.session() as session:
        assert [i.id for i in open_queue(session, 15, "nobody")] == [taken_id]  # it left the queue


def test_rasa_failing_after_a_take_over_leaves_the_conversation_with_the_mediator(
        db: Database, gateway: Gateway) -> None:
    mona = add_account(db, "mona@example.org", ["mediator"])
    taken_id = bring_in(gateway, "+33677777777", "AIDE", channel="sms")  # with the bot, nothing deferred
    free_id = bring_in(gateway, "+33688888888", "AIDE", channel="sms")
    with db.session() as session:  # what the gateway holds while Rasa fails to answer...
        stale = session.get(Conversation, taken_id)
        assert stale is not None and stale.state == "bot"
    service.take_over(db, mona, taken_id, rasa=None)  # ...when a mediator takes it over
    since = utcnow()
    with db.session() as session:
        assert not handoff.assistant_unavailable(session, stale, since)
        free = session.get(Conversation, free_id)
        assert free is not None and handoff.assistant_unavailable(session, free, since)
        assert handoff.assistant_unavailable(session, free, since)  # already waiting for the assistant: still
    taken = conversation_of_id(db, taken_id)
    assert (taken.state, taken.assigned_to, taken.handoff_reason) == ("with_mediator", mona.user_id, "proactive")
    queued = conversation_of_id(db, free_id)
    assert (queued.state, queued.handoff_reason, queued.assigned_to) == ("waiting", handoff.ASSISTANT_DOWN, None)


def conversation_of_id(db: Database, conversation_id: str) -> Conversation:
    with db.session() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found
