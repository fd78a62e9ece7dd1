"""Signing in and out: hashed passwords, session cookies, the sign-in form's CSRF token, rate limits."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from channels.console.auth import SESSION_COOKIE, hash_password, verify_password
from channels.console.models import AuditEntry, LoginFailure, User, UserSession
from channels.db import Database
from passerelle.settings import Settings
from tests.channels.console.conftest import CSRF, PASSWORD, add_account, sign_in


def login_form(client: TestClient) -> str:
    token = CSRF.search(client.get("/console/login").text)
    assert token
    return token.group(1)


def attempt(client: TestClient, email: str, password: str, token: str | None = None, next_url: str = "/console"):
    return client.post("/console/login", data={"email": email, "password": password,
                                               "csrf_token": token or login_form(client), "next": next_url},
                       follow_redirects=False)


def audit_actions(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_passwords_are_argon2_hashes_that_verify() -> None:
    production = Settings()
    stored = hash_password("correct horse battery staple", production)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,") and "correct" not in stored
    assert verify_password(stored, "correct horse battery staple", production)
    assert not verify_password(stored, "Correct horse battery staple", production)
    assert not verify_password(None, "anything", production) and not verify_password("not a hash", "x", production)


def test_a_weaker_hash_is_upgraded_at_sign_in(client: TestClient, db: Database, app) -> None:
    mona = add_account(db, "mona@example.org", ["mediator"])  # made with the tests' cheap parameters
    stronger = app.state.console.settings.model_copy(update={"console_password_time_cost": 2,
                                                             "console_password_memory_kib": 2048})
    app.state.console.settings = stronger
    assert attempt(client, "mona@example.org", PASSWORD).status_code == 303
    with db.session() as session:
        user = session.get(User, mona.user_id)
        assert user is not None and ",t=2," in user.password_hash and "m=2048" in user.password_hash
        assert verify_password(user.password_hash, PASSWORD, stronger)


def test_sign_in_opens_an_http_only_session_and_sign_out_ends_it(client: TestClient, db: Database) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    response = attempt(client, "  Mona@Example.org ", PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    token = client.cookies.get(SESSION_COOKIE)
    with db.session() as session:  # only a hash of the token is stored
        assert session.scalar(select(UserSession.id)) != token
    page = client.get("/console")
    assert page.status_code == 200 and "mona" in page.text
    csrf = CSRF.search(page.text)
    assert csrf
    assert client.post("/console/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False).status_code == 303
    client.cookies.set(SESSION_COOKIE, token or "")  # the old cookie, replayed
    assert client.get("/console", follow_redirects=False).headers["location"].startswith("/console/login")
    assert audit_actions(db) == ["login", "logout"]


def test_wrong_password_and_unknown_account_get_the_same_answer(client: TestClient, db: Database) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    wrong = attempt(client, "mona@example.org", "not the password")
    unknown = attempt(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = re.compile(r'role="alert">([^<]+)<')
    assert message.search(wrong.text).group(1) == message.search(unknown.text).group(1)  # type: ignore[union-attr]
    assert SESSION_COOKIE not in client.cookies
    assert audit_actions(db) == ["login_failed", "login_failed"]


def test_sign_in_without_the_form_token_or_with_another_browsers_token_is_refused(
        client: TestClient, db: Database, new_client) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    missing = client.post("/console/login", data={"email": "mona@example.org", "password": PASSWORD},
                          follow_redirects=False)
    assert missing.status_code == 403
    other_browser_token = login_form(new_client())
    client.get("/console/login")  # this browser has its own cookie nonce
    stolen = attempt(client, "mona@example.org", PASSWORD, token=other_browser_token)
    assert stolen.status_code == 403 and SESSION_COOKIE not in client.cookies
    forged = attempt(client, "mona@example.org", PASSWORD, token=client.cookies.get("passerelle_login_csrf"))
    assert forged.status_code == 403  # the nonce alone is not a signed token


def test_too_many_failures_block_the_account_even_with_the_right_password(
        client: TestClient, db: Database, console_settings: Settings) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    add_account(db, "sam@example.org", ["mediator"])
    for _ in range(console_settings.console_login_max_failures):
        assert attempt(client, "mona@example.org", "guess").status_code == 401
    blocked = attempt(client, "mona@example.org", PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert SESSION_COOKIE not in client.cookies
    assert attempt(client, "sam@example.org", PASSWORD).status_code == 303  # another account is not blocked
    assert audit_actions(db)[-2:] == ["login_blocked", "login"]


def test_failures_from_one_address_are_limited_across_accounts(client: TestClient, db: Database, app) -> None:
    limited = app.state.console.settings.model_copy(update={"console_login_max_failures_per_ip": 4})
    app.state.console.settings = limited
    add_account(db, "mona@example.org", ["mediator"])
    for number in range(limited.console_login_max_failures_per_ip):
        assert attempt(client, f"guess{number}@example.org", "guess").status_code == 401
    assert attempt(client, "mona@example.org", PASSWORD).status_code == 429


def test_the_window_passes(client: TestClient, db: Database, console_settings: Settings) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    for _ in range(console_settings.console_login_max_failures):
        attempt(client, "mona@example.org", "guess")
    assert attempt(client, "mona@example.org", PASSWORD).status_code == 429
    with db.session() as session:
        session.execute(update(LoginFailure).values(
            at=LoginFailure.at - dt.timedelta(minutes=console_settings.console_login_window_minutes + 1)))
    assert attempt(client, "mona@example.org", PASSWORD).status_code == 303


def test_a_deactivated_account_or_an_expired_session_is_signed_out(client: TestClient, db: Database) -> None:
    mona = add_account(db, "mona@example.org", ["mediator"])
    sign_in(client, "mona@example.org")
    assert client.get("/console").status_code == 200
    with db.session() as session:
        session.execute(update(UserSession).values(expires_at=UserSession.created_at))
    assert client.get("/console", follow_redirects=False).status_code == 303
    sign_in(client, "mona@example.org")
    with db.session() as session:
        user = session.get(User, mona.user_id)
        assert user is not None
        user.active = False
    assert client.get("/console", follow_redirects=False).status_code == 303
    assert attempt(client, "mona@example.org", PASSWORD).status_code == 401


def test_after_sign_in_only_console_paths_are_followed(client: TestClient, db: Database) -> None:
    add_account(db, "mona@example.org", ["mediator"])
    for evil in ("https://evil.example/", "//evil.example/console", "/console\\..\\x", "/elsewhere"):
        client.cookies.clear()
        assert attempt(client, "mona@example.org", PASSWORD, next_url=evil).headers["location"] == "/console"
    client.cookies.clear()
    assert attempt(client, "mona@example.org", PASSWORD,
                   next_url="/console/recent").headers["location"] == "/console/recent"
