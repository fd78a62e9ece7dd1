"""The console's pages as a browser gets them: queue, conversation, fragments, languages, headers."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from channels.app import create_app
from channels.db import Database
from channels.gateway import Gateway
from channels.models import Message
from passerelle.settings import Settings
from tests.channels.console.conftest import HTML, add_account, bring_in, sign_in


def test_queue_page_lists_held_conversations_with_live_hooks_and_safe_headers(
        client: TestClient, db: Database, gateway: Gateway) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    sign_in(client, "mona@example.org")
    held = bring_in(gateway, "alice", "HUMAIN")
    bring_in(gateway, "bob", "AIDE")  # the bot holds it
    page = client.get("/console")
    assert page.status_code == 200
    assert re.findall(r'data-conversation-id="(\w+)"', page.text) == [held]
    assert 'data-events="/console/events"' in page.text and "Demande un humain" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    rows = client.get("/console/queue/rows", headers={"x-console-fragment": "1"})
    assert rows.text.lstrip().startswith("<table") and held in rows.text


def test_the_event_stream_says_hello_first(client: TestClient, db: Database) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    sign_in(client, "mona@example.org")
    with client.stream("GET", "/console/events", headers={"accept": "text/event-stream"}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        first = next(line for line in stream.iter_lines() if line.startswith("event:"))
    assert first.strip() == "event: hello"


def test_conversation_page_shows_the_transcript_with_entries_and_the_summary(
        client: TestClient, db: Database, gateway: Gateway) -> None:
    add_account(db, "mona@example.org", ["mediator"], name="Mona")
    cid = bring_in(gateway, "alice", "c koi mon espace santé")
    with db.session() as session:  # what the bot stores when an answer comes from the knowledge base
        session.add(Message(conversation_id=cid, direction="out", author="bot", body="Allez sur monespacesante.fr",
                            seq=50, status="sent",
                            meta={"entry": {"id": "mon-espace-sante-fr", "topic": "mon-espace-sante", "version": 3}}))
    bring_in(gateway, "alice", "HUMAIN")
    csrf = sign_in(client, "mona@example.org")
    page = client.get(f"/console/conversations/{cid}").text
    assert "c koi mon espace santé" in page and "Allez sur monespacesante.fr" in page
    assert "fiche mon-espace-sante-fr v3" in page  # the bot's answer names its entry and version
    assert "Fiche mon-espace-sante-fr, version 3 (1 fois)" in page  # the summary
    assert "Prenez la conversation en charge pour répondre." in page and 'id="reply-body"' not in page
    assert 'name="q" type="search" value="c koi mon espace santé"' in page  # suggestions: the question, not HUMAIN
    client.post(f"/console/conversations/{cid}/claim", data={"csrf_token": csrf})
    claimed = client.get(f"/console/conversations/{cid}").text
    assert 'id="reply-body"' in claimed and "Rendre au bot" in claimed
    live = client.get(f"/console/conversations/{cid}/live", headers={"x-console-fragment": "1"}).text
    assert 'data-state="with_mediator"' in live and "<html" not in live


def test_reply_from_the_form_and_a_refused_one_keeps_the_draft(client: TestClient, db: Database,
                                                                gateway: Gateway, console_settings: Settings) -> None:
    add_account(db, "mona@example.org", ["mediator"], name="Mona")
    cid = bring_in(gateway, "+33612345678", "HUMAIN", channel="sms")
    csrf = sign_in(client, "mona@example.org")
    client.post(f"/console/conversations/{cid}/claim", data={"csrf_token": csrf})
    sent = client.post(f"/console/conversations/{cid}/reply", data={"csrf_token": csrf, "body": "Bonjour, Mona ici."},
                       follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].endswith("?notice=replied")
    page = client.get(sent.headers["location"]).text
    assert "Réponse enregistrée pour l&#39;envoi." in page and "en file d&#39;envoi" in page
    draft = "Un brouillon " + "x" * console_settings.console_reply_max_chars
    refused = client.post(f"/console/conversations/{cid}/reply", data={"csrf_token": csrf, "body": draft})
    assert refused.status_code == 400 and "La réponse est trop longue." in refused.text and draft in refused.text
    with db.session() as session:
        rows = session.scalars(select(Message).where(Message.conversation_id == cid, Message.author == "mediator"))
        assert [(m.body, m.status) for m in rows] == [("Bonjour, Mona ici.", "queued")]


def test_the_interface_speaks_english_on_request(client: TestClient, db: Database) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    sign_in(client, "mona@example.org")
    switched = client.get("/console/language?lang=en&next=/console/recent", follow_redirects=False)
    assert switched.headers["location"] == "/console/recent"
    page = client.get("/console")
    assert '<html lang="en">' in page.text and "Open conversations: 0" in page.text
    assert client.get("/console/language?lang=xx&next=https://evil.example", follow_redirects=False) \
        .headers["location"] == "/console"
    assert '<html lang="fr">' in client.get("/console").text


def test_snippets_are_vetted_entries_with_their_source(shipped_index_settings: Settings, tmp_path) -> None:
    settings = shipped_index_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'c.db'}",
                                                          "rasa_url": "http://127.0.0.1:9", "action_port": 9})
    app: FastAPI = create_app(settings)
    with TestClient(app, headers=HTML) as client:
        add_account(app.state.db, "mona@example.org", ["mediator"])
        sign_in(client, "mona@example.org")
        found = client.get("/console/snippets", params={"q": "comment avoir une carte vitale", "lang": "fr"},
                           headers={"x-console-fragment": "1"}).text
        english = client.get("/console/snippets", params={"q": "carte vitale", "lang": "en"},
                             headers={"x-console-fragment": "1"}).text
    assert "carte-vitale" in found and "Source : https://" in found and 'class="secondary insert"' in found
    assert "Source: https://" in english
