"""The editorial workflow: draft -> in review -> published -> archived, with four eyes.

Plain Python over the database (no web framework): the router, the CLI and the tests call the
same functions. Each entry has at most one open version (a draft or one in review) at a time,
and at most one published version, which is what the assistant answers with.

- Anyone who may edit content saves drafts and submits them; everyone who saved a version is
  one of its contributors.
- A reviewer who is not a contributor publishes it (or sends it back with a comment); the
  published version before it is archived. Publishing sets the reviewer, the review date and,
  when it is empty or past, the next review date.
- Rollback creates a new version equal to an old one. If a reviewer rolls back to a version that
  was published before, the new version is published at once: its content already passed four
  eyes, and a bad answer must be withdrawn in one click. Anyone else's rollback goes to review.
- Withdrawing archives the published version: the assistant stops answering with the entry.
"""

from __future__ import annotations

import datetime as dt
import difflib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from channels.console.audit import AuditAction, record
from channels.console.auth import SignedIn
from channels.console.permissions import Permission
from channels.console.service import Refused
from channels.console.users import names_of
from channels.db import Database
from channels.editor.models import KbEntry, KbVersion
from channels.models import utcnow
from knowledge_base.content_rules import check_entry, load_topics
from knowledge_base.loader import ContentProblem, load_entries
from knowledge_base.schema import Entry, Status
from passerelle.settings import Settings

OPEN = (Status.draft.value, Status.in_review.value)
LIST_FIELDS = ("questions", "sources", "claims", "urgency_categories", "emergency_numbers")
TEXT_FIELDS = ("title", "answer_sms", "answer_long", "kind", "verdict", "review_due")
DIFF_FIELDS = ("title", "kind", "questions", "answer_sms", "answer_long", "sources", "claims", "verdict",
               "urgency_categories", "emergency_numbers", "review_due", "machine_assisted")


class Invalid(Exception):
    """A version that does not meet the schema or the content rules; one problem per field."""

    def __init__(self, problems: list[ContentProblem], draft: dict[str, Any] | None = None) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
        self.draft = draft or {}


@dataclass(frozen=True)
class VersionView:
    """A version with its entry and the names of the people behind it."""

    row: KbVersion
    entry: Entry
    author: str
    reviewer: str


@dataclass(frozen=True)
class EntryRow:
    """One line of the entries list."""

    id: str
    topic: str
    language: str
    title: str
    live: int | None  # published version number
    open_status: str | None  # draft | in_review
    open_number: int | None
    review_due: dt.date | None


@dataclass(frozen=True)
class FieldDiff:
    """How one field changed between two versions: lines tagged " ", "-" or "+"."""

    field: str
    lines: list[tuple[str, str]]


def _require(actor: SignedIn, permission: Permission) -> None:
    if not actor.can(permission):
        raise Refused("problem_forbidden", status=403)


def entry_of(version: KbVersion) -> Entry:
    """The knowledge-base entry a version holds."""
    return Entry.model_validate(version.data)


# -- reading -------------------------------------------------------------------------------


def versions_of(session: Session, entry_id: str) -> list[KbVersion]:
    """Every version of an entry, newest first."""
    return list(session.scalars(select(KbVersion).where(KbVersion.entry_id == entry_id)
                                .order_by(KbVersion.number.desc())))


def _one(session: Session, entry_id: str, statuses: Iterable[str]) -> KbVersion | None:
    return session.scalar(select(KbVersion).where(KbVersion.entry_id == entry_id, KbVersion.status.in_(statuses))
                          .order_by(KbVersion.number.desc()).limit(1))


def open_version(session: Session, entry_id: str) -> KbVersion | None:
    """The draft or the version in review, if any."""
    return _one(session, entry_id, OPEN)


def live_version(session: Session, entry_id: str) -> KbVersion | None:
    """The published version, if any."""
    return _one(session, entry_id, (Status.published.value,))


def version(session: Session, entry_id: str, number: int) -> KbVersion:
    """One version, or a 404 refusal."""
    found = session.scalar(select(KbVersion).where(KbVersion.entry_id == entry_id, KbVersion.number == number))
    if found is None:
        raise Refused("problem_entry_not_found", status=404)
    return found


def view(session: Session, rows: list[KbVersion]) -> list[VersionView]:
    """Versions with their entries and people's names (imported versions name their file reviewer)."""
    names = names_of(session, {r.author_id for r in rows if r.author_id} | {r.reviewer_id for r in rows
                                                                           if r.reviewer_id})
    views = []
    for row in rows:
        entry = entry_of(row)
        author = names.get(row.author_id, "") if row.author_id else ""
        # Versions from the files name their reviewer in the file itself.
        reviewer = names.get(row.reviewer_id, "") if row.reviewer_id else \
            (entry.reviewed_by or "") if row.source == "files" else ""
        views.append(VersionView(row=row, entry=entry, author=author, reviewer=reviewer))
    return views


def published_entries(session: Session) -> list[Entry]:
    """What the assistant answers with: the published version of every entry."""
    return [entry_of(v) for v in session.scalars(select(KbVersion).where(KbVersion.status == Status.published.value)
                                                 .order_by(KbVersion.entry_id))]


def edited_in_console(session: Session) -> bool:
    """Whether any published version came from the console rather than the files."""
    edited = session.scalar(select(func.count()).select_from(KbVersion).where(
        KbVersion.status == Status.published.value, KbVersion.source != "files"))
    return bool(edited)


def list_entries(session: Session, query: str = "", language: str = "", state: str = "") -> list[EntryRow]:
    """Entries with their live and open versions, filtered by text, language and state."""
    rows: dict[str, dict[str, KbVersion]] = {}
    for v in session.scalars(select(KbVersion).where(KbVersion.status.in_((*OPEN, Status.published.value)))):
        slot = "live" if v.status == Status.published.value else "open"
        rows.setdefault(v.entry_id, {})[slot] = v
    latest = dict(session.execute(select(KbVersion.entry_id, func.max(KbVersion.number))
                                  .group_by(KbVersion.entry_id)).all())
    needle = query.strip().lower()
    result = []
    for entry in session.scalars(select(KbEntry).order_by(KbEntry.topic, KbEntry.language)):
        found = rows.get(entry.id, {})
        shown = found.get("open") or found.get("live")
        if shown is None:  # withdrawn: its latest version
            shown = version(session, entry.id, latest[entry.id])
        data = shown.data
        live = found.get("live")
        row = EntryRow(id=entry.id, topic=entry.topic, language=entry.language, title=str(data.get("title", "")),
                       live=live.number if live else None,
                       open_status=found["open"].status if "open" in found else None,
                       open_number=found["open"].number if "open" in found else None,
                       review_due=_date(live.data.get("review_due")) if live else None)
        if language and row.language != language:
            continue
        if state == "open" and row.open_status is None or state == "in_review" and row.open_status != "in_review":
            continue
        if state == "withdrawn" and row.live is not None:
            continue
        if needle and needle not in f"{row.id} {row.title}".lower():
            continue
        result.append(row)
    return result


@dataclass(frozen=True)
class DueRow:
    """A published entry whose review is due."""

    id: str
    title: str
    review_due: dt.date | None
    reviewed_by: str | None
    reviewed_on: dt.date | None
    overdue: bool


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def due_for_review(session: Session, today: dt.date) -> list[DueRow]:
    """Published entries whose review is due by the end of this month (or has no date), oldest first."""
    month_end = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    due = []
    for row in session.scalars(select(KbVersion).where(KbVersion.status == Status.published.value)):
        data = row.data or {}
        when = _date(data.get("review_due"))
        if when is None or when <= month_end:
            due.append(DueRow(id=row.entry_id, title=str(data.get("title", "")), review_due=when,
                              reviewed_by=data.get("reviewed_by"), reviewed_on=_date(data.get("reviewed_on")),
                              overdue=when is None or when < today))
    return sorted(due, key=lambda r: (r.review_due or dt.date.min, r.id))


def variants_of(session: Session, topic: str) -> list[Entry]:
    """The other language versions of a topic (their open version if any, else the live one)."""
    entries = []
    # French and English first: the languages every topic is written in, the others translate them.
    rows = sorted(session.scalars(select(KbEntry).where(KbEntry.topic == topic)),
                  key=lambda e: (e.language not in ("fr", "en"), e.language))
    for entry in rows:
        shown = open_version(session, entry.id) or live_version(session, entry.id)
        if shown is not None:
            entries.append(entry_of(shown))
    return entries


def other_questions(session: Session, topic: str, language: str) -> list[tuple[str, str]]:
    """(entry id, question) of every other topic's current text in `language`, to spot duplicates."""
    rows = session.scalars(select(KbVersion).join(KbEntry, KbEntry.id == KbVersion.entry_id).where(
        KbEntry.language == language, KbEntry.topic != topic,
        KbVersion.status.in_((*OPEN, Status.published.value))))
    return [(row.entry_id, str(q)) for row in rows for q in row.data.get("questions") or []]


# -- the shipped files ---------------------------------------------------------------------

_seed_lock = threading.Lock()


def seed_from_files(db: Database, settings: Settings) -> int:
    """Bring the content files into the database; returns how many versions it added.

    Run on first use of the console and by `make run`; idempotent. An entry new in the files is
    added. An entry whose file changed is updated only if nobody has edited it in the console
    (all its versions came from the files): the files stay the project's reviewable source, but
    once editors own an entry a newer file never overwrites their work.
    """
    with _seed_lock, db.session() as session:
        entries, _problems = load_entries(settings.content_dir)
        added = 0
        for entry in entries:
            rows = versions_of(session, entry.id)
            if any(row.source != "files" for row in rows):
                continue
            data = entry.model_dump(mode="json")
            if rows and {**rows[0].data, "version": None} == {**data, "version": None}:
                continue
            if not rows:
                session.add(KbEntry(id=entry.id, topic=entry.topic, language=entry.language))
                session.flush()
            number = max(entry.version, rows[0].number + 1) if rows else entry.version
            now = utcnow()
            if entry.is_live:
                session.execute(update(KbVersion).where(KbVersion.entry_id == entry.id,
                                                        KbVersion.status == Status.published.value)
                                .values(status=Status.archived.value, archived_at=now))
            session.add(KbVersion(entry_id=entry.id, number=number, status=entry.status.value,
                                  data={**data, "version": number}, change_note="", source="files",
                                  contributors=[], created_at=now, updated_at=now,
                                  published_at=now if entry.is_live else None))
            session.flush()
            added += 1
        return added


# -- rules ---------------------------------------------------------------------------------


def rule_problems(entry: Entry, settings: Settings, today: dt.date | None = None) -> list[ContentProblem]:
    """The content rules of `passerelle kb validate` for one entry (a new topic is allowed)."""
    topics = load_topics(settings.topics_file)
    if entry.topic not in topics:
        topics[entry.topic] = {"id": entry.topic, "kind": entry.kind.value}
    return check_entry(entry, entry.id, settings, topics, today=today)


def validated(data: dict[str, Any]) -> Entry:
    """The entry `data` describes, or `Invalid` with one problem per field."""
    try:
        return Entry.model_validate(data)
    except ValidationError as exc:
        problems = [ContentProblem(str(data.get("id", "-")), ".".join(str(p) for p in err["loc"]) or "-", err["msg"])
                    for err in exc.errors()]
        raise Invalid(problems, data) from exc


def entry_from_form(form: dict[str, Any], base: dict[str, Any] | None) -> dict[str, Any]:
    """The data of a version: the base version's fields, replaced by the form's."""
    data = dict(base or {})
    for name in TEXT_FIELDS:
        if name in form:
            value = str(form[name] or "").replace("\r\n", "\n").strip()
            optional = name in ("verdict", "review_due")
            data[name] = (value or None) if optional else value
    for name in LIST_FIELDS:
        if name in form:
            value = form[name]
            lines = value if isinstance(value, list) else str(value or "").splitlines()
            data[name] = [line.strip() for line in lines if line.strip()]
    if "machine_assisted" in form:
        data["machine_assisted"] = bool(form["machine_assisted"])
    return data


# -- writing -------------------------------------------------------------------------------


def _lock(session: Session, entry_id: str) -> None:
    """Take the entry's row for writing until the transaction ends (one writer per entry at a time).

    An UPDATE rather than SELECT ... FOR UPDATE, which SQLite ignores: both databases then
    serialise two people saving or publishing the same entry, and version numbers never clash.
    """
    touched = session.execute(update(KbEntry).where(KbEntry.id == entry_id).values(updated_at=utcnow())
                              .execution_options(synchronize_session=False))
    if touched.rowcount == 0:  # type: ignore[attr-defined]
        raise Refused("problem_entry_not_found", status=404)


def _open_for(session: Session, entry_id: str, status: Status, problem: str) -> KbVersion:
    """The entry's open version, locked, if it is in `status`; otherwise the refusal `problem`."""
    _lock(session, entry_id)
    row = open_version(session, entry_id)
    if row is None or row.status != status.value:
        raise Refused(problem)
    return row


def _touch(row: KbVersion, actor: SignedIn) -> None:
    row.updated_at = utcnow()
    if actor.user_id not in (row.contributors or []):
        row.contributors = [*(row.contributors or []), actor.user_id]


def _next_number(session: Session, entry_id: str) -> int:
    return int(session.scalar(select(func.max(KbVersion.number)).where(KbVersion.entry_id == entry_id)) or 0) + 1


def create_entry(db: Database, actor: SignedIn, topic: str, language: str, form: dict[str, Any],
                 change_note: str = "", source: str = "console") -> str:
    """A new entry `<topic>-<language>` with its first draft; returns its id."""
    _require(actor, Permission.edit_content)
    entry_id = f"{topic.strip()}-{language.strip()}"
    data = entry_from_form(form, {"id": entry_id, "topic": topic.strip(), "language": language.strip(),
                                  "status": Status.draft.value, "version": 1})
    validated(data)
    with db.session() as session:
        if session.get(KbEntry, entry_id) is not None:
            raise Refused("problem_entry_exists")
        session.add(KbEntry(id=entry_id, topic=data["topic"], language=data["language"]))
        session.flush()
        session.add(KbVersion(entry_id=entry_id, number=1, status=Status.draft.value, data=data, source=source,
                              change_note=change_note.strip(), author_id=actor.user_id,
                              contributors=[actor.user_id]))
        record(session, actor.user_id, AuditAction.kb_create, entry=entry_id, version=1)
    return entry_id


def save_draft(db: Database, actor: SignedIn, entry_id: str, form: dict[str, Any], change_note: str = "",
               source: str = "console") -> int:
    """Save the form into the entry's open version (a version in review goes back to draft),
    or start a new draft from the published one; returns the version number."""
    _require(actor, Permission.edit_content)
    with db.session() as session:
        _lock(session, entry_id)
        row = open_version(session, entry_id)
        if row is None:
            base = live_version(session, entry_id) or version(session, entry_id, _next_number(session, entry_id) - 1)
            number = _next_number(session, entry_id)
            data = entry_from_form(form, {**base.data, "status": Status.draft.value, "version": number,
                                          "reviewed_by": None, "reviewed_on": None})
            validated(data)
            row = KbVersion(entry_id=entry_id, number=number, status=Status.draft.value, data=data, source=source,
                            change_note=change_note.strip(), author_id=actor.user_id, contributors=[actor.user_id],
                            based_on=base.number)
            session.add(row)
            record(session, actor.user_id, AuditAction.kb_save, entry=entry_id, version=number)
            return number
        data = entry_from_form(form, {**row.data, "status": Status.draft.value})
        validated(data)
        row.data, row.status = data, Status.draft.value
        row.submitted_at = None
        if change_note.strip():
            row.change_note = change_note.strip()
        _touch(row, actor)
        record(session, actor.user_id, AuditAction.kb_save, entry=entry_id, version=row.number)
        return row.number


def submit(db: Database, settings: Settings, actor: SignedIn, entry_id: str) -> int:
    """Send the draft to review, if it meets the content rules."""
    _require(actor, Permission.edit_content)
    with db.session() as session:
        row = _open_for(session, entry_id, Status.draft, "problem_no_draft")
        problems = rule_problems(entry_of(row), settings)
        if problems:
            raise Invalid(problems)
        row.status, row.submitted_at = Status.in_review.value, utcnow()
        row.data = {**row.data, "status": Status.in_review.value}
        _touch(row, actor)
        record(session, actor.user_id, AuditAction.kb_submit, entry=entry_id, version=row.number)
        return row.number


def _make_live(session: Session, settings: Settings, row: KbVersion, actor: SignedIn) -> None:
    """Publish `row` (checked against the rules as published) and archive the version it replaces."""
    today = dt.date.today()
    data = dict(row.data)
    due = data.get("review_due")
    if not due or dt.date.fromisoformat(str(due)) <= today:
        data["review_due"] = (today + dt.timedelta(days=settings.editor_review_interval_days)).isoformat()
    data.update(status=Status.published.value, version=row.number, reviewed_by=actor.name,
                reviewed_on=today.isoformat(), vetted=True)
    entry = validated(data)
    problems = rule_problems(entry, settings, today)
    if problems:
        raise Invalid(problems)
    now = utcnow()
    session.execute(update(KbVersion).where(KbVersion.entry_id == row.entry_id,
                                            KbVersion.status == Status.published.value)
                    .values(status=Status.archived.value, archived_at=now))
    row.data, row.status = entry.model_dump(mode="json"), Status.published.value
    row.reviewer_id, row.reviewed_at, row.published_at = actor.user_id, now, now


def publish(db: Database, settings: Settings, actor: SignedIn, entry_id: str) -> int:
    """Publish the version in review; the reviewer must not have contributed to it (four eyes)."""
    _require(actor, Permission.review_content)
    with db.session() as session:
        row = _open_for(session, entry_id, Status.in_review, "problem_not_in_review")
        if actor.user_id in (row.contributors or []) or actor.user_id == row.author_id:
            raise Refused("problem_own_change", status=403)
        _make_live(session, settings, row, actor)
        record(session, actor.user_id, AuditAction.kb_publish, entry=entry_id, version=row.number)
        return row.number


def request_changes(db: Database, actor: SignedIn, entry_id: str, comment: str) -> int:
    """Send the version in review back to draft with the reviewer's comment."""
    _require(actor, Permission.review_content)
    if not comment.strip():
        raise Refused("problem_comment_needed", status=422)
    with db.session() as session:
        row = _open_for(session, entry_id, Status.in_review, "problem_not_in_review")
        row.status, row.review_comment, row.reviewed_at = Status.draft.value, comment.strip(), utcnow()
        row.reviewer_id = actor.user_id
        row.data = {**row.data, "status": Status.draft.value}
        record(session, actor.user_id, AuditAction.kb_changes, entry=entry_id, version=row.number)
        return row.number


def withdraw(db: Database, actor: SignedIn, entry_id: str, note: str) -> int:
    """Archive the published version: the assistant stops answering with this entry."""
    _require(actor, Permission.review_content)
    with db.session() as session:
        _lock(session, entry_id)
        row = live_version(session, entry_id)
        if row is None:
            raise Refused("problem_not_published")
        row.status, row.archived_at = Status.archived.value, utcnow()
        row.review_comment = note.strip() or row.review_comment
        record(session, actor.user_id, AuditAction.kb_withdraw, entry=entry_id, version=row.number)
        return row.number


def rollback(db: Database, settings: Settings, actor: SignedIn, entry_id: str, number: int) -> tuple[int, bool]:
    """A new version equal to version `number`; returns (its number, whether it is live already)."""
    _require(actor, Permission.edit_content)
    with db.session() as session:
        _lock(session, entry_id)
        old = version(session, entry_id, number)
        if open_version(session, entry_id) is not None:
            raise Refused("problem_open_version")
        new_number = _next_number(session, entry_id)
        now = utcnow()
        row = KbVersion(entry_id=entry_id, number=new_number, status=Status.in_review.value, source="console",
                        data={**old.data, "status": Status.in_review.value, "version": new_number},
                        change_note="", author_id=actor.user_id, contributors=[actor.user_id],
                        based_on=number, rolled_back_from=number, created_at=now, updated_at=now, submitted_at=now)
        session.add(row)
        session.flush()
        live = actor.can(Permission.review_content) and old.published_at is not None
        if live:
            _make_live(session, settings, row, actor)
        record(session, actor.user_id, AuditAction.kb_rollback, entry=entry_id, version=new_number, copies=number,
               live=live)
        return new_number, live


# -- comparing -----------------------------------------------------------------------------


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value).splitlines() or [""]


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[FieldDiff]:
    """Field by field, the lines removed and added from `old` to `new` (unchanged fields left out)."""
    changes = []
    for name in DIFF_FIELDS:
        before, after = _lines(old.get(name)), _lines(new.get(name))
        if before == after:
            continue
        lines = [(line[0], line[2:]) for line in difflib.ndiff(before, after) if line[:1] in " -+"]
        changes.append(FieldDiff(name, lines))
    return changes
