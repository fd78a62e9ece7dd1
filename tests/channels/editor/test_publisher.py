"""Publishing rebuilds the index in the background: unchanged entries keep their vectors, searches
never fail during the swap, a failed build keeps the old index and says why, and a restart
(`make run`) keeps what editors published rather than the files' older text."""

from __future__ import annotations

import html
import shutil
import threading

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import update

from channels.console.auth import SignedIn
from channels.db import Database
from channels.editor import service
from channels.editor.models import KbPublication, KbVersion
from channels.editor.publisher import IndexPublisher, ensure_live_index, latest_publication, rebuild_index
from knowledge_base.build import ensure_index
from knowledge_base.embedders import get_embedder
from knowledge_base.index import current_snapshot_name
from knowledge_base.search import Searcher
from passerelle.settings import Settings
from tests.channels.editor.conftest import ENTRY

QUESTION = "j'ai perdu ma carte vitale"


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, settings: Settings) -> None:
        self.inner = get_embedder(settings.embedder, settings.embedder_model, settings.embedder_threads)
        self.name, self.dim, self.texts = self.inner.name, self.inner.dim, 0

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed_passages(texts)


def publish_text(db: Database, settings: Settings, people: dict[str, SignedIn], answer: str) -> None:
    service.save_draft(db, people["eve"], ENTRY, {"answer_sms": answer})
    service.submit(db, settings, people["eve"], ENTRY)
    service.publish(db, settings, people["rita"], ENTRY)


def test_a_publication_embeds_only_the_changed_entry(db: Database, editor_settings: Settings, people) -> None:
    service.seed_from_files(db, editor_settings)
    embedder = CountingEmbedder(editor_settings)
    publisher = IndexPublisher(editor_settings, db, embedder)
    publish_text(db, editor_settings, people, "Appelez le 36 46 pour bloquer la carte. Puis commandez-en une.")
    publisher.request("test", None)
    assert publisher.run_pending() and not publisher.run_pending()
    with db.session() as session:
        entry = service.entry_of(service.live_version(session, ENTRY))
    assert embedder.texts == len(entry.questions) + 2  # title, questions, SMS answer of one entry
    row = latest_publication(db)
    assert row is not None and (row.status, row.entries) == ("done", 6)


def test_searches_keep_answering_while_publications_swap_the_index(db: Database, editor_settings: Settings,
                                                                   people) -> None:
    service.seed_from_files(db, editor_settings)
    publisher = IndexPublisher(editor_settings, db, CountingEmbedder(editor_settings))
    searcher = Searcher(editor_settings)
    errors: list[BaseException] = []
    answers: list[str] = []
    stop = threading.Event()

    def keep_searching() -> None:  # what the action server does for every message
        while not stop.is_set():
            try:
                searcher.reload_if_changed()
                result = searcher.search(QUESTION, language="fr")
                assert result.answerable and result.entry is not None
                answers.append(result.entry.answer_sms)
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
                errors.append(exc)

    worker = threading.Thread(target=keep_searching)
    worker.start()
    try:
        for i in range(3):
            publish_text(db, editor_settings, people, f"Version {i} : appelez le 36 46 pour bloquer la carte.")
            publisher.request(f"publish {i}", None)
            publisher.run_pending()
    finally:
        stop.set()
        worker.join()
    assert errors == []
    assert len(answers) > 3 and len(set(answers)) >= 2  # answered throughout, and saw the swaps
    searcher.reload_if_changed()
    assert searcher.search(QUESTION, language="fr").entry.answer_sms.startswith("Version 2 :")


def test_a_failed_rebuild_keeps_the_old_index_and_tells_the_editor_why(client: TestClient, db: Database,
                                                                       editor_settings: Settings, people,
                                                                       as_person) -> None:
    eve, _ = as_person("eve@example.org")
    eve.get("/console/content")
    before = current_snapshot_name(editor_settings.index_dir)
    with db.session() as session:  # a row broken outside the console (by hand, a bad migration)
        session.execute(update(KbVersion).where(KbVersion.entry_id == ENTRY).values(data={"id": ENTRY}))
    publisher = IndexPublisher(editor_settings, db, CountingEmbedder(editor_settings))
    publisher.request("test", None)
    publisher.run_pending()
    row = latest_publication(db)
    assert row is not None and row.status == "failed" and "ValidationError" in (row.error or "")
    assert current_snapshot_name(editor_settings.index_dir) == before
    assert Searcher(editor_settings).search(QUESTION, language="fr").answerable
    page = html.unescape(eve.get("/console/content").text)
    assert "La mise à jour de l'assistant a échoué" in page and "il garde l'index précédent" in page


def test_a_restart_keeps_the_published_content_not_the_files(db: Database, editor_settings: Settings,
                                                             small_index, people) -> None:
    embedder = CountingEmbedder(editor_settings)
    assert not ensure_live_index(db, editor_settings, embedder)  # the files' index is the published content
    publish_text(db, editor_settings, people, "Appelez le 36 46 pour bloquer la carte. Puis commandez-en une.")
    assert ensure_live_index(db, editor_settings, embedder)
    assert not ensure_live_index(db, editor_settings, embedder)
    shutil.rmtree(editor_settings.index_dir)  # an index rebuilt from the files (an old deployment's)
    shutil.copytree(small_index, editor_settings.index_dir)
    assert ensure_live_index(db, editor_settings, embedder)
    found = Searcher(editor_settings).search(QUESTION, language="fr").entry
    assert found is not None and found.version == 2 and found.answer_sms.startswith("Appelez le 36 46")


def test_building_from_the_files_never_replaces_what_editors_published(db: Database, editor_settings: Settings,
                                                                       people) -> None:
    service.seed_from_files(db, editor_settings)
    publish_text(db, editor_settings, people, "Appelez le 36 46 pour bloquer la carte. Puis commandez-en une.")
    rebuild_index(db, editor_settings, CountingEmbedder(editor_settings))
    published = current_snapshot_name(editor_settings.index_dir)
    report = ensure_index(editor_settings.content_dir, editor_settings, progress=False)  # `passerelle kb build`
    assert not report.rebuilt and current_snapshot_name(editor_settings.index_dir) == published
    assert ensure_index(editor_settings.content_dir, editor_settings, force=True, progress=False).rebuilt


def test_changed_files_update_entries_nobody_edited_in_the_console(tmp_path, db: Database,
                                                                   editor_settings: Settings, people) -> None:
    content = tmp_path / "content"
    shutil.copytree(editor_settings.content_dir, content)
    settings = editor_settings.model_copy(update={"content_dir": content})
    assert service.seed_from_files(db, settings) == 6
    for topic in ("carte-vitale-perdue", "carte-vitale-obtenir"):
        path = content / "fr" / f"{topic}.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: Nouveau - ", 1), encoding="utf-8")
    service.save_draft(db, people["eve"], "carte-vitale-obtenir-fr", {"answer_long": "Texte de l'équipe locale."})
    assert service.seed_from_files(db, settings) == 1 and service.seed_from_files(db, settings) == 0
    with db.session() as session:
        updated = service.live_version(session, ENTRY)
        kept = service.live_version(session, "carte-vitale-obtenir-fr")
        assert updated is not None and (updated.number, updated.source) == (2, "files")
        assert updated.data["title"].startswith("Nouveau - ") and updated.data["version"] == 2
        assert kept is not None and not kept.data["title"].startswith("Nouveau")


def test_a_restarted_app_finishes_an_interrupted_publication(db: Database, editor_settings: Settings,
                                                             people) -> None:
    publisher = IndexPublisher(editor_settings, db, CountingEmbedder(editor_settings))
    assert not publisher.catch_up()  # index and published content agree
    publish_text(db, editor_settings, people, "Appelez le 36 46 pour bloquer la carte. Puis commandez-en une.")
    publisher.request("publish", None)
    with db.session() as session:  # the process died while building
        session.execute(update(KbPublication).values(status="running"))
    restarted = IndexPublisher(editor_settings, db, CountingEmbedder(editor_settings))
    assert restarted.catch_up() and restarted.run_pending()
    with db.session() as session:
        statuses = [row.status for row in session.query(KbPublication).order_by(KbPublication.id)]
    assert statuses == ["failed", "done"]
    assert Searcher(editor_settings).search(QUESTION, language="fr").entry.version == 2


def test_an_index_of_untouched_content_still_follows_the_files(tmp_path, db: Database,
                                                              editor_settings: Settings) -> None:
    settings = editor_settings.model_copy(update={"content_dir": tmp_path / "content"})
    shutil.copytree(editor_settings.content_dir, settings.content_dir)
    service.seed_from_files(db, settings)
    rebuild_index(db, settings, CountingEmbedder(settings))  # nobody edited: the same as the files
    path = settings.content_dir / "fr" / "carte-vitale-perdue.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: Nouveau - ", 1), encoding="utf-8")
    assert ensure_index(settings.content_dir, settings, progress=False).rebuilt
