"""The web app's contract and its answers to bad input, with Rasa down (nothing on its port)."""

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from channels.app import create_app
from passerelle.settings import Settings


@pytest.fixture()
def client(shipped_index_settings: Settings, tmp_path) -> Iterator[TestClient]:
    settings = shipped_index_settings.model_copy(update={
        "database_url": f"sqlite:///{tmp_path / 'app.db'}",
        "rasa_url": "http://127.0.0.1:9",  # discard port: Rasa is down
        "action_port": 9,
    })
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def simulate(client: TestClient, text: str, sender: str = "alice") -> list[str]:
    response = client.post("/api/simulate", json={"sender": sender, "text": text})
    assert response.status_code == 200, response.text
    return response.json()["replies"]


def test_health_is_503_and_names_the_component_that_is_down(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["components"]["rasa"] == "down" and body["components"]["index"] == "up"
    assert body["components"]["tracker_store"] == "down"  # cannot be probed without Rasa


@pytest.mark.parametrize("payload", [{}, {"sender": "x"}, {"text": "hi"}, {"sender": "", "text": "hi"},
                                     {"sender": "x", "text": 42}, [1, 2], "just a string"])
def test_wrong_shape_gets_a_clear_422(client: TestClient, payload: object) -> None:
    response = client.post("/api/simulate", json=payload)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid request" and response.json()["problems"]


def test_not_json_at_all_is_a_4xx(client: TestClient) -> None:
    response = client.post("/api/simulate", content=b"\xff\xfe garbage", headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(("text", "hint"), [("", "vide"), ("   ", "vide"), ("😀🙏", "mots"),
                                             ("\x00\x01\x02", "vide")])
def test_empty_or_emoji_only_gets_a_polite_reply(client: TestClient, text: str, hint: str) -> None:
    replies = simulate(client, text)
    assert len(replies) == 1 and hint in replies[0]


def test_rasa_down_gives_a_clear_reply_and_keeps_the_message(client: TestClient) -> None:
    replies = simulate(client, "comment avoir une carte vitale", sender="bob")
    assert len(replies) == 1 and "médiateur" in replies[0] and "15" in replies[0]
    gateway = client.app.state.gateway
    assert gateway.pending_messages()  # deferred, retried when Rasa is back
    assert simulate(client, "et pour mon fils ?", sender="bob") == []  # told once per outage


def test_huge_message_is_accepted(client: TestClient) -> None:
    replies = simulate(client, "carte vitale " * 900, sender="carol")
    assert replies  # processed (capped), never a 500


def test_stop_then_nothing_is_sent_until_start(client: TestClient) -> None:
    assert "plus de messages" in simulate(client, "STOP", sender="dan")[0]
    assert simulate(client, "comment avoir une carte vitale", sender="dan") == []
    assert simulate(client, "START", sender="dan")


def test_simulator_page_is_served(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and "/api/simulate" in client.get("/static/simulator.js").text


def test_the_sweep_never_starts_a_message_the_simulator_is_still_processing(client: TestClient) -> None:
    """Processing can outlast the sweep's age limit (triage retraining after a publication took
    ~50 s): the sweep must not run the same message a second time meanwhile."""
    workers = client.app.state.workers  # type: ignore[attr-defined]
    replies: list[list[str]] = []
    with workers.gateway.triage._lock:  # triage busy, as while it retrains: processing waits here
        thread = threading.Thread(target=lambda: replies.append(simulate(client, "c koi mon espace sante", "slow")))
        thread.start()
        deadline = time.monotonic() + 30
        while not workers.gateway.pending_messages() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert workers.gateway.pending_messages(), "the message was not stored"
        assert workers.sweep(min_age=dt.timedelta(0)) == 0
    thread.join(timeout=60)
    assert len(replies) == 1 and replies[0]
