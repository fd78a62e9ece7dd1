"""Fixtures for the Twilio channel: the fake REST API, settings pointing at it, signed requests.

No knowledge-base index and Rasa down (nothing on port 9): these tests are about the channel,
so the gateway answers with its own catalogue texts (service problem, keywords, media).
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from channels.app import create_app
from passerelle.settings import Settings
from tests.channels.twilio.fake_twilio import FakeTwilio, ServerThread

ACCOUNT = "AC" + "1" * 32
TOKEN = "test-auth-token-not-a-secret"
SMS_NUMBER = "+33700000001"
WHATSAPP_NUMBER = "+14155238886"


def _free_port() -> int:
    """A port nothing listens on now, so that test runs sharing the machine never collide."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


FAKE_PORT = _free_port()
APP_PORT = _free_port()
APP_URL = f"http://127.0.0.1:{APP_PORT}"


def new_sid(prefix: str = "SM") -> str:
    """A MessageSid as Twilio makes them."""
    return prefix + uuid.uuid4().hex


def person() -> str:
    """A fresh French mobile number, so tests never share a conversation."""
    return "+336" + str(uuid.uuid4().int)[:8]


def signature(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    """What Twilio would put in X-Twilio-Signature."""
    return RequestValidator(token).compute_signature(url, params)


def sms_params(sender: str, body: str, sid: str | None = None, to: str = SMS_NUMBER,
               **extra: str) -> dict[str, str]:
    """The form of an inbound SMS webhook (the fields Twilio sends that we read, and a few others)."""
    return {"MessageSid": sid or new_sid(), "AccountSid": ACCOUNT, "From": sender, "To": to, "Body": body,
            "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01", **extra}


def wait_for(condition: Callable[[], object], what: str, timeout_s: float = 30.0,
             ignoring: tuple[type[Exception], ...] = ()) -> None:
    """Wait until `condition()` is truthy (work happens on other threads); fail saying `what`.

    `ignoring`: errors that count as "not yet" (a database being restarted by the test).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if condition():
                return
        except ignoring:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeTwilio]:
    """The fake Twilio REST API, for the whole session."""
    fake = FakeTwilio(ACCOUNT, TOKEN, hang_s=2.0, callbacks=True)
    with ServerThread(fake.app, FAKE_PORT):
        yield fake


@pytest.fixture()
def fake(fake_server: FakeTwilio) -> FakeTwilio:
    """The fake, emptied for this test."""
    with fake_server._lock:
        fake_server.messages.clear()
        fake_server.failures.clear()
        fake_server.attempts = 0
    return fake_server


@pytest.fixture()
def twilio_settings(tmp_path: Path) -> Settings:
    """Settings of a gateway whose Twilio account is the fake, served at APP_URL."""
    return Settings(
        data_dir=tmp_path / "var", rasa_url="http://127.0.0.1:9", action_port=9,
        twilio_account_sid=ACCOUNT, twilio_auth_token=TOKEN, twilio_api_base_url=f"http://127.0.0.1:{FAKE_PORT}",
        twilio_sms_numbers=(SMS_NUMBER,), twilio_whatsapp_numbers=(WHATSAPP_NUMBER,), public_base_url=APP_URL,
        twilio_timeout_s=1.0, twilio_retry_base_s=0.05, twilio_retry_max_s=0.2,
    )


class Gateway:
    """The web app served for real on APP_PORT (so Twilio's callbacks can reach it)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.client = httpx.Client(base_url=APP_URL, timeout=10)

    def post(self, path: str, params: dict[str, str], url: str | None = None) -> httpx.Response:
        """POST a form signed for `url` (default: the URL it is posted to)."""
        headers = {"X-Twilio-Signature": signature(url or APP_URL + path, params)}
        return self.client.post(path, data=params, headers=headers)

    def sms(self, sender: str, body: str, **extra: str) -> httpx.Response:
        """Twilio delivering an SMS from `sender`."""
        response = self.post("/twilio/sms", sms_params(sender, body, **extra))
        assert response.status_code == 200, response.text
        return response


@pytest.fixture()
def gateway(twilio_settings: Settings, fake: FakeTwilio) -> Iterator[Gateway]:
    """The gateway with its workers and sender running, talking to the fake."""
    running = Gateway(twilio_settings)
    server = ServerThread(running.app, APP_PORT, lifespan="on").start()
    yield running
    server.stop()
