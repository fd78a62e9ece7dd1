"""The full path with the real Rasa and action server, and the gateway killed (kill -9) mid-way.

Slow: starts the stack on ports of its own (8201-8203, data in var/test-twilio/, the Rasa model
trained there once and cached) plus extra gateway processes (8205) that the tests kill.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from channels.db import Database
from channels.models import Conversation, Message
from channels.sms import normalise, sizing
from passerelle.secrets import rasa_token
from passerelle.settings import ROOT, Settings
from passerelle.stack import APP_PYTHON, Stack, settings_env
from tests.channels.twilio.conftest import (
    ACCOUNT,
    FAKE_PORT,
    SMS_NUMBER,
    TOKEN,
    person,
    signature,
    sms_params,
    wait_for,
)
from tests.channels.twilio.fake_twilio import FakeTwilio
from tests.support.rasa_model import provide_rasa_model
from tests.support.stale_databases import remove_databases

pytestmark = pytest.mark.slow

WEB_PORT, RASA_PORT, ACTION_PORT = 8201, 8202, 8203
KILLED_PORT, BLACKHOLE_PORT = 8205, 8206
DATA_DIR = ROOT / "var" / "test-twilio"


def twilio_env(public_url: str) -> dict[str, str]:
    """The Twilio settings of a gateway process whose account is the fake."""
    return {"PASSERELLE_TWILIO_ACCOUNT_SID": ACCOUNT, "PASSERELLE_TWILIO_AUTH_TOKEN": TOKEN,
            "PASSERELLE_TWILIO_API_BASE_URL": f"http://127.0.0.1:{FAKE_PORT}",
            "PASSERELLE_TWILIO_SMS_NUMBERS": json.dumps([SMS_NUMBER]), "PASSERELLE_PUBLIC_BASE_URL": public_url}


@pytest.fixture(scope="module")
def stack(fake_server: FakeTwilio) -> Iterator[Settings]:
    remove_databases(DATA_DIR)
    settings = Settings(data_dir=DATA_DIR, index_root=ROOT / "var" / "index", web_port=WEB_PORT,
                        rasa_url=f"http://127.0.0.1:{RASA_PORT}",
                        action_port=ACTION_PORT)
    from knowledge_base.build import ensure_index

    ensure_index(settings.content_dir, settings, progress=False)
    provide_rasa_model(settings)
    with pytest.MonkeyPatch.context() as patch:  # the stack's web process inherits the environment
        for name, value in twilio_env(f"http://127.0.0.1:{WEB_PORT}").items():
            patch.setenv(name, value)
        with Stack(settings):
            yield settings


class Blackhole:
    """A peer that accepts connections and never answers: Rasa hung in the middle of a request."""

    def __init__(self, port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.requests: list[bytes] = []
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)
            try:
                self.requests.append(connection.recv(65536))
            except OSError:
                return

    def close(self) -> None:
        for connection in self.connections:
            connection.close()
        self.listener.close()


class GatewayProcess:
    """`uvicorn channels.app:create_app` as its own process, so it can be killed with SIGKILL."""

    def __init__(self, stack: Settings, database_url: str, rasa_url: str, log: Path, **extra: str) -> None:
        self.env = {**os.environ, **settings_env(stack)}  # the stack's data folder and index
        self.env.update(HF_HUB_OFFLINE="1", PASSERELLE_DATABASE_URL=database_url, PASSERELLE_RASA_URL=rasa_url,
                        PASSERELLE_RASA_TOKEN=rasa_token(stack), PASSERELLE_ACTION_PORT=str(ACTION_PORT),
                        **twilio_env(f"http://127.0.0.1:{KILLED_PORT}"), **extra)
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> GatewayProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(APP_PYTHON), "-m", "uvicorn", "--factory", "channels.app:create_app", "--host", "127.0.0.1",
                 "--port", str(KILLED_PORT)], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{KILLED_PORT}/static/simulator.css", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "gateway did not start"
            time.sleep(0.3)

    def kill9(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def send_sms(port: int, sender: str, body: str) -> httpx.Response:
    url = f"http://127.0.0.1:{port}/twilio/sms"
    params = sms_params(sender, body)
    return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature(url, params)}, timeout=10)


def inbound_and_replies(database: Database, sender: str) -> tuple[Message, list[Message]]:
    with database.session() as session:
        rows = list(session.scalars(select(Message).join(Message.conversation)
                                    .where(Conversation.address == sender).order_by(Message.seq)))
    [inbound] = [m for m in rows if m.direction == "in"]
    return inbound, [m for m in rows if m.direction == "out"]


def test_a_question_by_sms_gets_the_vetted_answer_with_its_source(stack: Settings, fake: FakeTwilio) -> None:
    sender = person()
    response = send_sms(WEB_PORT, sender, "c koi mon espace santé")
    assert response.status_code == 200 and response.text.endswith("<Response/>")
    wait_for(lambda: fake.sent_to(sender), "the answer reached Twilio", timeout_s=60)
    [answer] = fake.sent_to(sender)
    assert "monespacesante.fr" in answer["body"] and "Source : https://" in answer["body"]  # one page
    assert sizing(answer["body"]).segments <= 3


def test_killed_in_the_middle_of_processing_then_restarted_the_message_is_processed_once(
        stack: Settings, fake: FakeTwilio, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    hung_rasa = Blackhole(BLACKHOLE_PORT)
    first = GatewayProcess(stack, database_url, f"http://127.0.0.1:{BLACKHOLE_PORT}", tmp_path / "web.log").start()
    sender = person()
    try:
        assert send_sms(KILLED_PORT, sender, "comment avoir une carte vitale").status_code == 200  # acked at once
        wait_for(lambda: any(b"/webhooks/rest/webhook" in r for r in hung_rasa.requests),
                 "the gateway is waiting for Rasa")
        first.kill9()
    finally:
        first.stop()
        hung_rasa.close()
    database = Database(database_url)
    inbound, replies = inbound_and_replies(database, sender)
    assert inbound.status == "received" and replies == []  # the half-run left nothing behind

    second = GatewayProcess(stack, database_url, stack.rasa_url, tmp_path / "web.log").start()
    try:
        wait_for(lambda: inbound_and_replies(database, sender)[0].status == "done", "processed after restart",
                 timeout_s=60)
        wait_for(lambda: all(r.status in ("sent", "delivered") for r in inbound_and_replies(database, sender)[1]),
                 "the replies were sent", timeout_s=60)
    finally:
        second.stop()
    inbound, replies = inbound_and_replies(database, sender)
    assert inbound.attempts == 1 and replies
    assert [m["body"] for m in fake.sent_to(sender)] == [normalise(r.body, transliterate=True) for r in replies]
    assert "carte Vitale" in replies[0].body


def test_killed_while_twilio_was_accepting_the_reply_it_is_not_sent_twice(
        stack: Settings, fake: FakeTwilio, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'gateway.db'}"
    fake.hang_s, fake.callbacks = 60.0, False  # Twilio records the message and never answers
    fake.fail_next("accept_then_hang")
    sender = person()
    first = GatewayProcess(stack, database_url, stack.rasa_url, tmp_path / "web.log",
                           PASSERELLE_TWILIO_TIMEOUT_S="30").start()
    try:
        assert send_sms(KILLED_PORT, sender, "comment avoir une carte vitale").status_code == 200
        wait_for(lambda: fake.sent_to(sender), "Twilio accepted the reply", timeout_s=60)
        first.kill9()
    finally:
        first.stop()
    second = GatewayProcess(stack, database_url, stack.rasa_url, tmp_path / "web.log",
                            PASSERELLE_TWILIO_TIMEOUT_S="2").start()  # claims older than 9 s are looked up
    database = Database(database_url)
    try:
        wait_for(lambda: all(r.status == "sent" for r in inbound_and_replies(database, sender)[1]),
                 "the interrupted send was resolved and the rest sent", timeout_s=60)
    finally:
        second.stop()
        fake.hang_s, fake.callbacks = 2.0, True
    _, replies = inbound_and_replies(database, sender)
    assert replies[0].meta.get("recovered") is True
    assert replies[0].provider_sid == fake.sent_to(sender)[0]["sid"]
    sent = [m["body"] for m in fake.sent_to(sender)]
    assert sent == [normalise(r.body, transliterate=True) for r in replies]  # each exactly once
