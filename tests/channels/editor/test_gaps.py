"""The Gaps page: last week's unanswered questions and new rumours, grouped by meaning (real
embedder), masked, and each group one click away from a new entry."""

from __future__ import annotations

import datetime as dt
import html

from fastapi.testclient import TestClient

from channels.db import Database
from channels.models import Conversation, Message, utcnow

UNANSWERED = ["comment avoir un rendez-vous chez un dentiste le dimanche", "dentiste ouvert dimanche ?",
              "ou trouver un dentiste de garde le week-end, appelez moi au 06 12 34 56 78",
              "le prix du timbre poste", "combien coute un timbre"]
RUMOUR = "on m'a dit que le citron guérit le diabète, partagez"


def store(db: Database, texts: list[str], meta: dict, days_ago: float = 1) -> None:
    with db.session() as session:
        conversation = Conversation(channel="web", address="gap-test", address_hash=f"h{len(texts)}{days_ago}{meta}")
        session.add(conversation)
        session.flush()
        for i, body in enumerate(texts):
            session.add(Message(conversation_id=conversation.id, seq=i, direction="in", author="person", body=body,
                                status="done", meta=meta, created_at=utcnow() - dt.timedelta(days=days_ago)))


def test_gaps_groups_last_weeks_misses_and_rumours_and_starts_an_entry(client: TestClient, db: Database, people,
                                                                       as_person) -> None:
    store(db, UNANSWERED, {"unanswered": "not_sure"})
    store(db, ["ancienne question sur les lunettes"], {"unanswered": "not_sure"}, days_ago=9)
    store(db, ["j'ai perdu ma carte vitale"], {})  # answered
    store(db, [RUMOUR, RUMOUR], {"triage": {"urgent": False, "myth": None, "myth_level": "none", "rumour_cue": True}})
    eve, token = as_person("eve@example.org")
    page = html.unescape(eve.get("/console/content/gaps").text)
    unanswered, rumours = page.split("Rumeurs repérées")
    assert "3 message(s) comme" in unanswered and "2 message(s) comme" in unanswered
    assert "lunettes" not in page and "carte vitale" not in page
    assert "06 12 34 56 78" not in page and "[phone]" in page
    assert "2 message(s) comme" in rumours and "citron" in rumours

    started = eve.post("/console/content/new/from-gap", data={
        "csrf_token": token, "title": UNANSWERED[1], "questions": "\n".join(UNANSWERED[:2])})
    assert started.status_code == 200
    form = html.unescape(started.text)
    assert f'value="{UNANSWERED[1]}"' in form and UNANSWERED[0] + "\n" + UNANSWERED[1] in form
    assert eve.post("/console/content/new/from-gap", data={"title": "x"}).status_code == 403  # CSRF


def test_mediators_do_not_see_gaps(client: TestClient, people, as_person) -> None:
    mona, _ = as_person("mona@example.org")
    assert mona.get("/console/content/gaps").status_code == 403
