"""Who may do what: roles grant permissions, and every page and form checks one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from channels.console.permissions import Permission, Role, parse_roles, permissions_of
from channels.db import Database
from channels.gateway import Gateway
from tests.channels.console.conftest import add_account, bring_in, sign_in


def test_roles_grant_permissions_and_unknown_roles_grant_nothing() -> None:
    assert permissions_of(["mediator"]) == {Permission.handle_conversations}
    assert Permission.manage_users not in permissions_of(["mediator", "editor", "reviewer"])
    assert Permission.read_audit not in permissions_of(["mediator", "editor", "reviewer"])
    assert permissions_of(["admin"]) == set(Permission)
    assert permissions_of(["reviewer"]) >= {Permission.review_content, Permission.edit_content}
    assert permissions_of(["root", "superuser"]) == frozenset()


def test_role_names_are_checked() -> None:
    assert parse_roles([" Mediator", "editor", "mediator"]) == ["mediator", "editor"]
    with pytest.raises(ValueError, match="unknown role"):
        parse_roles(["mediator", "god"])
    with pytest.raises(ValueError):
        parse_roles([])
    assert set(Role) == {"mediator", "editor", "reviewer", "admin"}


@pytest.mark.parametrize("path", ["/console", "/console/recent", "/console/admin/audit", "/console/admin/users",
                                  "/console/conversations/" + "0" * 32])
def test_pages_send_strangers_to_the_sign_in_form(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/console/login?next={path}"


@pytest.mark.parametrize("path", ["/console/queue/rows", "/console/events", "/console/snippets?q=x",
                                  "/console/conversations/" + "0" * 32 + "/live"])
def test_fragments_and_the_event_stream_answer_401_to_strangers(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"accept": "*/*", "x-console-fragment": "1"})
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/console/admin/audit", "/console/admin/users"])
def test_a_mediator_cannot_do_admin_things(client: TestClient, db: Database, path: str) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    sign_in(client, "mona@example.org")
    response = client.get(path)
    assert response.status_code == 403 and "audit" not in client.get("/console").text.split("<main")[0].lower()


@pytest.mark.parametrize("path", ["/console/admin/audit", "/console/admin/users", "/console"])
def test_an_admin_sees_the_admin_pages(client: TestClient, db: Database, path: str) -> None:
    add_account(db, "ada@example.org", ["admin"])
    sign_in(client, "ada@example.org")
    assert client.get(path).status_code == 200


def test_an_editor_cannot_use_the_mediator_console(client: TestClient, db: Database, gateway: Gateway) -> None:
    add_account(db, "eve@example.org", ["editor", "reviewer"])
    csrf = sign_in(client, "eve@example.org")
    conversation_id = bring_in(gateway, "alice", "HUMAIN")
    landing = client.get("/console", follow_redirects=False)  # the queue sends them to their own console
    assert landing.status_code == 303 and landing.headers["location"] == "/console/content"
    assert client.get(f"/console/conversations/{conversation_id}").status_code == 403
    claimed = client.post(f"/console/conversations/{conversation_id}/claim", data={"csrf_token": csrf})
    assert claimed.status_code == 403
    assert "Votre rôle ne donne pas accès" in claimed.text


def test_the_audit_page_lists_what_mediators_did(client: TestClient, db: Database, gateway: Gateway,
                                                 new_client) -> None:
    add_account(db, "mona@example.org", ["mediator"], name="Mona")
    add_account(db, "ada@example.org", ["admin"])
    conversation_id = bring_in(gateway, "alice", "HUMAIN")
    mona = new_client()
    csrf = sign_in(mona, "mona@example.org")
    mona.post(f"/console/conversations/{conversation_id}/claim", data={"csrf_token": csrf})
    sign_in(client, "ada@example.org")
    page = client.get(f"/console/admin/audit?conversation={conversation_id}").text
    assert "mona@example.org" in page and "prise en charge" in page and "consultation" in page  # the view too
