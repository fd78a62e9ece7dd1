"""Every workflow step and permission through the web app: draft, review, publish (four eyes),
changes requested, withdrawal, rollback, diff, the re-review list, and the index that follows."""

from __future__ import annotations

import datetime as dt
import re
import threading

from fastapi.testclient import TestClient
from sqlalchemy import select

from channels.console.auth import SignedIn
from channels.console.models import AuditEntry
from channels.db import Database
from channels.editor import service
from channels.editor.models import KbVersion
from knowledge_base.search import Searcher
from passerelle.settings import Settings
from tests.channels.editor.conftest import ENTRY, wait_for_publication

NEW_SMS = ("Carte Vitale perdue ? Appelez le 36 46 ou allez sur votre compte ameli. "
           "Commandez une nouvelle carte. En attendant, montrez votre attestation de droits.")
QUESTION = "j'ai perdu ma carte vitale"


def page(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.text


def edit(client: TestClient, token: str, action: str = "save", entry: str = ENTRY, **fields: str) -> object:
    return client.post(f"/console/content/entries/{entry}/{action}", data={"csrf_token": token, **fields},
                       follow_redirects=False)


def versions(db: Database, entry: str = ENTRY) -> list[KbVersion]:
    with db.session() as session:
        return list(reversed(service.versions_of(session, entry)))


def test_shipped_entries_are_imported_once_as_published_versions(client: TestClient, db: Database,
                                                                 editor_settings: Settings,
                                                                 people: dict[str, SignedIn], as_person) -> None:
    browser, _ = as_person("eve@example.org")
    assert "Carte Vitale perdue" in page(browser, "/console/content")
    assert service.seed_from_files(db, editor_settings) == 0  # idempotent
    (only,) = versions(db)
    assert (only.number, only.status, only.source) == (1, "published", "files")


def test_edit_submit_publish_by_another_reviewer_and_the_assistant_follows(
        client: TestClient, db: Database, editor_settings: Settings, people: dict[str, SignedIn], as_person) -> None:
    eve, eve_token = as_person("eve@example.org")
    page(eve, "/console/content")
    saved = edit(eve, eve_token, answer_sms=NEW_SMS, change_note="plus court")
    assert saved.status_code == 303 and saved.headers["location"].endswith("notice=saved")
    submitted = edit(eve, eve_token, "submit")
    assert submitted.status_code == 303, submitted.text
    assert [v.status for v in versions(db)] == ["published", "in_review"]
    to_review = page(eve, "/console/content?state=in_review")
    assert ENTRY in to_review and "carte-vitale-perdue-en" not in to_review

    # An editor may not publish at all; a mediator may not even see the page.
    assert edit(eve, eve_token, "publish").status_code == 403
    mona, mona_token = as_person("mona@example.org")
    assert mona.get(f"/console/content/entries/{ENTRY}").status_code == 403
    assert edit(mona, mona_token, "publish").status_code == 403

    rita, rita_token = as_person("rita@example.org")
    assert "Publier cette version" in page(rita, f"/console/content/entries/{ENTRY}")
    published = edit(rita, rita_token, "publish")
    assert published.status_code == 303 and published.headers["location"].endswith("notice=published")
    old, new = versions(db)
    assert (old.status, new.status) == ("archived", "published")
    assert new.author_id == people["eve"].user_id and new.reviewer_id == people["rita"].user_id
    assert new.change_note == "plus court" and new.published_at and old.archived_at
    entry = service.entry_of(new)
    assert (entry.version, entry.reviewed_by, entry.reviewed_on) == (2, "Rita", dt.date.today())

    publication = wait_for_publication(db)
    assert publication.status == "done", publication.error
    found = Searcher(editor_settings).search(QUESTION, language="fr")
    assert found.entry is not None and found.entry.answer_sms == NEW_SMS and found.entry.version == 2
    with db.session() as session:
        audit = [(a.actor_id, a.action, a.details) for a in session.scalars(select(AuditEntry).where(
            AuditEntry.action.like("kb_%")).order_by(AuditEntry.id))]
    assert audit == [(people["eve"].user_id, "kb_save", {"entry": ENTRY, "version": 2}),
                     (people["eve"].user_id, "kb_submit", {"entry": ENTRY, "version": 2}),
                     (people["rita"].user_id, "kb_publish", {"entry": ENTRY, "version": 2})]


def test_a_reviewer_cannot_publish_their_own_change(client: TestClient, db: Database, people: dict[str, SignedIn],
                                                    as_person) -> None:
    rita, token = as_person("rita@example.org")
    assert edit(rita, token, "submit", answer_sms=NEW_SMS).status_code == 303
    refused = edit(rita, token, "publish")
    assert refused.status_code == 403 and "une autre personne doit la relire" in refused.text
    admin, admin_token = as_person("ada@example.org")  # admins may do everything, but still not alone
    assert edit(admin, admin_token, "save", title="Carte Vitale perdue ou volée").status_code == 303
    assert edit(admin, admin_token, "submit").status_code == 303
    assert edit(admin, admin_token, "publish").status_code == 403
    ross, ross_token = as_person("ross@example.org")
    assert edit(ross, ross_token, "publish").status_code == 303
    assert versions(db)[-1].contributors == [people["rita"].user_id, people["ada"].user_id]


def test_changes_requested_go_back_to_the_author_with_the_comment(client: TestClient, db: Database, people,
                                                                   as_person) -> None:
    eve, eve_token = as_person("eve@example.org")
    edit(eve, eve_token, "submit", answer_sms=NEW_SMS)
    rita, rita_token = as_person("rita@example.org")
    assert edit(rita, rita_token, "changes", comment="").status_code == 422
    assert edit(rita, rita_token, "changes", comment="Ajoutez le délai.").status_code == 303
    latest = versions(db)[-1]
    assert (latest.status, latest.review_comment) == ("draft", "Ajoutez le délai.")
    assert "Ajoutez le délai." in page(eve, f"/console/content/entries/{ENTRY}")
    assert edit(rita, rita_token, "publish").status_code == 409  # nothing in review any more
    assert edit(eve, eve_token, "submit").status_code == 303


def test_rule_breaking_versions_cannot_go_to_review(client: TestClient, db: Database, people, as_person) -> None:
    eve, token = as_person("eve@example.org")
    refused = edit(eve, token, "submit", sources="https://www.doctissimo.fr/carte")
    assert refused.status_code == 422
    assert "not an https page on an allowed domain" in refused.text
    assert versions(db)[-1].status == "draft"  # saved, but not sent
    broken = edit(eve, token, "save", answer_sms="")
    assert broken.status_code == 422 and "Réponse SMS" in broken.text


def test_rollback_by_a_reviewer_is_live_at_once_and_by_an_editor_goes_to_review(
        client: TestClient, db: Database, editor_settings: Settings, people, as_person) -> None:
    eve, eve_token = as_person("eve@example.org")
    rita, rita_token = as_person("rita@example.org")
    edit(eve, eve_token, "submit", answer_sms=NEW_SMS)
    edit(rita, rita_token, "publish")
    wait_for_publication(db)

    rolled = rita.post(f"/console/content/entries/{ENTRY}/rollback", data={"csrf_token": rita_token, "number": 1},
                       follow_redirects=False)
    assert rolled.headers["location"].endswith("notice=rolled_back_live")
    first, second, third = versions(db)
    assert (second.status, third.status, third.rolled_back_from) == ("archived", "published", 1)
    assert service.entry_of(third).answer_sms == service.entry_of(first).answer_sms
    assert wait_for_publication(db).status == "done"
    found = Searcher(editor_settings).search(QUESTION, language="fr")
    assert found.entry is not None and found.entry.version == 3 and found.entry.answer_sms != NEW_SMS

    by_editor = eve.post(f"/console/content/entries/{ENTRY}/rollback", data={"csrf_token": eve_token, "number": 2},
                         follow_redirects=False)
    assert by_editor.headers["location"].endswith("notice=rolled_back")
    assert versions(db)[-1].status == "in_review"
    again = eve.post(f"/console/content/entries/{ENTRY}/rollback", data={"csrf_token": eve_token, "number": 2},
                     follow_redirects=False)
    assert again.status_code == 409  # one open version at a time


def test_withdrawal_takes_the_entry_out_of_the_assistant(client: TestClient, db: Database,
                                                         editor_settings: Settings, people, as_person) -> None:
    eve, eve_token = as_person("eve@example.org")
    assert edit(eve, eve_token, "withdraw").status_code == 403
    rita, rita_token = as_person("rita@example.org")
    assert edit(rita, rita_token, "withdraw", note="obsolète").status_code == 303
    assert wait_for_publication(db).status == "done"
    searcher = Searcher(editor_settings)
    assert ENTRY not in {e.id for e in searcher.snapshot.entries}
    assert "carte-vitale-perdue-en" in {e.id for e in searcher.snapshot.entries}


def test_diff_between_two_versions_shows_removed_and_added_lines(client: TestClient, db: Database, people,
                                                                  as_person) -> None:
    eve, token = as_person("eve@example.org")
    edit(eve, token, answer_sms=NEW_SMS, questions="carte vitale perdue\nj'ai perdu ma carte")
    html = page(eve, f"/console/content/entries/{ENTRY}/diff?a=1&b=2")
    assert re.search(r'class="diff-ins"><ins>.*Appelez le 36 46', html)
    assert "diff-del" in html and "j ai perdu ma carte vitale je fais quoi" in html
    assert "Titre" not in html  # unchanged fields are left out
    assert eve.get(f"/console/content/entries/{ENTRY}/diff?a=1&b=9").status_code == 404


def test_the_re_review_list_holds_entries_due_this_month(client: TestClient, db: Database,
                                                         editor_settings: Settings) -> None:
    service.seed_from_files(db, editor_settings)
    today = dt.date(2027, 11, 3)
    with db.session() as session:
        due = service.due_for_review(session, today)
        assert {row.id for row in due} >= {ENTRY}  # shipped with review_due 2027-11-20
        assert all(not row.overdue for row in due)
        assert service.due_for_review(session, dt.date(2027, 10, 31)) == []
        assert all(row.overdue for row in service.due_for_review(session, dt.date(2027, 12, 1)))


def test_content_pages_need_the_content_permission_and_a_csrf_token(client: TestClient, people, as_person) -> None:
    mona, mona_token = as_person("mona@example.org")
    for path in ("/console/content", "/console/content/gaps", "/console/content/import", "/console/content/due"):
        assert mona.get(path).status_code == 403
    eve, eve_token = as_person("eve@example.org")
    assert eve.get("/console", follow_redirects=False).headers["location"] == "/console/content"
    assert edit(eve, "not-the-token", answer_sms=NEW_SMS).status_code == 403
    stranger = client.get("/console/content", follow_redirects=False)
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/console/login")


def test_a_new_entry_starts_as_a_draft_of_its_author(client: TestClient, db: Database, people, as_person) -> None:
    eve, token = as_person("eve@example.org")
    created = eve.post("/console/content/new", data={
        "csrf_token": token, "topic": "vaccin-grippe", "language": "fr", "kind": "health", "title": "Vaccin grippe",
        "questions": "vaccin grippe gratuit ?", "answer_sms": "Le vaccin est gratuit après 65 ans.",
        "answer_long": "Le vaccin contre la grippe est gratuit après 65 ans.",
        "sources": "https://www.ameli.fr/assure/sante/themes/grippe"}, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"].endswith("vaccin-grippe-fr?notice=created")
    with db.session() as session:
        (draft,) = session.scalars(select(KbVersion).where(KbVersion.entry_id == "vaccin-grippe-fr")).all()
    assert (draft.status, draft.author_id) == ("draft", people["eve"].user_id)
    again = eve.post("/console/content/new", data={"csrf_token": token, "topic": "vaccin-grippe", "language": "fr",
                                                   "title": "x", "answer_sms": "x", "answer_long": "x"})
    assert again.status_code == 409


def test_people_saving_the_same_entry_at_once_share_one_draft(db: Database, editor_settings: Settings,
                                                              people) -> None:
    service.seed_from_files(db, editor_settings)
    errors: list[BaseException] = []

    def save(i: int) -> None:
        try:
            service.save_draft(db, people["eve" if i % 2 else "rita"], ENTRY, {"title": f"Carte Vitale perdue {i}"})
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [(v.number, v.status) for v in versions(db)] == [(1, "published"), (2, "draft")]
    assert set(versions(db)[-1].contributors) == {people["eve"].user_id, people["rita"].user_id}


def test_a_missing_language_starts_from_the_entrys_text(client: TestClient, db: Database, people, as_person) -> None:
    eve, token = as_person("eve@example.org")
    entry_page = page(eve, f"/console/content/entries/{ENTRY}")
    assert f"/console/content/new?translate={ENTRY}&amp;language=es" in entry_page
    assert "language=en" not in entry_page  # English exists: shown beside, not offered
    form = page(eve, f"/console/content/new?translate={ENTRY}&language=es")
    assert 'value="carte-vitale-perdue"' in form and '<option value="es" selected>' in form
    assert "Carte Vitale perdue, volée ou abîmée" in form
    created = eve.post("/console/content/new", data={
        "csrf_token": token, "topic": "carte-vitale-perdue", "language": "es", "kind": "service",
        "title": "Tarjeta Vitale perdida", "answer_sms": "Llame al 36 46.", "answer_long": "Llame al 36 46.",
        "sources": "https://www.ameli.fr/assure/remboursements/etre-bien-rembourse/carte-vitale"},
        follow_redirects=False)
    assert created.headers["location"].endswith("/carte-vitale-perdue-es?notice=created")
    assert "Tarjeta Vitale perdida" in page(eve, f"/console/content/entries/{ENTRY}?beside=es")
