"""The classic failure of bot-to-human handoffs: the bot answering while a human holds the conversation.

Zero bot messages between the handoff and the hand-back, with the person writing many messages at
once through /api/simulate (the path an SMS takes) while the mediator works. Rasa is down here, so
the bot's only voice is the "service problem" reply: if any message reached the bot path while
held, it would show up. The real Rasa (pause and resume events) is in test_console_browser.py.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import select

from channels.db import Database
from channels.models import Conversation, Message
from passerelle.messages import text
from tests.channels.console.conftest import add_account, sign_in

SENDER = "regression-1"
QUESTIONS = ["comment avoir une carte vitale", "vous etes la ?", "bonjour", "merci", "c koi mon espace santé",
             "j'ai mal au dos", "et pour mon fils ?", "allo", "ameli mot de passe perdu", "rdv médecin"]


def say(client: TestClient, body: str) -> list[str]:
    response = client.post("/api/simulate", json={"sender": SENDER, "text": body})
    assert response.status_code == 200, response.text
    return response.json()["replies"]


def say_at_once(client: TestClient, bodies: list[str]) -> list[list[str]]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda body: say(client, body), bodies))


def transcript(db: Database) -> list[Message]:
    with db.session() as session:
        conversation = session.scalar(select(Conversation).where(Conversation.channel == "web"))
        assert conversation is not None
        return list(session.scalars(select(Message).where(Message.conversation_id == conversation.id)
                                    .order_by(Message.seq, Message.created_at)))


def test_no_bot_message_from_handoff_to_hand_back_under_concurrent_messages(client: TestClient, db: Database) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    notice = say(client, "HUMAIN")
    assert len(notice) == 1 and "médiateur" in notice[0]

    assert say_at_once(client, QUESTIONS * 3) == [[]] * 30  # held: the bot stays silent

    csrf = sign_in(client, "mona@example.org")
    conversation_id = transcript(db)[0].conversation_id
    client.post(f"/console/conversations/{conversation_id}/claim", data={"csrf_token": csrf})
    with ThreadPoolExecutor(max_workers=4) as pool:
        inbound = pool.submit(say_at_once, client, QUESTIONS * 2)
        replies = [pool.submit(client.post, f"/console/conversations/{conversation_id}/reply",
                               data={"csrf_token": csrf, "body": f"Réponse {n} de la médiatrice"})
                   for n in range(5)]
        assert inbound.result() == [[]] * 20
        assert all(r.result().status_code in (200, 303) for r in replies)

    handed = client.post(f"/console/conversations/{conversation_id}/hand-back",
                         data={"csrf_token": csrf, "outcome": "answered"}, follow_redirects=False)
    assert handed.status_code == 303
    after = say(client, "comment avoir une carte vitale")
    assert after == [text("service_down", "fr")]  # the bot path again (Rasa is down here)

    messages = transcript(db)
    notice_at = next(i for i, m in enumerate(messages) if m.direction == "out" and m.body == notice[0])
    back_at = next(i for i, m in enumerate(messages) if m.author == "system")
    held = messages[notice_at + 1:back_at]
    assert len([m for m in held if m.direction == "in"]) == 50
    assert [m.author for m in held if m.direction == "out"] == ["mediator"] * 5
    assert [m.author for m in messages[back_at:] if m.direction == "out"] == ["system", "bot"]
