"""Console fixtures: the real web app (Rasa down unless a test starts the stack), accounts, signing in,
and Playwright's launch arguments for Debian's headless Chromium."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels.app import create_app
from channels.console.auth import SignedIn
from channels.console.models import User
from channels.console.users import add_user
from channels.db import Database
from channels.gateway import Gateway, Inbound
from channels.models import Message
from passerelle.settings import Settings

PASSWORD = "correct horse battery staple"
# Cheap argon2 parameters: hashing is a third of a second with the production ones.
FAST_HASHES = {"console_password_time_cost": 1, "console_password_memory_kib": 1024}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HTML = {"accept": "text/html"}
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's chromium (scripts/system-deps.sh), since Playwright cannot download a browser here."""
    return {**browser_type_launch_args, "executable_path": shutil.which("chromium"), "args": CHROMIUM_ARGS}


@pytest.fixture()
def console_settings(tmp_path: Path) -> Settings:
    """A fresh data folder without an index (search and triage off: the app starts in a blink),
    Rasa down (nothing listens on the discard port)."""
    return Settings(data_dir=tmp_path / "var", rasa_url="http://127.0.0.1:9", action_port=9,
                    console_poll_seconds=0.05, **FAST_HASHES)


@pytest.fixture()
def db(console_settings: Settings) -> Database:
    """The database the app of `console_settings` uses (the same SQLite file)."""
    database = Database(console_settings.effective_database_url)
    database.upgrade()
    return database


@pytest.fixture()
def gateway(console_settings: Settings, db: Database) -> Gateway:
    """The real gateway without Rasa, search or triage: enough to bring people in and hold them."""
    return Gateway(console_settings, db, rasa=None)


@pytest.fixture()
def app(console_settings: Settings, db: Database) -> FastAPI:
    """The whole web app, as `uvicorn --factory channels.app:create_app` builds it."""
    return create_app(console_settings)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    """A browser-like client (asks for HTML) with the app's background threads running."""
    with TestClient(app, headers=HTML) as test_client:
        yield test_client


def add_account(db: Database, email: str, roles: list[str], name: str | None = None) -> SignedIn:
    """Create an account; returns it as the service sees a signed-in person."""
    with db.session() as session:
        user = add_user(session, Settings(**FAST_HASHES), email, PASSWORD, roles, name=name)
        return as_signed_in(user)


def as_signed_in(user: User) -> SignedIn:
    """The `SignedIn` of an account (no session needed for calling the service directly)."""
    return SignedIn(user_id=user.id, email=user.email, name=user.name, roles=tuple(user.roles), csrf_token="",
                    ui_language=user.ui_language)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token, read from a page."""
    form = client.get("/console/login")
    token = CSRF.search(form.text)
    assert token, form.text
    response = client.post("/console/login", data={"email": email, "password": password,
                                                   "csrf_token": token.group(1), "next": "/console"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get("/console/recent")  # any page with the sign-out form (403 pages have it too)
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


@pytest.fixture()
def new_client(app: FastAPI) -> Callable[[], TestClient]:
    """Another browser (its own cookies) on the same app, for a second person."""
    made: list[TestClient] = []

    def make() -> TestClient:
        made.append(TestClient(app, headers=HTML))
        return made[-1]

    return make


def bring_in(gateway: Gateway, address: str, text: str, channel: str = "web") -> str:
    """A message arriving on `channel`, stored and processed by the real gateway; returns the conversation id."""
    message_id, _ = gateway.receive(Inbound(channel=channel, address=address, body=text))
    gateway.process(message_id)
    with gateway.db.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.conversation_id
