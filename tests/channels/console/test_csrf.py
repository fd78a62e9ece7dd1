"""Every POST of the console needs the session's CSRF token; the list of routes is read from the router,
so a new form cannot forget it."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from channels.console.models import AuditEntry, Note
from channels.console.routers import LOGIN_PATH, router
from channels.db import Database
from channels.gateway import Gateway
from channels.models import Conversation, Message
from tests.channels.console.conftest import add_account, bring_in, sign_in

POSTS = sorted(path for route in router.routes if isinstance(route, APIRoute) and "POST" in route.methods
               for path in [route.path] if path != LOGIN_PATH)


def snapshot(db: Database) -> tuple:
    with db.session() as session:
        return (session.scalar(select(func.count()).select_from(AuditEntry)),
                session.scalar(select(func.count()).select_from(Message)),
                session.scalar(select(func.count()).select_from(Note)),
                tuple(session.execute(select(Conversation.state, Conversation.assigned_to)).all()))


def test_the_router_has_the_expected_forms() -> None:
    assert {"/console/logout", "/console/conversations/{conversation_id}/claim",
            "/console/conversations/{conversation_id}/reply"} <= set(POSTS)
    assert len(POSTS) == 10


@pytest.mark.parametrize("path", POSTS)
def test_a_post_without_the_right_token_is_refused_and_changes_nothing(
        client: TestClient, db: Database, gateway: Gateway, path: str) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    sign_in(client, "mona@example.org")
    conversation_id = bring_in(gateway, "alice", "HUMAIN")
    before = snapshot(db)
    for token in (None, "", "forged-token"):
        data = {"body": "hello", "outcome": "answered", "colleague": "x"}
        if token is not None:
            data["csrf_token"] = token
        response = client.post(path.format(conversation_id=conversation_id), data=data, follow_redirects=False)
        assert response.status_code == 403, token
        assert snapshot(db) == before
    assert client.get("/console").status_code == 200  # still signed in (even the sign-out form was refused)


def test_the_token_of_another_session_is_refused(client: TestClient, db: Database, gateway: Gateway,
                                                 new_client) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    add_account(db, "sam@example.org", ["mediator"])
    sign_in(client, "mona@example.org")
    sams_token = sign_in(new_client(), "sam@example.org")
    conversation_id = bring_in(gateway, "alice", "HUMAIN")
    response = client.post(f"/console/conversations/{conversation_id}/claim", data={"csrf_token": sams_token})
    assert response.status_code == 403


def test_the_token_works_as_a_form_field_or_a_header(client: TestClient, db: Database, gateway: Gateway) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    csrf = sign_in(client, "mona@example.org")
    conversation_id = bring_in(gateway, "alice", "HUMAIN")
    field = client.post(f"/console/conversations/{conversation_id}/claim", data={"csrf_token": csrf},
                        follow_redirects=False)
    assert field.status_code == 303
    header = client.post(f"/console/conversations/{conversation_id}/cost", data={"body": "Bonjour"},
                         headers={"x-csrf-token": csrf})
    assert header.status_code == 200 and header.json()["characters"] == 7
