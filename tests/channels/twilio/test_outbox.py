"""The sender against the fake Twilio: retries, uncertain sends, refusals, rate limit, WhatsApp window.

The outbox runs in the test's thread (`send_due`) with a clock the test moves, so backoff and the
24-hour window are exercised without waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from channels.db import Database
from channels.models import Conversation, Message, utcnow
from channels.outbox import SEND_FAILED, Outbox
from channels.twilio.rest import TwilioRest
from passerelle.messages import text
from passerelle.settings import Settings
from tests.channels.twilio.conftest import SMS_NUMBER, WHATSAPP_NUMBER, person
from tests.channels.twilio.fake_twilio import FakeTwilio

TEMPLATE = "HX" + "a" * 32


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture()
def clock() -> Clock:
    return Clock(utcnow())


@pytest.fixture()
def settings(twilio_settings: Settings) -> Settings:
    return twilio_settings.model_copy(update={"public_base_url": ""})  # no callbacks to a server not running


@pytest.fixture()
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.effective_database_url)
    database.upgrade()
    yield database
    database.engine.dispose()


def outbox_for(settings: Settings, db: Database, clock: Clock, **changes: object) -> Outbox:
    changed = settings.model_copy(update=changes)
    return Outbox(changed, db, TwilioRest(changed), clock=clock)


def conversation(db: Database, clock: Clock, channel: str = "sms", inbound_hours_ago: float = 0.0) -> str:
    """A conversation whose person last wrote `inbound_hours_ago` hours ago, to our number."""
    number = person()
    address = f"whatsapp:{number}" if channel == "whatsapp" else number
    ours = WHATSAPP_NUMBER if channel == "whatsapp" else SMS_NUMBER
    with db.session() as session:
        row = Conversation(channel=channel, address=address, address_hash=number,
                           last_inbound_at=clock.now - dt.timedelta(hours=inbound_hours_ago))
        session.add(row)
        session.flush()
        session.add(Message(conversation_id=row.id, direction="in", author="person", body="bonjour", seq=1,
                            status="done", meta={"to": ours}))
        return row.id


def queue(db: Database, conversation_id: str, body: str, author: str = "bot") -> str:
    with db.session() as session:
        seq = max([m.seq for m in session.scalars(select(Message).where(
            Message.conversation_id == conversation_id))] or [0]) + 1
        row = Message(conversation_id=conversation_id, direction="out", author=author, body=body, seq=seq,
                      status="queued", meta={})
        session.add(row)
        session.flush()
        return row.id


def row(db: Database, row_id: str) -> Message:
    with db.session() as session:
        found = session.get(Message, row_id)
        assert found is not None
        return found


def address(db: Database, conversation_id: str) -> str:
    with db.session() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found.address


def state(db: Database, conversation_id: str) -> tuple[str, str | None]:
    """Who holds the conversation, and why it was handed over."""
    with db.session() as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        return found.state, found.handoff_reason


def test_5xx_is_retried_with_growing_delays_then_sent_once(settings: Settings, db: Database, clock: Clock,
                                                           fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock, twilio_retry_base_s=10.0, twilio_retry_max_s=1000.0)
    row_id = queue(db, conversation(db, clock), "Bonjour")
    fake.fail_next("500", "500")
    outbox.send_due()
    first = row(db, row_id)
    assert first.status == "queued" and first.attempts == 1 and first.meta["last_error"] == "HTTP 500"
    assert outbox.send_due() == 0  # not due yet: backoff
    clock.advance(12.1)  # first delay: 10 s +-20 %
    outbox.send_due()
    second = row(db, row_id)
    delay = dt.datetime.fromisoformat(second.meta["retry_at"]) - clock.now
    assert second.attempts == 2 and delay > dt.timedelta(seconds=15)  # second delay: 20 s +-20 %
    clock.advance(24.1)
    outbox.send_due()
    sent = row(db, row_id)
    assert sent.status == "sent" and fake.attempts == 3 and len(fake.messages) == 1
    assert sent.provider_sid == fake.messages[0]["sid"] and fake.messages[0]["body"] == "Bonjour"


def test_gives_up_after_the_last_attempt_says_why_and_hands_the_conversation_to_mediators(
        settings: Settings, db: Database, clock: Clock, fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock, twilio_send_max_attempts=3)
    conversation_id = conversation(db, clock)
    row_id = queue(db, conversation_id, "Bonjour")
    fake.fail_next("500", "500")
    outbox.send_due()
    assert state(db, conversation_id) == ("bot", None)  # a retry is not yet a failure
    fake.fail_next("500")
    for _ in range(2):
        clock.advance(60)
        outbox.send_due()
    failed = row(db, row_id)
    assert failed.status == "failed" and failed.meta["reason"] == "gave up after 3 attempts: HTTP 500"
    assert fake.messages == []
    assert state(db, conversation_id) == ("waiting", SEND_FAILED)


def test_a_send_twilio_accepted_without_answering_is_found_not_sent_again(settings: Settings, db: Database,
                                                                          clock: Clock, fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock)
    row_id = queue(db, conversation(db, clock), "Bonjour")
    fake.fail_next("accept_then_hang")
    outbox.send_due()  # times out after 1 s; Twilio did record it
    assert row(db, row_id).status == "sending" and row(db, row_id).meta["uncertain"] is True
    clock.advance(5)
    for _ in range(3):
        outbox.send_due()
    found = row(db, row_id)
    assert found.status == "sent" and found.meta["recovered"] is True
    assert len(fake.messages) == 1 and found.provider_sid == fake.messages[0]["sid"] and fake.attempts == 1


def test_a_send_twilio_never_got_is_sent_again_once(settings: Settings, db: Database, clock: Clock,
                                                    fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock)
    row_id = queue(db, conversation(db, clock), "Bonjour")
    fake.fail_next("hang")
    outbox.send_due()
    clock.advance(5)
    outbox.send_due()  # looked up: not there, queued again with a delay
    assert row(db, row_id).status == "queued" and fake.messages == []
    clock.advance(60)
    outbox.send_due()
    assert row(db, row_id).status == "sent" and len(fake.messages) == 1


def test_twilio_unreachable_is_retried(settings: Settings, db: Database, clock: Clock, fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock, twilio_api_base_url="http://127.0.0.1:8259")  # nothing listens
    row_id = queue(db, conversation(db, clock), "Bonjour")
    outbox.send_due()
    waiting = row(db, row_id)
    assert waiting.status == "queued" and waiting.attempts == 1 and "retry_at" in waiting.meta


def test_an_invalid_number_fails_with_twilio_code(settings: Settings, db: Database, clock: Clock,
                                                  fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock)
    row_id = queue(db, conversation(db, clock), "Bonjour")
    fake.fail_next("reject:21211")
    outbox.send_due()
    failed = row(db, row_id)
    assert failed.status == "failed" and "21211" in failed.meta["reason"]
    assert state(db, failed.conversation_id) == ("waiting", SEND_FAILED)
    clock.advance(3600)
    assert outbox.send_due() == 0 and fake.attempts == 1  # never tried again


def test_unsubscribed_at_twilio_marks_the_person_opted_out(settings: Settings, db: Database, clock: Clock,
                                                           fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock)
    conversation_id = conversation(db, clock)
    queue(db, conversation_id, "Bonjour")
    later = queue(db, conversation_id, "Autre chose", author="mediator")
    fake.fail_next("reject:21610")
    outbox.send_due()
    outbox.send_due()
    assert row(db, later).status == "failed" and row(db, later).meta["reason"] == "opted_out"
    assert fake.attempts == 1
    assert state(db, conversation_id) == ("bot", None)  # the person said stop: nothing for a mediator to do


def test_one_number_gets_a_burst_then_waits_and_others_are_not_held_up(settings: Settings, db: Database,
                                                                       clock: Clock, fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock, twilio_recipient_burst=2, twilio_recipient_per_minute=0.001)
    busy = conversation(db, clock)
    ids = [queue(db, busy, f"message {n}") for n in range(3)]
    for _ in range(4):
        outbox.send_due()
    assert [row(db, i).status for i in ids] == ["sent", "sent", "queued"]
    other = queue(db, conversation(db, clock), "Bonjour")
    outbox.send_due()
    assert row(db, other).status == "sent"


def test_a_conversation_s_replies_leave_one_at_a_time_in_order(settings: Settings, db: Database, clock: Clock,
                                                               fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock)
    conversation_id = conversation(db, clock)
    for n in range(3):
        queue(db, conversation_id, f"partie {n}")
    claims = outbox.claim_due()
    assert [c.text for c in claims] == ["partie 0"]
    assert outbox.claim_due() == []  # the first is still being sent
    for claim in claims:
        outbox.send(claim)
    while outbox.send_due():
        pass
    assert [m["body"] for m in fake.sent_to(address(db, conversation_id))] == ["partie 0", "partie 1", "partie 2"]


def test_two_senders_never_claim_the_same_row(settings: Settings, db: Database, clock: Clock,
                                              fake: FakeTwilio) -> None:
    ids = {queue(db, conversation(db, clock), "Bonjour") for _ in range(30)}
    senders = [outbox_for(settings, db, clock) for _ in range(2)]  # as two processes on one database
    claimed: list[list[str]] = [[], []]
    start = threading.Barrier(2)

    def claim_all(index: int) -> None:
        start.wait()
        while batch := senders[index].claim_due():
            claimed[index] += [c.row_id for c in batch]
            with senders[index]._lock:
                senders[index]._inflight.clear()  # let the next round look at every conversation again

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed[0] + claimed[1]) == sorted(ids)


def test_whatsapp_outside_the_window_sends_the_template_once_then_the_answers_when_the_person_writes(
        settings: Settings, db: Database, clock: Clock, fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock, twilio_whatsapp_template_sid=TEMPLATE)
    conversation_id = conversation(db, clock, "whatsapp", inbound_hours_ago=25)
    first = queue(db, conversation_id, "Bonjour, ici Awa, médiatrice.", author="mediator")
    second = queue(db, conversation_id, "Je peux vous aider pour la carte Vitale.", author="mediator")
    for _ in range(5):
        outbox.send_due()
    [template] = fake.messages
    assert template["content_sid"] == TEMPLATE and template["from"] == f"whatsapp:{WHATSAPP_NUMBER}"
    assert {row(db, first).status, row(db, second).status} == {"awaiting_window"}
    with db.session() as session:
        session.get(Conversation, conversation_id).last_inbound_at = clock.now  # the person answered
    for _ in range(5):
        outbox.send_due()
    assert [m["body"] for m in fake.messages[1:]] == [row(db, first).body, row(db, second).body]
    with db.session() as session:
        system = session.scalar(select(Message).where(Message.conversation_id == conversation_id,
                                                      Message.author == "system"))
        assert system.body == text("whatsapp_followup", "fr") and system.status == "sent"


def test_whatsapp_outside_the_window_without_a_template_fails_visibly(settings: Settings, db: Database,
                                                                      clock: Clock, fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock)
    row_id = queue(db, conversation(db, clock, "whatsapp", inbound_hours_ago=24.5), "Bonjour", author="mediator")
    outbox.send_due()
    assert row(db, row_id).status == "failed" and row(db, row_id).meta["reason"] == "whatsapp_window_closed"
    assert fake.messages == []


def test_whatsapp_inside_the_window_is_plain_text(settings: Settings, db: Database, clock: Clock,
                                                  fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock, twilio_whatsapp_template_sid=TEMPLATE)
    queue(db, conversation(db, clock, "whatsapp", inbound_hours_ago=23.9), "Bonjour")
    outbox.send_due()
    assert [m["body"] for m in fake.messages] == ["Bonjour"] and fake.messages[0]["content_sid"] is None


def test_status_callbacks_move_forward_only_and_keep_the_reason(settings: Settings, db: Database, clock: Clock,
                                                                fake: FakeTwilio) -> None:
    outbox = outbox_for(settings, db, clock)
    first = queue(db, conversation(db, clock), "Bonjour")
    outbox.send_due()
    sid = row(db, first).provider_sid
    assert sid and outbox.record_status(None, sid, "delivered", None)
    assert outbox.record_status(None, sid, "sent", None)  # late and out of order
    assert row(db, first).status == "delivered"
    second = queue(db, conversation(db, clock), "Bonjour")
    outbox.send_due()
    assert outbox.record_status(second, row(db, second).provider_sid or "", "undelivered", "30003")
    assert row(db, second).status == "failed" and "30003" in row(db, second).meta["reason"]
    assert not outbox.record_status(None, "SM" + "0" * 32, "delivered", None)


def test_a_callback_that_overtakes_the_sender_records_the_status_and_wakes_the_sender(
        settings: Settings, db: Database, clock: Clock, fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twilio may call back before the sending thread has recorded its answer: the row is still
    `sending`, the callback moves it on, and the conversation's next reply may go at once."""
    outbox = outbox_for(settings, db, clock)
    wakes: list[bool] = []
    monkeypatch.setattr(outbox._loop, "wake", lambda: wakes.append(True))
    row_id = queue(db, conversation(db, clock), "Bonjour")
    [claim] = outbox.claim_due()
    assert row(db, row_id).status == "sending"
    assert outbox.record_status(claim.row_id, "SM" + "1" * 32, "sent", None)
    assert row(db, row_id).status == "sent" and row(db, row_id).provider_sid == "SM" + "1" * 32
    assert wakes == [True]


def test_without_an_account_the_sender_is_disabled_and_says_so(settings: Settings, db: Database,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        Outbox(settings.model_copy(update={"twilio_account_sid": ""}), db, None).start()
    assert "twilio sender disabled" in caplog.text and "PASSERELLE_TWILIO_ACCOUNT_SID" in caplog.text
