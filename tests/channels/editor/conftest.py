"""Content console fixtures: a small knowledge base (three topics in French and English) with its
index built once per session, copied into each test's own data folder, and the real web app."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.console.auth import SignedIn
from channels.db import Database
from channels.editor.models import KbPublication, PublicationStatus
from knowledge_base.build import ensure_index
from passerelle.settings import ROOT, Settings
from passerelle.triage.service import Triage
from tests.channels.console import conftest as console_fixtures
from tests.channels.console.conftest import FAST_HASHES, add_account, sign_in
from tests.support.triage_cache import copy_labelled_vectors

# The console's own fixtures, run on `console_settings` below (the editor's settings).
db, app, client, new_client = console_fixtures.db, console_fixtures.app, console_fixtures.client, \
    console_fixtures.new_client
browser_type_launch_args = console_fixtures.browser_type_launch_args  # Debian's headless Chromium

TOPICS = ("carte-vitale-obtenir", "carte-vitale-perdue", "ameli-creer-compte")
ENTRY = "carte-vitale-perdue-fr"


@pytest.fixture(scope="session")
def small_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six shipped entries, copied as they are."""
    content = tmp_path_factory.mktemp("content")
    for language in ("fr", "en"):
        (content / language).mkdir()
        for topic in TOPICS:
            shutil.copy(ROOT / "knowledge_base" / "content" / language / f"{topic}.yaml", content / language)
    return content


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory, small_kb: Path, shipped_index_settings: Settings) -> Path:
    """The index of `small_kb`, built once, with triage's models trained on it once (the labelled
    messages' vectors come from the shipped index's cache). Without them every app a test starts
    trained its own in a warm-up thread that outlived the test: a dozen piled up on a fresh clone,
    and the tests after them ran at a fraction of their speed."""
    root = tmp_path_factory.mktemp("small-index")
    settings = Settings(content_dir=small_kb, index_root=root, data_dir=root)
    ensure_index(small_kb, settings, progress=False)
    copy_labelled_vectors(shipped_index_settings.index_dir, root)
    Triage(settings).prepare()
    return root


@pytest.fixture()
def editor_settings(tmp_path: Path, small_kb: Path, small_index: Path) -> Settings:
    """A fresh data folder whose index starts as a copy of the small knowledge base's; Rasa down."""
    shutil.copytree(small_index, tmp_path / "index")
    return Settings(data_dir=tmp_path / "var", content_dir=small_kb, index_root=tmp_path / "index",
                    rasa_url="http://127.0.0.1:9", action_port=9, console_poll_seconds=0.05, **FAST_HASHES)


@pytest.fixture()
def console_settings(editor_settings: Settings) -> Settings:
    """The console's fixtures (`db`, `app`, `client`, `new_client`) run on the editor's settings."""
    return editor_settings


@pytest.fixture()
def people(db: Database) -> dict[str, SignedIn]:
    """One account per role, and a second reviewer."""
    return {
        "eve": add_account(db, "eve@example.org", ["editor"], name="Eve"),
        "rita": add_account(db, "rita@example.org", ["reviewer"], name="Rita"),
        "ross": add_account(db, "ross@example.org", ["reviewer"], name="Ross"),
        "mona": add_account(db, "mona@example.org", ["mediator"], name="Mona"),
        "ada": add_account(db, "ada@example.org", ["admin"], name="Ada"),
    }


@pytest.fixture()
def as_person(client: TestClient, new_client: Callable[[], TestClient]) -> Callable[[str], tuple[TestClient, str]]:
    """A signed-in browser per person: (client, CSRF token)."""
    browsers: dict[str, tuple[TestClient, str]] = {}

    def signed(email: str) -> tuple[TestClient, str]:
        if email not in browsers:
            browser = new_client()
            browsers[email] = (browser, sign_in(browser, email))
        return browsers[email]

    return signed


def wait_for_publication(db: Database, timeout_s: float = 120) -> KbPublication:
    """The latest rebuild once it finished (the background thread does it within seconds)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with db.session() as session:
            row = session.query(KbPublication).order_by(KbPublication.id.desc()).first()
        if row is not None and row.status in (PublicationStatus.done.value, PublicationStatus.failed.value):
            return row
        time.sleep(0.1)
    raise AssertionError("no finished publication")
