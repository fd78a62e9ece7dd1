"""Rebuilding the search index from the published versions, in the background, one build at a time.

Publishing only records a request (`KbPublication`, pending) and wakes a thread; the thread
takes every pending request at once (ten quick publications make one build), builds a new
snapshot beside the one in use, reusing the vectors of every unchanged entry, and swaps
`CURRENT`. The action server checks `CURRENT` before each search, so the next answer uses the
new snapshot, and searches running meanwhile finish on the old one. If the build fails the
old snapshot stays in use and the request records why, for the editor to see.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import select, update

from channels.db import Database
from channels.editor.models import KbPublication, PublicationStatus
from channels.editor.service import edited_in_console, published_entries, seed_from_files
from channels.models import utcnow
from channels.polling_loop import PollingLoop
from knowledge_base.embedders import Embedder, get_embedder
from knowledge_base.index import IndexSnapshot, build_index, load_snapshot, read_meta
from knowledge_base.loader import content_hash
from passerelle.settings import Settings

log = logging.getLogger(__name__)
POLL_S = 5.0  # also picks up requests made by another process (the CLI, a second web app)
ERROR_CHARS = 500


@dataclass(frozen=True)
class Built:
    """What one rebuild produced."""

    snapshot: str
    entries: int
    seconds: float


def _previous(settings: Settings) -> IndexSnapshot | None:
    try:
        return load_snapshot(settings.index_dir)
    except (OSError, RuntimeError, ValueError):
        return None


def rebuild_index(db: Database, settings: Settings, embedder: Embedder) -> Built:
    """A new snapshot of the published versions, made current; the old one serves until the swap."""
    started = time.perf_counter()
    with db.session() as session:
        entries = published_entries(session)
        # "editors" tells `passerelle kb build` not to replace this index with the files' content.
        source = "editors" if edited_in_console(session) else "files"
    path = build_index(entries, embedder, settings.index_dir, exact_max=settings.exact_index_max_vectors,
                       reuse=_previous(settings), source=source)
    return Built(snapshot=path.name, entries=len(entries), seconds=round(time.perf_counter() - started, 2))


def ensure_live_index(db: Database, settings: Settings, embedder: Embedder | None = None) -> bool:
    """`make run`: import new shipped entries, and rebuild the index if it is not the published content.

    Returns whether it rebuilt. Once editors publish, the database, not the files, is what the
    assistant answers with, so a restart must never bring the files' older text back.
    """
    seed_from_files(db, settings)
    with db.session() as session:
        digest = content_hash(published_entries(session))
    embedder = embedder or get_embedder(settings.embedder, settings.embedder_model, settings.embedder_threads)
    meta = read_meta(settings.index_dir)
    if meta is not None and meta.get("content_hash") == digest and meta.get("embedder") == embedder.name:
        return False
    rebuild_index(db, settings, embedder)
    return True


def latest_publication(db: Database) -> KbPublication | None:
    """The most recent rebuild request and its outcome."""
    with db.session() as session:
        return session.scalar(select(KbPublication).order_by(KbPublication.id.desc()).limit(1))


class IndexPublisher:
    """The web app's background rebuilder."""

    def __init__(self, settings: Settings, db: Database, embedder: Embedder | None = None) -> None:
        self.settings, self.db = settings, db
        self._embedder = embedder
        self._loop = PollingLoop("kb-publisher", self.run_pending, POLL_S, log, first=self.catch_up)

    @property
    def embedder(self) -> Embedder:
        """The web app's embedder when it has one, else loaded on first build."""
        if self._embedder is None:
            s = self.settings
            self._embedder = get_embedder(s.embedder, s.embedder_model, s.embedder_threads)
        return self._embedder

    def request(self, reason: str, actor_id: str | None) -> int:
        """Ask for a rebuild (after a publication, a rollback, a withdrawal); returns the request id."""
        with self.db.session() as session:
            row = KbPublication(reason=reason[:200], requested_by=actor_id)
            session.add(row)
            session.flush()
            request_id = row.id
        self._loop.wake()
        return request_id

    def catch_up(self) -> bool:
        """At start: finish what a stopped process left (a build cut short, a request never built).

        Builds marked running are marked failed; then, if the index in use is not the published
        content, a rebuild is requested. Returns whether it requested one.
        """
        meta = read_meta(self.settings.index_dir)
        if meta is None:  # no index at all: `passerelle kb build` / `make run` make the first one
            return False
        seed_from_files(self.db, self.settings)
        with self.db.session() as session:
            session.execute(update(KbPublication).where(KbPublication.status == PublicationStatus.running.value)
                            .values(status=PublicationStatus.failed.value, finished_at=utcnow(),
                                    error="interrupted: the web app stopped during the build"))
            digest = content_hash(published_entries(session))
        if meta.get("content_hash") == digest:
            return False
        self.request("catch up after a restart", None)
        return True

    def run_pending(self) -> bool:
        """Build once for every pending request; False when there was none (or another process took them)."""
        with self.db.session() as session:
            ids = list(session.scalars(select(KbPublication.id).where(
                KbPublication.status == PublicationStatus.pending.value)))
            if not ids:
                return False
            taken = session.execute(update(KbPublication).where(
                KbPublication.id.in_(ids), KbPublication.status == PublicationStatus.pending.value)
                .values(status=PublicationStatus.running.value))
            if taken.rowcount != len(ids):  # type: ignore[attr-defined]
                session.rollback()
                return False
        values: dict[str, object]
        try:
            built = rebuild_index(self.db, self.settings, self.embedder)
            values = {"status": PublicationStatus.done.value, "snapshot": built.snapshot, "entries": built.entries,
                      "seconds": built.seconds}
            log.info("index rebuilt for %d request(s): %d entries in %.1f s", len(ids), built.entries, built.seconds)
        except Exception as exc:  # noqa: BLE001 - any failure keeps the old index and is shown to the editor
            log.exception("index rebuild failed; the previous index stays in use")
            values = {"status": PublicationStatus.failed.value, "error": f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]}
        with self.db.session() as session:
            session.execute(update(KbPublication).where(KbPublication.id.in_(ids))
                            .values(finished_at=utcnow(), **values))
        return True

    def start(self) -> None:
        """Start the background thread (the app's lifespan); it first catches up (`catch_up`)."""
        self._loop.start()

    def stop(self) -> None:
        """Stop the thread after the build in progress."""
        self._loop.stop(timeout_s=120)
