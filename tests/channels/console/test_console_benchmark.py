"""The queue with 500 open conversations: how long the page takes, from the server and in Chromium.

Slow, and a benchmark: it asserts what the page shows, never how fast; the figures are printed
and written to var/test-console/console-queue-500.json. The web app runs in this process
(uvicorn on 127.0.0.1:8310, Rasa not needed) over conversations brought in by the real gateway.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from channels import handoff
from channels.app import create_app
from channels.console.users import add_user
from channels.db import Database
from channels.gateway import Gateway, Inbound
from channels.models import Conversation, Message, utcnow
from knowledge_base.schema import URGENCY_CATEGORIES
from passerelle.settings import ROOT, Settings
from tests.channels.console.conftest import CSRF, PASSWORD

pytestmark = pytest.mark.slow

OPEN = 500
URGENT = 50
PORT = 8310
FIGURES = ROOT / "var" / "test-console" / "console-queue-500.json"


def seed(settings: Settings, db: Database) -> None:
    """500 people who asked for a human on every channel; 50 urgent; waits from 0 to 60 minutes."""
    gateway = Gateway(settings, db, rasa=None)
    chance = random.Random(6)
    for number in range(OPEN):
        channel = ("sms", "whatsapp", "web")[number % 3]
        address = {"sms": f"+3361{number:07d}", "whatsapp": f"whatsapp:+3362{number:07d}", "web": f"p{number}"}[channel]
        message_id, _ = gateway.receive(Inbound(channel=channel, address=address, body="HUMAIN"))
        gateway.process(message_id)
    with db.session() as session:
        conversations = list(session.scalars(select(Conversation)))
        for index, conversation in enumerate(conversations):
            conversation.waiting_since = utcnow() - dt.timedelta(minutes=chance.randint(0, 60))
            conversation.language = ("fr", "en", "ar", "es", "pt")[index % 5]
            if index < URGENT:
                handoff.request_handoff(conversation, "urgent", rasa=None, priority=handoff.PRIORITY_URGENT,
                                        category=URGENCY_CATEGORIES[index % len(URGENCY_CATEGORIES)])
            session.add(Message(conversation_id=conversation.id, direction="in", author="person", seq=10,
                                body="Bonjour, j'ai besoin d'aide pour mon dossier de santé, merci de me rappeler.",
                                meta={"triage": {"urgent": index < URGENT, "category": conversation.urgency_category,
                                                 "myth": "mythe-vaccin" if index % 7 == 0 else None,
                                                 "myth_level": "possible", "rumour_cue": index % 11 == 0}}))
        session.execute(update(Conversation).values(last_inbound_at=utcnow()))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("var")), web_port=PORT,
                        rasa_url="http://127.0.0.1:9", action_port=9)
    app = create_app(settings)
    db: Database = app.state.db
    seed(settings, db)
    with db.session() as session:
        add_user(session, settings, "mona@example.org", PASSWORD, ["mediator"], name="Mona")
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=PORT, log_level="warning",
                                            timeout_graceful_shutdown=3))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started
    try:
        yield settings
    finally:
        running.should_exit = True
        thread.join(timeout=15)


def sign_in(client: httpx.Client) -> None:
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token
    client.post("/console/login", data={"email": "mona@example.org", "password": PASSWORD,
                                        "csrf_token": token.group(1)})


def timed(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median_s": round(statistics.median(ordered), 3), "max_s": round(ordered[-1], 3), "runs": len(ordered)}


def test_queue_of_500_open_conversations(server: Settings, page: Page) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", headers={"accept": "text/html"}, timeout=30) as client:
        sign_in(client)
        first = client.get("/console")
        assert first.status_code == 200 and first.text.count("data-conversation-id=") == OPEN
        server_page = timed(lambda: client.get("/console").raise_for_status(), 20)
        server_rows = timed(lambda: client.get("/console/queue/rows", headers={"x-console-fragment": "1"})
                            .raise_for_status(), 20)
        html_kib = round(len(first.content) / 1024)
        cookie = client.cookies.get("passerelle_session")

    page.context.add_cookies([{"name": "passerelle_session", "value": cookie or "", "url": f"http://127.0.0.1:{PORT}"}])
    loads = []
    for _ in range(5):
        page.goto(f"http://127.0.0.1:{PORT}/console", wait_until="load")
        timing = page.evaluate("""() => { const n = performance.getEntriesByType('navigation')[0];
            return {response: n.responseEnd - n.requestStart, dom: n.domContentLoadedEventEnd - n.startTime,
                    load: n.loadEventEnd - n.startTime}; }""")
        loads.append(timing)
    expect(page.locator("tr[data-conversation-id]")).to_have_count(OPEN)
    expect(page.locator("tr.urgent")).to_have_count(URGENT)
    assert page.locator("tr").nth(1).get_attribute("class").startswith("urgent")  # type: ignore[union-attr]

    figures = {
        "open_conversations": OPEN, "html_kib": html_kib,
        "server_full_page": summary(server_page), "server_rows_fragment": summary(server_rows),
        "browser_dom_content_loaded": summary([t["dom"] / 1000 for t in loads]),
        "browser_load_event": summary([t["load"] / 1000 for t in loads]),
    }
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2))
    print("\nqueue with 500 conversations:", json.dumps(figures))
