"""Faults under the real stack: action server, Rasa, PostgreSQL and Twilio failing, the gateway killed.

One stack for the whole module (Rasa, action server and web app on 8450/5450/5451 with the trained
model of var/test-e2e/, its database on a throw-away PostgreSQL on 55450) and the fake Twilio REST
API in this process (8490). Each test breaks one thing, checks what people receive meanwhile, puts
it back and checks that every message Twilio got a 200 for is processed and answered exactly once:
one inbound row, done, and each reply row sent to Twilio once.

While the assistant (Rasa or the action server) is down, a deferred conversation waits in the
mediators' queue ("assistant_down"): a mediator who takes it answers through the console and the
bot stays silent; one nobody took is answered by the bot once it is back, and leaves the queue.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError

from channels.db import Database
from channels.handoff import ASSISTANT_DOWN, PRIORITY_URGENT
from channels.models import Conversation, Message
from channels.privacy import TrackerStore
from channels.rasa_client import RasaClient
from channels.sms import normalise
from channels.tracker_probe import PROBE_PREFIX, TrackerProbe
from knowledge_base.build import ensure_index
from passerelle.messages import text
from passerelle.secrets import rasa_token
from passerelle.settings import ROOT, Settings
from passerelle.stack import Stack
from tests.channels.console.conftest import HTML, add_account, sign_in
from tests.channels.twilio.conftest import ACCOUNT, SMS_NUMBER, TOKEN, new_sid, person, signature, sms_params
from tests.channels.twilio.conftest import wait_for as twilio_wait_for
from tests.channels.twilio.fake_twilio import FakeTwilio, ServerThread
from tests.support.rasa_model import provide_rasa_model
from tests.support.servers import Postgres, postgres
from tests.support.unread_requests import unread_requests

pytestmark = pytest.mark.slow

WEB, RASA, ACTIONS, FAKE, PG = 8450, 5450, 5451, 8490, 55450
SETTLE_S = 240.0  # generous: a shared 2-core machine can be very slow; nothing here measures speed
QUESTIONS = ["comment avoir une carte vitale", "pharmacie de garde ce soir", "c koi mon espace santé",
             "comment trouver un medecin traitant"]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT, TOKEN, hang_s=4.0, callbacks=True)
    with ServerThread(fake.app, FAKE):
        yield fake


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    with postgres(PG) as server:
        yield server


@pytest.fixture(scope="module")
def stack(pg: Postgres, fake: FakeTwilio) -> Iterator[Stack]:
    data_dir = ROOT / "var" / "test-e2e"  # shares the trained model with test_stack.py
    settings = Settings(
        data_dir=data_dir, index_root=ROOT / "var" / "index", web_port=WEB, rasa_url=f"http://127.0.0.1:{RASA}",
        action_port=ACTIONS, database_url=pg.url, rasa_timeout_s=5.0,
        twilio_account_sid=ACCOUNT, twilio_auth_token=TOKEN, twilio_api_base_url=f"http://127.0.0.1:{FAKE}",
        twilio_sms_numbers=(SMS_NUMBER,), public_base_url=f"http://127.0.0.1:{WEB}", twilio_timeout_s=2.0,
        twilio_retry_base_s=0.3, twilio_retry_max_s=1.0, twilio_send_max_attempts=3, twilio_recipient_burst=20)
    ensure_index(settings.content_dir, settings, progress=False)
    provide_rasa_model(settings)
    with Stack(settings) as running:
        yield running


@pytest.fixture(scope="module")
def db(pg: Postgres) -> Database:
    return Database(pg.url)


def post(sender: str, body: str, sid: str | None = None) -> int | str:
    """Twilio delivering an SMS; the HTTP status, or the error's name if nothing answered."""
    url = f"http://127.0.0.1:{WEB}/twilio/sms"
    params = sms_params(sender, body, sid=sid)
    try:
        return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature(url, params)},
                          timeout=30).status_code
    except httpx.HTTPError as exc:
        return type(exc).__name__


def rows(db: Database, sender: str) -> list[Message]:
    with db.session() as session:
        return list(session.scalars(select(Message).join(Message.conversation)
                                    .where(Conversation.address == sender).order_by(Message.seq)))


def inbound(db: Database, sender: str) -> list[Message]:
    return [m for m in rows(db, sender) if m.direction == "in"]


def conversation(db: Database, sender: str) -> Conversation:
    with db.session() as session:
        return session.scalars(select(Conversation).where(Conversation.address == sender)).one()


def sent_bodies(fake: FakeTwilio, sender: str) -> list[str]:
    return [m["body"] for m in fake.sent_to(sender)]


def wait_for(condition: Callable[[], object], what: str, timeout_s: float = SETTLE_S) -> None:
    """Poll `condition`, which may fail while the database restarts."""
    twilio_wait_for(condition, what, timeout_s, ignoring=(DBAPIError,))


def settled(db: Database, senders: list[str]) -> bool:
    """Every inbound message of these people processed and every reply sent."""
    for sender in senders:
        messages = rows(db, sender)
        if any(m.direction == "in" and m.status != "done" for m in messages):
            return False
        if any(m.direction == "out" and m.status in ("queued", "sending") for m in messages):
            return False
    return True


def waiting_for_assistant(db: Database, sender: str) -> bool:
    """In the mediators' queue because the assistant did not answer."""
    held = conversation(db, sender)
    return (held.state, held.handoff_reason) == ("waiting", ASSISTANT_DOWN)


def assert_exactly_once(db: Database, fake: FakeTwilio, senders: list[str]) -> None:
    """One stored inbound message each, processed, with every reply row sent to Twilio once."""
    for sender in senders:
        messages = rows(db, sender)
        received = [m for m in messages if m.direction == "in"]
        replies = [m for m in messages if m.direction == "out"]
        assert len(received) == 1 and received[0].status == "done", sender
        assert replies and all(m.status in ("sent", "delivered") for m in replies), [m.status for m in replies]
        sends = Counter(parse_qs(urlparse(m["status_callback"]).query)["m"][0] for m in fake.sent_to(sender))
        assert sends == {m.id: 1 for m in replies}


def test_action_server_down_urgent_still_answered_others_told_then_answered(
        stack: Stack, fake: FakeTwilio, db: Database) -> None:
    stack.kill("actions")
    urgent, asker = person(), person()
    try:
        assert post(urgent, "mon pere se tient la poitrine, il est tout gris") == 200
        assert post(asker, "comment avoir une carte vitale") == 200
        wait_for(lambda: len(fake.sent_to(urgent)) == 2 and fake.sent_to(asker), "the first replies were sent")
        emergency, notice = sent_bodies(fake, urgent)
        assert "15" in emergency and notice == normalise(text("handoff_urgent", "fr"), transliterate=True)
        assert conversation(db, urgent).state == "waiting"  # in the mediators' queue, urgent first
        assert sent_bodies(fake, asker) == [normalise(text("service_down", "fr"), transliterate=True)]
        assert inbound(db, asker)[0].status == "deferred"  # kept, retried
        assert waiting_for_assistant(db, asker)  # and a mediator can take it meanwhile
    finally:
        stack.start(only="actions")
    wait_for(lambda: settled(db, [urgent, asker]) and len(fake.sent_to(asker)) == 2, "answered once it was back")
    assert "carte Vitale" in sent_bodies(fake, asker)[1]
    assert conversation(db, asker).state == "bot"  # out of the queue
    assert conversation(db, urgent).state == "waiting"  # still there
    assert_exactly_once(db, fake, [urgent, asker])


def test_rasa_hung_times_out_then_queued_messages_are_answered(stack: Stack, fake: FakeTwilio, db: Database) -> None:
    stack.send_signal("rasa", signal.SIGSTOP)  # accepts connections, answers nothing
    askers, urgent = [person(), person()], person()
    try:
        assert post(urgent, "jarrive plus a respirer, mes levres sont bleues") == 200
        for asker, question in zip(askers, QUESTIONS, strict=False):
            assert post(asker, question) == 200
        wait_for(lambda: all(fake.sent_to(a) for a in askers), "the service-problem replies were sent")
        wait_for(lambda: len(fake.sent_to(urgent)) == 2, "the emergency answer was sent")
        assert "15" in sent_bodies(fake, urgent)[0] or "112" in sent_bodies(fake, urgent)[0]
        for asker in askers:
            assert sent_bodies(fake, asker) == [normalise(text("service_down", "fr"), transliterate=True)]
            assert inbound(db, asker)[0].status == "deferred" and waiting_for_assistant(db, asker)
    finally:
        stack.send_signal("rasa", signal.SIGCONT)
    wait_for(lambda: settled(db, askers) and all(len(fake.sent_to(a)) == 2 for a in askers), "answered once back")
    assert [conversation(db, a).state for a in askers] == ["bot", "bot"]
    assert_exactly_once(db, fake, [*askers, urgent])


def test_rasa_down_queued_conversations_answered_by_a_mediator_or_by_the_bot_once_back(
        stack: Stack, fake: FakeTwilio, db: Database) -> None:
    add_account(db, "mediator@example.org", ["mediator"])
    stack.kill("rasa")
    asker, taken = person(), person()
    told = [normalise(text("service_down", "fr"), transliterate=True)]
    with httpx.Client(base_url=f"http://127.0.0.1:{WEB}", headers=HTML, timeout=30) as console:
        try:
            assert post(asker, "comment avoir une carte vitale") == 200
            assert post(taken, "pharmacie de garde ce soir") == 200
            wait_for(lambda: fake.sent_to(asker) and fake.sent_to(taken), "the service-problem replies were sent")
            assert post(asker, "et pour mon fils ?") == 200  # told once per outage, kept as well
            wait_for(lambda: [m.status for m in inbound(db, asker)] == ["deferred", "deferred"], "both kept")
            assert sent_bodies(fake, asker) == told and sent_bodies(fake, taken) == told

            csrf = sign_in(console, "mediator@example.org")
            queue = console.get("/console").text
            asker_id, taken_id = conversation(db, asker).id, conversation(db, taken).id
            assert asker_id in queue and taken_id in queue and "Assistant indisponible" in queue
            for action, data in (("claim", {}), ("reply", {"body": "Bonjour, une mediatrice vous repond."})):
                done = console.post(f"/console/conversations/{taken_id}/{action}", data={"csrf_token": csrf, **data},
                                    follow_redirects=False)
                assert done.status_code == 303, done.text
            wait_for(lambda: len(fake.sent_to(taken)) == 2, "the mediator's reply was sent")
            wait_for(lambda: inbound(db, taken)[0].status == "done", "the retry found a mediator holding it")
        finally:
            stack.start(only="rasa")
        wait_for(lambda: all(m.status == "done" for m in inbound(db, asker)) and settled(db, [asker, taken]),
                 "both answered once Rasa was back")
        queue = console.get("/console").text
        assert taken_id in queue and asker_id not in queue  # the bot took its own back

    received = inbound(db, asker)
    replies = [m for m in rows(db, asker) if m.direction == "out"]
    assert {(m.meta or {}).get("in_reply_to") for m in replies} == {m.id for m in received}  # nothing lost
    sends = Counter(parse_qs(urlparse(m["status_callback"]).query)["m"][0] for m in fake.sent_to(asker))
    assert sends == {m.id: 1 for m in replies}
    assert conversation(db, asker).state == "bot"
    # The mediator answered; the bot said nothing after its service-problem reply.
    answered = [m for m in rows(db, taken) if m.direction == "out"]
    assert [m.author for m in answered] == ["bot", "mediator"]
    assert all(m.status in ("sent", "delivered") for m in answered)
    assert sent_bodies(fake, taken) == [*told, "Bonjour, une mediatrice vous repond."]
    assert conversation(db, taken).state == "with_mediator"


def console_post(console: httpx.Client, csrf: str, conversation_id: str, action: str, **data: str) -> None:
    """One mediator action through the console's form, as the browser sends it."""
    done = console.post(f"/console/conversations/{conversation_id}/{action}", data={"csrf_token": csrf, **data},
                        follow_redirects=False)
    assert done.status_code == 303, done.text


def action_server_up() -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{ACTIONS}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def rasa_uttered(stack: Stack, conversation_id: str) -> bool:
    """Whether Rasa's tracker store holds a bot utterance in this conversation."""
    with create_engine(stack.settings.effective_tracker_url).connect() as connection:
        return connection.execute(sql("SELECT COUNT(*) FROM events WHERE sender_id = :id AND type_name = 'bot'"),
                                  {"id": conversation_id}).scalar_one() > 0


def test_a_claim_while_rasa_answers_a_retry_only_the_mediators_reply_is_sent(
        stack: Stack, fake: FakeTwilio, db: Database) -> None:
    """The mediator hold, end to end: a mediator claims a conversation waiting for the assistant while
    the gateway's retry is inside Rasa. Rasa is stopped (SIGSTOP) with the retry's request unread in
    its socket, so the claim lands during the call for certain; Rasa then answers, and that answer
    is never sent."""
    mediator = add_account(db, "holder@example.org", ["mediator"])
    asker, question = person(), "comment avoir une carte vitale"
    told = normalise(text("service_down", "fr"), transliterate=True)
    stack.kill("actions")  # Rasa answers nothing without it: the question is deferred at once
    stopped = False
    with httpx.Client(base_url=f"http://127.0.0.1:{WEB}", headers=HTML, timeout=30) as console:
        try:
            csrf = sign_in(console, "holder@example.org")
            assert post(asker, question) == 200
            wait_for(lambda: waiting_for_assistant(db, asker) and fake.sent_to(asker), "deferred, the person told")
            stack.send_signal("rasa", signal.SIGSTOP)
            stopped = True
            stack.start(only="actions")
            wait_for(action_server_up, "the action server is back", timeout_s=120)
            # The gateway retries deferred messages every few seconds: the next retry waits in Rasa.
            wait_for(lambda: unread_requests(RASA) > 0, "a retry is waiting for the stopped Rasa", timeout_s=60)
            conversation_id = conversation(db, asker).id
            console_post(console, csrf, conversation_id, "claim")
            console_post(console, csrf, conversation_id, "reply", body="Bonjour, une mediatrice vous repond.")
        finally:
            if stopped:
                stack.send_signal("rasa", signal.SIGCONT)
            if "actions" not in stack.processes:
                stack.start(only="actions")
    wait_for(lambda: inbound(db, asker)[0].status == "done" and settled(db, [asker]), "the retry answered, settled")
    assert rasa_uttered(stack, conversation_id)  # Rasa did answer during the hold...
    assert sent_bodies(fake, asker) == [told, "Bonjour, une mediatrice vous repond."]  # ...and it was not sent
    held = conversation(db, asker)
    assert (held.state, held.assigned_to) == ("with_mediator", mediator.user_id)
    [received] = inbound(db, asker)
    assert received.body == question  # kept, in the mediator's transcript
    replies = [m for m in rows(db, asker) if m.direction == "out"]
    assert [m.author for m in replies] == ["bot", "mediator"]
    sends = Counter(parse_qs(urlparse(m["status_callback"]).query)["m"][0] for m in fake.sent_to(asker))
    assert sends == {m.id: 1 for m in replies}


def test_a_take_over_while_rasa_hangs_keeps_the_mediator_and_the_bot_silent(
        stack: Stack, fake: FakeTwilio, db: Database) -> None:
    """A mediator takes over a closed conversation while the gateway waits for a stopped Rasa that
    then times out: the gateway's failure path must neither undo the take-over nor tell the person
    "the assistant has a problem" while a mediator is answering."""
    mediator = add_account(db, "taker@example.org", ["mediator"])
    asker = person()
    with httpx.Client(base_url=f"http://127.0.0.1:{WEB}", headers=HTML, timeout=30) as console:
        csrf = sign_in(console, "taker@example.org")
        assert post(asker, "HUMAIN") == 200  # helped once before: asked for a person, answered, closed
        wait_for(lambda: conversation(db, asker).state == "waiting" and fake.sent_to(asker), "queued")
        conversation_id = conversation(db, asker).id
        console_post(console, csrf, conversation_id, "claim")
        console_post(console, csrf, conversation_id, "close", outcome="answered")
        before = sent_bodies(fake, asker)

        stack.send_signal("rasa", signal.SIGSTOP)
        try:
            assert post(asker, "comment avoir une carte vitale") == 200
            wait_for(lambda: unread_requests(RASA) > 0, "the gateway is waiting for the stopped Rasa", timeout_s=60)
            console_post(console, csrf, conversation_id, "take-over")
            console_post(console, csrf, conversation_id, "reply", body="Bonjour, je prends la suite.")
            # Rasa stays stopped until the gateway has given up on it and committed what it decided.
            wait_for(lambda: inbound(db, asker)[-1].status != "received", "the gateway gave up on Rasa")
        finally:
            stack.send_signal("rasa", signal.SIGCONT)
    wait_for(lambda: settled(db, [asker]), "every reply sent")
    held = conversation(db, asker)
    assert (held.state, held.assigned_to) == ("with_mediator", mediator.user_id)  # the take-over stands
    assert [m.status for m in inbound(db, asker)] == ["done", "done"]  # the mediator's to answer, not retried
    assert sent_bodies(fake, asker) == [*before, "Bonjour, je prends la suite."]  # nothing from the bot


def test_a_claim_while_the_gateway_tells_rasa_of_an_urgent_handoff_stands(
        stack: Stack, fake: FakeTwilio, db: Database) -> None:
    """An urgent message is answered and queued before Rasa is told to pause the bot: a mediator
    claims the conversation while that pause request sits unread in the stopped Rasa's socket, and
    keeps it (the gateway once committed the escalation after the call, over the mediator's hold)."""
    mediator = add_account(db, "urgent@example.org", ["mediator"])
    asker = person()
    with httpx.Client(base_url=f"http://127.0.0.1:{WEB}", headers=HTML, timeout=30) as console:
        csrf = sign_in(console, "urgent@example.org")
        stack.send_signal("rasa", signal.SIGSTOP)
        try:
            assert post(asker, "mon pere se tient la poitrine, il est tout gris") == 200
            wait_for(lambda: unread_requests(RASA) > 0, "the gateway is telling the stopped Rasa")
            console_post(console, csrf, conversation(db, asker).id, "claim")
            assert unread_requests(RASA) > 0, "the claim must land during the pause call (3 s)"
            wait_for(lambda: len(fake.sent_to(asker)) == 2, "the emergency answer and the notice were sent")
        finally:
            stack.send_signal("rasa", signal.SIGCONT)
    wait_for(lambda: settled(db, [asker]), "every reply sent")
    held = conversation(db, asker)
    assert (held.state, held.assigned_to, held.priority) == ("with_mediator", mediator.user_id, PRIORITY_URGENT)
    emergency, notice = sent_bodies(fake, asker)
    assert "15" in emergency and notice == normalise(text("handoff_urgent", "fr"), transliterate=True)
    assert_exactly_once(db, fake, [asker])


def test_tracker_store_failing_rasa_answers_from_memory_and_health_says_so(stack: Stack) -> None:
    def health() -> tuple[int, dict[str, str]]:
        response = httpx.get(f"http://127.0.0.1:{WEB}/healthz", timeout=60)
        return response.status_code, response.json()["components"]

    def health_at_once(times: int) -> set[str]:
        """What `times` concurrent health checks say of the tracker store."""
        with ThreadPoolExecutor(times) as pool:
            return {components["tracker_store"] for _, components in pool.map(lambda _: health(), range(times))}

    status, components = health()
    assert status == 200 and components["tracker_store"] == "up"
    assert health_at_once(6) == {"up"}  # checks sharing the process's probe conversation do not collide
    tracker = create_engine(stack.settings.effective_tracker_url)
    with tracker.begin() as connection:  # Rasa's saves now fail: it keeps conversations in memory
        connection.execute(sql("ALTER TABLE events RENAME TO events_aside"))
    try:
        answered = httpx.post(f"http://127.0.0.1:{WEB}/api/simulate", timeout=120,
                              json={"sender": f"memory-{new_sid()}", "text": "comment avoir une carte vitale"})
        assert "carte Vitale" in "\n".join(answered.json()["replies"])  # nothing shows, except...
        status, components = health()
        assert status == 503 and components["rasa"] == "up"
        assert components["tracker_store"].startswith("down: Rasa did not save")
        assert health_at_once(6) == {components["tracker_store"]}
    finally:
        with tracker.begin() as connection:
            connection.execute(sql("ALTER TABLE events_aside RENAME TO events"))
        tracker.dispose()
    assert health()[1]["tracker_store"] == "up"


def test_health_checks_leave_rasa_one_probe_conversation_however_many_run(stack: Stack, tmp_path: Path) -> None:
    """Each check used to leave a conversation of its own in Rasa's memory when Rasa had fallen back to
    it (our SQL delete cannot reach it): a monitor polling every 10 s grew Rasa forever. Rasa saving
    somewhere other than the store the probe looks at and cleans is what that fallback looks like,
    and there what the checks leave can be counted."""
    settings = stack.settings
    rasa = RasaClient(settings.rasa_url, rasa_token(settings))
    kept_by_rasa = TrackerStore(settings.effective_tracker_url)
    probe = TrackerProbe(rasa, TrackerStore(f"sqlite:///{tmp_path / 'not-rasas.db'}"))
    with ThreadPoolExecutor(6) as pool:
        said = set(pool.map(lambda _: probe.check(), range(30)))
    assert len(said) == 1 and said.pop().startswith("down: Rasa did not save")
    with create_engine(settings.effective_tracker_url).connect() as connection:
        left = connection.execute(sql("SELECT DISTINCT sender_id FROM events WHERE sender_id LIKE :p"),
                                  {"p": PROBE_PREFIX + "%"}).scalars().all()
    assert left == [probe.sender]  # one conversation, not thirty
    kept_by_rasa.erase([probe.sender])

    probe = TrackerProbe(rasa, kept_by_rasa)  # Rasa saving where it should: concurrent checks all see it
    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(lambda _: probe.check(), range(30))) == {"up"}
    assert kept_by_rasa.events(probe.sender) == []  # and each cleaned up after itself


def test_twilio_failing_is_retried_with_backoff_sent_once_or_handed_to_mediators(
        stack: Stack, fake: FakeTwilio, db: Database) -> None:
    lucky, unlucky = person(), person()
    fake.fail_next("500", "hang")  # an error, then a time-out Twilio never recorded
    assert post(lucky, "AIDE") == 200
    wait_for(lambda: settled(db, [lucky]), "the reply went out in the end")
    assert_exactly_once(db, fake, [lucky])
    [reply] = [m for m in rows(db, lucky) if m.direction == "out"]
    assert reply.attempts == 2 and "retry_at" not in reply.meta

    fake.fail_next("500", "500", "500")  # as many as the configured attempts
    assert post(unlucky, "AIDE") == 200
    wait_for(lambda: [m.status for m in rows(db, unlucky) if m.direction == "out"] == ["failed"], "gave up")
    [failed] = [m for m in rows(db, unlucky) if m.direction == "out"]
    assert failed.attempts == 3 and "gave up after 3 attempts" in failed.meta["reason"]
    assert fake.sent_to(unlucky) == []
    held = conversation(db, unlucky)
    assert held.state == "waiting" and held.handoff_reason == "send_failed"  # in the mediators' queue


def test_postgres_restarted_mid_load_every_acknowledged_message_processed_once(
        stack: Stack, fake: FakeTwilio, db: Database, pg: Postgres) -> None:
    senders = [person() for _ in range(16)]
    sids = {sender: new_sid() for sender in senders}
    statuses: dict[str, int | str] = {}

    def load() -> None:
        for index, sender in enumerate(senders):
            statuses[sender] = post(sender, QUESTIONS[index % len(QUESTIONS)], sid=sids[sender])
            time.sleep(0.25)

    driver = threading.Thread(target=load)
    driver.start()
    wait_for(lambda: len(statuses) >= 4, "the load started", timeout_s=60)
    pg.restart()
    driver.join()
    assert 200 in statuses.values() and set(statuses.values()) <= {200, 503}  # "not now", never a crash
    for index, sender in enumerate(senders):  # Twilio's retries of what was not acknowledged
        while statuses[sender] != 200:
            statuses[sender] = post(sender, QUESTIONS[index % len(QUESTIONS)], sid=sids[sender])
    wait_for(lambda: settled(db, senders), "every message processed and answered")
    assert_exactly_once(db, fake, senders)


def test_gateway_killed_mid_load_then_restarted_every_message_processed_once(
        stack: Stack, fake: FakeTwilio, db: Database) -> None:
    senders = [person() for _ in range(12)]
    # Posted at once: one after another, a busy machine could answer the whole batch before the
    # last post, and the kill would no longer land in the middle of it.
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(lambda i: post(senders[i], QUESTIONS[i % len(QUESTIONS)]), range(len(senders))))
    assert codes == [200] * len(senders)

    def done() -> int:
        return sum(1 for sender in senders if inbound(db, sender)[0].status == "done")

    wait_for(lambda: done() >= 2, "processing started")
    stack.kill("web")
    assert done() < len(senders)  # killed in the middle of the batch
    stack.start(only="web")
    wait_for(lambda: settled(db, senders), "every message processed and answered after the restart")
    assert_exactly_once(db, fake, senders)
