"""The content console in headless Chromium against the real stack: an editor changes an answer
(live feedback, try it), a second person publishes it, and the simulator answers with the new
text and version at once, with no restart. Also: a question nobody answered reaches Gaps.

Slow: starts Rasa (model trained once under var/test-console/, shared with the console's browser
tests), the action server and the web app on ports 8400-8449 / 5400-5449, with their own
database and a copy of the shipped index under var/test-editor/.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from channels.console.users import add_user
from channels.db import Database
from channels.editor.models import KbPublication
from channels.models import Message
from knowledge_base.build import ensure_index
from passerelle.settings import ROOT, Settings
from passerelle.stack import Stack
from tests.channels.console.conftest import PASSWORD
from tests.channels.console.test_console_browser import base, say
from tests.support.rasa_model import provide_rasa_model
from tests.support.triage_cache import copy_labelled_vectors

pytestmark = pytest.mark.slow

DATA = ROOT / "var" / "test-editor"
ENTRY = "carte-vitale-perdue-fr"
NEW_SMS = ("Carte perdue ou volée ? Appelez le 36 46 tout de suite. Puis commandez une carte neuve sur ameli. "
           "En attendant, montrez votre attestation de droits.")
QUESTION = "j'ai perdu ma carte vitale"
UNANSWERABLE = "comment regler le derailleur de mon velo"


@pytest.fixture(scope="module")
def stack() -> Iterator[Settings]:
    shutil.rmtree(DATA, ignore_errors=True)
    shared = Settings(data_dir=ROOT / "var" / "test-console", index_root=ROOT / "var" / "index")
    ensure_index(shared.content_dir, shared, progress=False)
    provide_rasa_model(shared)
    shutil.copytree(shared.index_dir, DATA / "index", ignore=shutil.ignore_patterns(".*"))
    # The models came with the copied snapshot, so nothing fills the cache at start-up: without it
    # the first answer after the publication waited ~50 s for triage to embed every labelled message.
    copy_labelled_vectors(shared.index_dir, DATA / "index")
    settings = Settings(data_dir=shared.data_dir, database_url=f"sqlite:///{DATA / 'passerelle.db'}",
                        index_root=DATA / "index", web_port=8400, rasa_url="http://127.0.0.1:5400", action_port=5405)
    db = Database(settings.effective_database_url)
    db.upgrade()
    with db.session() as session:
        add_user(session, settings, "eve@example.org", PASSWORD, ["editor"], name="Eve")
        add_user(session, settings, "rita@example.org", PASSWORD, ["reviewer"], name="Rita")
    with Stack(settings):
        yield settings


def sign_in(page: Page, settings: Settings, email: str) -> None:
    page.goto(f"{base(settings)}/console/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base(settings)}/console/content")  # editors land on their console


def test_edit_review_publish_and_the_simulator_answers_with_the_new_version(stack: Settings, page: Page,
                                                                            browser: Browser) -> None:
    before = "\n".join(say(stack, f"before-{uuid.uuid4().hex}", QUESTION))
    assert "Déclarez la perte ou le vol" in before and NEW_SMS not in before

    sign_in(page, stack, "eve@example.org")
    page.goto(f"{base(stack)}/console/content/entries/{ENTRY}")
    expect(page.get_by_role("heading", name="Modifier (langue : fr)")).to_be_visible()
    expect(page.locator(".variant h3")).to_contain_text("Lost, stolen")  # English beside French
    page.get_by_label("Réponse SMS").fill(NEW_SMS + " Respectez la posologie.")
    feedback = page.locator('ul.feedback[data-field="answer_sms"]')
    expect(feedback).to_contain_text("SMS (GSM-7)")
    expect(feedback).to_contain_text("« posologie » est un mot technique")
    page.get_by_label("Réponse SMS").fill(NEW_SMS)
    expect(feedback).not_to_contain_text("posologie")
    page.get_by_label("Message").fill("carte vitale volée")
    page.get_by_role("button", name="Essayer").click()
    expect(page.locator(".try-results")).to_contain_text("Avec cette modification")
    expect(page.locator(".try-results")).to_contain_text(ENTRY)
    page.screenshot(path=str(DATA / "content-editor.png"), full_page=True)
    page.get_by_label("Note de modification").fill("Plus court, le numéro d'abord")
    page.get_by_role("button", name="Enregistrer et envoyer en relecture").click()
    expect(page.locator("#notice")).to_contain_text("Envoyé en relecture")
    expect(page.get_by_role("button", name="Publier cette version")).to_have_count(0)  # an editor cannot

    reviewer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(reviewer, stack, "rita@example.org")
    reviewer.goto(f"{base(stack)}/console/content/entries/{ENTRY}")
    reviewer.get_by_role("link", name="Voir les changements par rapport à la version en ligne").click()
    expect(reviewer.locator(".diff-ins").first).to_contain_text("Appelez le 36 46 tout de suite")
    reviewer.go_back()
    reviewer.get_by_role("button", name="Publier cette version").click()
    expect(reviewer.locator("#notice")).to_contain_text("Publié")
    expect(reviewer.locator("#publication")).to_contain_text("L'assistant est à jour", timeout=120_000)

    sender = f"after-{uuid.uuid4().hex}"
    after = say(stack, sender, QUESTION)
    assert after[0] == NEW_SMS + "\nSource : https://www.ameli.fr/assure/remboursements/etre-bien-rembourse/carte-vitale"
    db = Database(stack.effective_database_url)
    with db.session() as session:
        cited = session.scalars(select(Message).where(Message.direction == "out", Message.body == after[0])).one()
        assert cited.meta["entry"] == {"id": ENTRY, "topic": "carte-vitale-perdue", "version": 2}
        built = session.scalars(select(KbPublication).order_by(KbPublication.id.desc())).first()
    # Figures, not asserts: how long the assistant took to follow (request to new snapshot in use).
    (DATA / "publication.json").write_text(json.dumps({
        "build_seconds": built.seconds, "entries": built.entries,
        "request_to_swap_seconds": round((built.finished_at - built.requested_at).total_seconds(), 2)}))

    say(stack, sender, UNANSWERABLE)
    page.goto(f"{base(stack)}/console/content/gaps")
    expect(page.locator('section[aria-labelledby="g-unanswered"]')).to_contain_text(UNANSWERABLE)
