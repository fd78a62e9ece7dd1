"""Two complete instances sharing PostgreSQL (gateway database and Rasa tracker store) and Redis
(Rasa lock store): a conversation whose messages alternate between instances keeps its state and
its order. Real servers on 127.0.0.1, stopped at the end.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from knowledge_base.build import ensure_index
from passerelle.secrets import rasa_token
from passerelle.settings import ROOT, Settings
from passerelle.stack import Stack
from tests.support.rasa_model import provide_rasa_model
from tests.support.servers import postgres, redis

pytestmark = pytest.mark.slow

PG_PORT, REDIS_PORT = 55432, 56379


@pytest.fixture(scope="module")
def instances() -> Iterator[list[Settings]]:
    data_dir = ROOT / "var" / "test-e2e"  # shares the trained model and secrets with test_stack.py
    base = Settings(data_dir=data_dir, index_root=ROOT / "var" / "index")
    ensure_index(base.content_dir, base, progress=False)
    provide_rasa_model(base)
    with postgres(PG_PORT) as pg, redis(REDIS_PORT):
        stacks: list[Stack] = []
        settings_list = []
        try:
            for i, (web, rasa, action) in enumerate([(8111, 5111, 5161), (8112, 5112, 5162)]):
                settings = Settings(data_dir=data_dir, index_root=ROOT / "var" / "index", web_port=web,
                                    rasa_url=f"http://127.0.0.1:{rasa}", action_port=action,
                                    database_url=pg.url,  # and the tracker store the Rasa servers share:
                                    rasa_tracker_url=pg.url.rsplit("/", 1)[0] + "/rasa_tracker")
                env = {"PASSERELLE_ACTION_URL": f"http://127.0.0.1:{action}/webhook",
                       "PASSERELLE_PG_HOST": "127.0.0.1", "PASSERELLE_PG_PORT": str(PG_PORT),
                       "PASSERELLE_PG_DB": "rasa_tracker", "PASSERELLE_PG_USER": "postgres",
                       "PASSERELLE_PG_PASSWORD": "", "PASSERELLE_REDIS_HOST": "127.0.0.1",
                       "PASSERELLE_REDIS_PORT": str(REDIS_PORT)}
                stack = Stack(settings, endpoints="bot/endpoints.scale.yml", extra_env=env)
                stack.start()
                stacks.append(stack)
                settings_list.append(settings)
                if i == 0:  # the first one creates the tables; the second starts on them
                    stack.wait_ready()
            stacks[1].wait_ready()
            yield settings_list
        finally:
            for stack in stacks:
                stack.stop()


def say(settings: Settings, sender: str, message: str) -> list[str]:
    response = httpx.post(f"http://127.0.0.1:{settings.web_port}/api/simulate",
                          json={"sender": sender, "text": message}, timeout=180)
    assert response.status_code == 200, response.text
    return response.json()["replies"]


def tracker(settings: Settings, sender_id: str) -> dict:
    response = httpx.get(f"{settings.rasa_url}/conversations/{sender_id}/tracker",
                         params={"token": rasa_token(settings)}, timeout=30)
    response.raise_for_status()
    return response.json()


def conversation_id(settings: Settings, sender: str) -> str:
    with create_engine(settings.effective_database_url).connect() as connection:
        return connection.execute(text("SELECT id FROM conversations WHERE channel = 'web' AND address = :a"),
                                  {"a": sender}).scalar_one()


def test_alternating_instances_keep_state_and_order(instances: list[Settings]) -> None:
    a, b = instances
    sender = f"scale-{uuid.uuid4().hex}"
    messages = ["bonjour", "comment avoir une carte vitale", "in english please", "how do i find a gp", "merci"]
    for i, message in enumerate(messages):
        assert say((a, b)[i % 2], sender, message), message
    cid = conversation_id(a, sender)
    for instance in (a, b):  # both Rasa servers see the same tracker
        events = tracker(instance, cid)
        assert [e["text"] for e in events["events"] if e["event"] == "user"] == messages
        assert events["slots"]["language"] == "en"  # the switch made on B... or A, seen by both


def test_a_list_of_suggested_entries_offered_by_one_instance_is_picked_on_the_other(
        instances: list[Settings]) -> None:
    a, b = instances
    sender = f"dym-{uuid.uuid4().hex}"
    [offer] = say(a, sender, "jai mal quand jallaite mon bebe qui peut maider")  # a near miss: topics offered
    assert "\n1 " in offer
    suggested = tracker(b, conversation_id(a, sender))["slots"]["suggested"]
    assert isinstance(suggested, list) and suggested[0] == "allaitement-fr"  # the list slot, read back from PostgreSQL
    assert any("Source : " in reply for reply in say(b, sender, "1"))
    assert tracker(a, conversation_id(a, sender))["slots"]["suggested"] is None


def test_concurrent_messages_of_one_conversation_are_serialised(instances: list[Settings]) -> None:
    a, b = instances
    sender = f"lock-{uuid.uuid4().hex}"
    say(a, sender, "bonjour")
    questions = ["carte vitale perdue", "pharmacie de garde", "vaccin grippe", "medecin traitant"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda pair: say(pair[0], sender, pair[1]),
                                [((a, b)[i % 2], q) for i, q in enumerate(questions)]))
    assert all(replies), replies  # every question answered, whichever server took it
    events = tracker(b, conversation_id(a, sender))["events"]
    user_turns = [i for i, e in enumerate(events) if e["event"] == "user"]
    assert len(user_turns) == 5
    for start, end in zip(user_turns, user_turns[1:] + [len(events)], strict=True):
        # each message's actions run before the next message is taken (the Redis lock); which action
        # answers depends on the NLU (a two-word question can be read as small talk, which then searches)
        assert any(e["event"] == "action" and e["name"] != "action_listen" for e in events[start:end])


def test_the_lock_store_never_lets_two_servers_hold_one_conversation(instances: list[Settings],
                                                                       tmp_path: Path) -> None:
    """Six processes (as six Rasa servers would) take one conversation's lock 20 times each.

    Uses the Redis server the instances share. Rasa's own RedisLockStore fails this.
    """
    out = tmp_path / "holds.log"
    script = ROOT / "tests" / "support" / "lock_race.py"
    command = [str(ROOT / ".venv-rasa" / "bin" / "python"), str(script), str(REDIS_PORT), f"race-{uuid.uuid4().hex}",
               "6", "20", str(out)]
    result = subprocess.run(command,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6 * 20 * 2
    # every hold ends before the next one starts
    assert all(lines[i].startswith("start") and lines[i + 1] == "end" + lines[i][5:] for i in range(0, len(lines), 2))
