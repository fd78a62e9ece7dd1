"""Schemathesis over the web app's OpenAPI schema: whatever a client sends, never a 500.

Every operation of the schema (simulator API, health, Twilio webhooks) gets generated requests,
valid and invalid. Webhook requests whose form is plain text are signed with the test account's
token, so the fuzzing reaches past the signature check into validation, storage and the gateway.
Rasa is down (nothing on its port), as it may be in production. The consoles are HTML forms
outside the schema; their own tests cover bad input.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from channels.app import create_app
from channels.models import Message
from passerelle.settings import Settings

ACCOUNT = "AC" + "5" * 32
TOKEN = "fuzz-token-not-a-secret"
PUBLIC = "http://fuzz.invalid"
OUR_NUMBER = "+33700000005"


@pytest.fixture(scope="module")
def app(shipped_index_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    data: Path = tmp_path_factory.mktemp("fuzz")
    yield create_app(shipped_index_settings.model_copy(update={
        "data_dir": data, "database_url": f"sqlite:///{data / 'fuzz.db'}", "rasa_url": "http://127.0.0.1:9",
        "action_port": 9, "twilio_auth_token": TOKEN, "twilio_sms_numbers": (OUR_NUMBER,),
        "twilio_whatsapp_numbers": (OUR_NUMBER,), "public_base_url": PUBLIC}))


@pytest.fixture(scope="module")
def api(app: FastAPI) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def sign(case: schemathesis.Case) -> None:
    """Sign a webhook request as Twilio would, when its form is one the signature can cover."""
    body = case.body
    if not case.path.startswith("/twilio/") or not isinstance(body, dict):
        return
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in body.items()):
        return
    if "To" in body:  # one of our numbers, so the message is stored and processed
        case.body = body = body | {"To": ("whatsapp:" if case.path.endswith("whatsapp") else "") + OUR_NUMBER}
    query = f"?{urlencode(case.query)}" if case.query else ""
    case.headers = {**(case.headers or {}),
                    "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(PUBLIC + case.path + query, body)}


def test_every_operation_is_in_the_schema(api: schemathesis.schemas.BaseSchema) -> None:
    labels = {result.ok().label for result in api.get_all_operations()}
    assert {"POST /api/simulate", "GET /healthz", "POST /twilio/sms", "POST /twilio/whatsapp",
            "POST /twilio/status"} <= labels


def test_no_request_makes_the_app_fail(api: schemathesis.schemas.BaseSchema, app: FastAPI) -> None:
    # One loop rather than @schema.parametrize: the schema exists only once the app is built
    # from a fixture, and schemathesis' lazy fixture loading does not run on this pytest.
    for result in api.get_all_operations():
        operation = result.ok()

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def no_server_error(case: schemathesis.Case) -> None:
            sign(case)
            response = case.call(timeout=120)  # the first message loads language profiles: slow on a busy machine
            # 503 is /healthz saying "degraded" (Rasa is down here): a designed answer, not a crash
            assert response.status_code < 500 or (case.path, response.status_code) == ("/healthz", 503), (
                case.as_curl_command(), response.status_code, response.text[:500])

        no_server_error()
    with app.state.db.session() as session:  # the signed webhooks got past every check, into storage
        assert session.scalar(select(func.count()).select_from(Message).where(Message.direction == "in"))
