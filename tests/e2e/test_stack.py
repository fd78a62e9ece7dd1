"""The real three servers (Rasa, action server, web app) answering through /api/simulate.

Slow: trains the Rasa model when its inputs changed (cached under var/test-e2e/) and starts the
servers on ports of their own, so a running `make run` is not disturbed.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from channels.privacy import TrackerStore
from channels.rasa_client import RasaClient
from channels.tracker_probe import PROBE_PREFIX, TrackerProbe
from knowledge_base.loader import load_entries
from passerelle.messages import text as catalogue
from passerelle.secrets import rasa_token
from passerelle.settings import ROOT, Settings
from passerelle.stack import RASA_BIN, Paths, Stack, rasa_env
from tests.support.rasa_model import provide_rasa_model
from tests.support.stale_databases import remove_databases

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack() -> Iterator[Settings]:
    data_dir = ROOT / "var" / "test-e2e"
    remove_databases(data_dir)
    settings = Settings(data_dir=data_dir, index_root=ROOT / "var" / "index", web_port=8100,
                        rasa_url="http://127.0.0.1:5105", action_port=5155)
    from knowledge_base.build import ensure_index

    ensure_index(settings.content_dir, settings, progress=False)
    provide_rasa_model(settings)
    with Stack(settings):
        yield settings


def say(settings: Settings, sender: str, text: str) -> list[str]:
    response = httpx.post(f"http://127.0.0.1:{settings.web_port}/api/simulate",
                          json={"sender": sender, "text": text}, timeout=180)
    assert response.status_code == 200, response.text
    return response.json()["replies"]


def test_health_is_green(stack: Settings) -> None:
    response = httpx.get(f"http://127.0.0.1:{stack.web_port}/healthz")
    assert response.status_code == 200
    assert set(response.json()["components"].values()) == {"up"}


def probes_left(settings: Settings) -> int:
    with create_engine(settings.effective_tracker_url).connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM events WHERE sender_id LIKE :p"),
                                      {"p": PROBE_PREFIX + "%"}).scalar_one())


def test_health_notices_when_rasa_does_not_save_to_the_sql_tracker_store(stack: Settings, tmp_path: Path) -> None:
    rasa = RasaClient(stack.rasa_url, rasa_token(stack))
    # Rasa saving somewhere else than the store we look at is what its fall-back to memory looks like.
    elsewhere = TrackerStore(f"sqlite:///{tmp_path / 'not-rasas.db'}")
    assert TrackerProbe(rasa, elsewhere).check().startswith("down: Rasa did not save")
    before = probes_left(stack)
    assert TrackerProbe(rasa, TrackerStore(stack.effective_tracker_url)).check() == "up"
    assert probes_left(stack) == before  # the probe cleans up after itself


def test_french_question_answered_with_source(stack: Settings) -> None:
    replies = say(stack, f"fr-{uuid.uuid4().hex}", "c koi mon espace santé")
    text = "\n".join(replies)
    assert "monespacesante.fr" in text and "Source : https://" in text  # any Mon Espace Santé entry


def test_english_question_answered_in_english(stack: Settings) -> None:
    replies = say(stack, f"en-{uuid.uuid4().hex}", "hello I need help with my health card")
    text = "\n".join(replies)
    assert "carte Vitale" in text and "Source: https://" in text


def test_greeting_then_thanks(stack: Settings) -> None:
    sender = f"gt-{uuid.uuid4().hex}"
    assert "Bonjour" in say(stack, sender, "bonjour")[0]
    assert say(stack, sender, "merci")


def test_not_understood_twice_goes_to_a_mediator_and_bot_stays_silent(stack: Settings) -> None:
    sender = f"nu-{uuid.uuid4().hex}"
    first = say(stack, sender, "qui a gagné le match de foot hier soir")
    assert any("médiateur" in r for r in first)
    second = say(stack, sender, "et la météo demain à Lyon ?")
    assert any("médiateur" in r for r in second)
    assert say(stack, sender, "comment avoir une carte vitale") == []  # held: silence


def test_a_question_not_sure_enough_offers_topics_and_a_number_answers_one(stack: Settings) -> None:
    sender = f"dym-{uuid.uuid4().hex}"
    [offer] = say(stack, sender, "jai mal quand jallaite mon bebe qui peut maider")  # near miss (tuning set)
    assert "Répondez 1, 2 ou 3" in offer and "\n1 " in offer
    entries = {e.title: e for e in load_entries(stack.content_dir)[0] if e.language == "fr"}
    first = entries[offer.split("\n1 ")[1].split("\n")[0]]
    assert first.topic == "allaitement"
    answer = "\n".join(say(stack, sender, "1"))
    assert f"Source : {first.sources[0]}" in answer
    assert say(stack, sender, "1") == [catalogue("emoji_only", "fr")]  # the list held for one message


def test_asking_for_a_human(stack: Settings) -> None:
    sender = f"hu-{uuid.uuid4().hex}"
    replies = say(stack, sender, "je veux parler a un vrai humain")
    assert any("médiateur" in r for r in replies)
    assert say(stack, sender, "vous etes la ?") == []


def test_rasa_end_to_end_stories(stack: Settings) -> None:
    """`rasa test` on tests/test_stories.yml with the real action server."""
    out = ROOT / "var" / "test-e2e" / "rasa-test"
    result = subprocess.run(
        [str(RASA_BIN), "test", "core", "--stories", "tests/test_stories.yml", "--model",
         str(Paths(stack).model), "--endpoints", "bot/endpoints.yml", "--out", str(out), "--fail-on-prediction-errors"],
        cwd=ROOT, env=rasa_env(stack), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
