"""Webhook signatures (the twilio library's own RequestValidator) and bad input: 4xx, nothing stored."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from channels.app import create_app
from channels.models import Message
from passerelle.secrets import local_secret
from passerelle.settings import Settings
from tests.channels.twilio.conftest import SMS_NUMBER, WHATSAPP_NUMBER, new_sid, person, signature, sms_params

LOCAL = "http://testserver"


@pytest.fixture()
def settings(twilio_settings: Settings) -> Settings:
    # The sender is off: these tests are about what the webhooks accept.
    return twilio_settings.model_copy(update={"twilio_account_sid": "", "public_base_url": ""})


def client_for(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with client_for(settings) as test_client:
        yield test_client


def post(client: TestClient, path: str, params: dict[str, str], url: str | None = None,
         headers: dict[str, str] | None = None, token: str | None = None) -> int:
    signed = signature(url or LOCAL + path, params, **({"token": token} if token else {}))
    return client.post(path, data=params, headers={"X-Twilio-Signature": signed, **(headers or {})}).status_code


def stored(client: TestClient) -> int:
    with client.app.state.db.session() as session:
        return session.scalar(select(func.count()).select_from(Message).where(Message.direction == "in")) or 0


# -- signatures --------------------------------------------------------------------------------

def test_a_valid_signature_is_accepted_and_stored(client: TestClient) -> None:
    assert post(client, "/twilio/sms", sms_params(person(), "bonjour")) == 200
    assert stored(client) == 1


def test_forged_missing_and_wrong_url_signatures_are_refused_and_nothing_is_stored(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    params = sms_params(person(), "mon secret médical")
    with caplog.at_level(logging.INFO):
        assert post(client, "/twilio/sms", params, token="not-the-token") == 403
        assert client.post("/twilio/sms", data=params).status_code == 403
        assert post(client, "/twilio/sms", params, url=LOCAL + "/twilio/whatsapp") == 403
        assert post(client, "/twilio/sms", params, url="https://elsewhere.example.org/twilio/sms") == 403
        tampered = dict(params, Body="autre chose")
        headers = {"X-Twilio-Signature": signature(LOCAL + "/twilio/sms", params)}
        assert client.post("/twilio/sms", data=tampered, headers=headers).status_code == 403
    assert stored(client) == 0
    assert "refused: invalid signature" in caplog.text and "refused: missing signature" in caplog.text
    assert "secret" not in caplog.text and params["From"] not in caplog.text  # no body, no number in logs


def test_the_refusal_names_the_reason(client: TestClient) -> None:
    response = client.post("/twilio/sms", data=sms_params(person(), "bonjour"))
    assert response.json() == {"error": "invalid or missing X-Twilio-Signature"}


def test_behind_a_proxy_the_url_twilio_signed_is_rebuilt_from_forwarded_headers(settings: Settings) -> None:
    public = "https://sante.example.org/twilio/sms"
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sante.example.org"}
    with client_for(settings) as client:
        assert post(client, "/twilio/sms", sms_params(person(), "bonjour"), url=public, headers=proxy) == 200
        # Twilio may sign the URL with the default port written out; the validator tries both
        assert post(client, "/twilio/sms", sms_params(person(), "bonjour"),
                    url="https://sante.example.org:443/twilio/sms", headers=proxy) == 200
    with client_for(settings.model_copy(update={"trust_forwarded_headers": False})) as client:
        assert post(client, "/twilio/sms", sms_params(person(), "bonjour"), url=public, headers=proxy) == 403


def test_a_configured_public_url_wins_over_what_the_request_says(settings: Settings) -> None:
    configured = settings.model_copy(update={"public_base_url": "https://sante.example.org/"})
    with client_for(configured) as client:
        assert post(client, "/twilio/sms", sms_params(person(), "bonjour"),
                    url="https://sante.example.org/twilio/sms") == 200
        assert post(client, "/twilio/sms", sms_params(person(), "bonjour"),
                    headers={"X-Forwarded-Host": "evil.example.org"},
                    url="https://evil.example.org/twilio/sms") == 403


def test_without_a_configured_token_a_local_secret_signs_and_nothing_else_passes(settings: Settings) -> None:
    unconfigured = settings.model_copy(update={"twilio_auth_token": ""})
    with client_for(unconfigured) as client:
        assert post(client, "/twilio/sms", sms_params(person(), "bonjour"), token="guess") == 403
        secret = local_secret(unconfigured, "twilio_auth_token")
        assert post(client, "/twilio/sms", sms_params(person(), "bonjour"), token=secret) == 200


# -- bad input ---------------------------------------------------------------------------------

def test_wrong_content_type_is_415(client: TestClient) -> None:
    params = sms_params(person(), "bonjour")
    response = client.post("/twilio/sms", content=json.dumps(params), headers={
        "content-type": "application/json", "X-Twilio-Signature": signature(LOCAL + "/twilio/sms", params)})
    assert response.status_code == 415 and "x-www-form-urlencoded" in response.json()["error"]
    multipart = client.post("/twilio/sms", files={"Body": ("a.txt", b"bonjour")})
    assert multipart.status_code == 415


def test_a_huge_body_is_413_before_anything_is_read(client: TestClient) -> None:
    params = sms_params(person(), "x" * 70_000)
    assert post(client, "/twilio/sms", params) == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        for _ in range(100):
            yield b"Body=" + b"x" * 1000 + b"&"

    response = client.post("/twilio/sms", content=chunks(),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413 and "65536" in response.json()["error"]
    assert stored(client) == 0


def test_a_body_that_is_not_utf8_is_400(client: TestClient) -> None:
    response = client.post("/twilio/sms", content=b"Body=\xff\xfe",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400


@pytest.mark.parametrize(("change", "problem"), [
    ({"MessageSid": ""}, "MessageSid"),
    ({"MessageSid": "not-a-sid"}, "MessageSid"),
    ({"From": ""}, "From: missing"),
    ({"From": "0612345678"}, "From: not a valid sms address"),
    ({"From": "+33 6 12 34 56 78"}, "From: not a valid sms address"),
    ({"From": "+3361234567890123456"}, "From: not a valid sms address"),
    ({"From": "whatsapp:+33612345678"}, "From: not a valid sms address"),
    ({"From": "ASSURANCE"}, "From: not a valid sms address"),
    ({"To": ""}, "To: missing"),
    ({"NumMedia": "many"}, "NumMedia"),
    ({"NumMedia": "99"}, "NumMedia"),
])
def test_missing_or_malformed_fields_are_422_with_the_problem(client: TestClient, change: dict[str, str],
                                                               problem: str) -> None:
    params = {k: v for k, v in {**sms_params(person(), "bonjour"), **change}.items() if v != ""}
    response = client.post("/twilio/sms", data=params,
                           headers={"X-Twilio-Signature": signature(LOCAL + "/twilio/sms", params)})
    assert response.status_code == 422
    assert any(p.startswith(problem) for p in response.json()["problems"]), response.json()
    assert stored(client) == 0


def test_an_sms_address_on_the_whatsapp_webhook_is_422(client: TestClient) -> None:
    params = sms_params(person(), "bonjour", to=f"whatsapp:{WHATSAPP_NUMBER}")
    assert post(client, "/twilio/whatsapp", params) == 422


def test_a_to_number_that_is_not_ours_is_404(client: TestClient) -> None:
    response = client.post("/twilio/sms", data=(params := sms_params(person(), "bonjour", to="+33700009999")),
                           headers={"X-Twilio-Signature": signature(LOCAL + "/twilio/sms", params)})
    assert response.status_code == 404 and "numbers" in response.json()["error"]
    assert post(client, "/twilio/whatsapp", sms_params("whatsapp:" + person(), "hi", to=f"whatsapp:{SMS_NUMBER}")) \
        == 404
    assert stored(client) == 0


def test_the_same_message_sid_is_stored_once(client: TestClient) -> None:
    params = sms_params(person(), "bonjour", sid=new_sid())
    assert [post(client, "/twilio/sms", params) for _ in range(3)] == [200, 200, 200]
    assert stored(client) == 1


def test_only_post_is_allowed(client: TestClient) -> None:
    assert client.get("/twilio/sms").status_code == 405


def test_status_callback_checks_its_fields_and_knows_its_messages(client: TestClient) -> None:
    unknown = {"MessageSid": new_sid(), "MessageStatus": "delivered", "AccountSid": "AC" + "1" * 32}
    assert post(client, "/twilio/status", unknown) == 404
    assert post(client, "/twilio/status", dict(unknown, MessageStatus="teleported")) == 422
    assert client.post("/twilio/status", data=unknown).status_code == 403
