"""HTTP for the content console, under /console/content, inside the mediator console's shell.

Same sign-in, sessions, CSRF guard (router-wide), layout, catalogue and permission checks as the
mediator console: routes only translate HTTP to `service`, `feedback`, `transfer`, `gaps` and
the publisher.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, FileSystemLoader

from channels.console.auth import SignedIn
from channels.console.i18n import ui_text
from channels.console.permissions import Permission
from channels.console.routers import _csrf_guard, _ui_language, render, require
from channels.console.service import Refused
from channels.db import Database
from channels.editor import service
from channels.editor.feedback import check_draft
from channels.editor.gaps import find_gaps
from channels.editor.models import KbPublication, PublicationStatus
from channels.editor.publisher import IndexPublisher, latest_publication
from channels.editor.transfer import export_csv, export_zip, import_records, read_upload
from knowledge_base.index import snapshot_with
from knowledge_base.schema import Kind, Status
from knowledge_base.search import Searcher
from passerelle.settings import Settings

HERE = Path(__file__).parent
BASE = "/console/content"
NOTICES = {"created", "saved", "submitted", "published", "changes_requested", "withdrawn", "rolled_back",
           "rolled_back_live"}
FORM_FIELDS = (*service.TEXT_FIELDS, *service.LIST_FIELDS)
MAX_FIELD = 20_000
TRY_RESULTS = 5
SHOWN_PER_GROUP = 8


@dataclass
class ContentConsole:
    """What the content console needs from the app, wired once by `install`."""

    settings: Settings
    db: Database
    searcher: Searcher | None
    publisher: IndexPublisher
    seeded: bool = False


def _content(request: Request) -> ContentConsole:
    """The content console, with the shipped entries imported on first use."""
    content: ContentConsole = request.app.state.content_console
    if not content.seeded:
        service.seed_from_files(content.db, content.settings)
        content.seeded = True
    return content


router = APIRouter(prefix=BASE, dependencies=[Depends(_csrf_guard)], include_in_schema=False)
Editor = Annotated[SignedIn, Depends(require(Permission.edit_content))]
Reviewer = Annotated[SignedIn, Depends(require(Permission.review_content))]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _form_fields(request: Request) -> dict[str, Any]:
    """The entry fields of a posted form (absent fields are left as they were)."""
    form = await request.form()
    values: dict[str, Any] = {name: str(form[name])[:MAX_FIELD] for name in FORM_FIELDS if name in form}
    if "machine_assisted_shown" in form:  # a checkbox sends nothing when unticked
        values["machine_assisted"] = "machine_assisted" in form
    return values


def publication_text(row: KbPublication | None, language: str, settings: Settings) -> dict[str, Any]:
    """The publication banner: state, sentence, and whether the page should keep polling."""
    if row is None:
        return {"state": "none", "text": ui_text("pub_none", language), "busy": False}
    if row.status in (PublicationStatus.pending.value, PublicationStatus.running.value):
        return {"state": row.status, "text": ui_text("pub_running", language), "busy": True}
    finished = row.finished_at or row.requested_at
    if finished.tzinfo is None:
        finished = finished.replace(tzinfo=dt.UTC)
    at = finished.astimezone(ZoneInfo(settings.timezone)).strftime("%d/%m/%Y %H:%M:%S")
    if row.status == PublicationStatus.failed.value:
        return {"state": "failed", "text": ui_text("pub_failed", language, at=at, error=row.error or ""),
                "busy": False}
    return {"state": "done", "text": ui_text("pub_done", language, at=at, entries=row.entries or 0,
                                            seconds=row.seconds or 0), "busy": False}


def _common(request: Request, user: SignedIn) -> dict[str, Any]:
    content = _content(request)
    return {"section": "content", "base": BASE,
            "publication": publication_text(latest_publication(content.db), _ui_language(request, user),
                                            content.settings)}


# -- lists ---------------------------------------------------------------------------------


@router.get("")
def entries_page(request: Request, user: Editor, q: str = "", lang: str = "", state: str = "") -> Response:
    content = _content(request)
    with content.db.session() as session:
        rows = service.list_entries(session, q[:200], lang[:8], state[:16])
        due = len(service.due_for_review(session, dt.date.today()))
    return render(request, "content_list.html", _common(request, user) | {
        "rows": rows, "q": q, "lang": lang, "state": state, "due": due,
        "languages": content.settings.languages}, user)


@router.get("/due")
def due_page(request: Request, user: Editor) -> Response:
    with _content(request).db.session() as session:
        due = service.due_for_review(session, dt.date.today())
    return render(request, "content_due.html", _common(request, user) | {"due": due}, user)


# -- one entry -----------------------------------------------------------------------------


def _entry_page(request: Request, user: SignedIn, entry_id: str, *, problems: list[Any] | None = None,
                problem: str | None = None, notice: str | None = None, typed: dict[str, Any] | None = None,
                beside: str | None = None, status: int = 200) -> Response:
    content = _content(request)
    with content.db.session() as session:
        rows = service.versions_of(session, entry_id)
        if not rows:
            return render(request, "error.html", {"problem": "problem_entry_not_found"}, user, status=404)
        versions = service.view(session, rows)
        variants = [v for v in service.variants_of(session, versions[0].entry.topic) if v.id != entry_id]
    current = next((v for v in versions if v.row.status in service.OPEN), None) or \
        next((v for v in versions if v.row.status == Status.published.value), versions[0])
    live = next((v for v in versions if v.row.status == Status.published.value), None)
    shown_beside = next((v for v in variants if v.language == beside), variants[0] if variants else None)
    missing = [lang for lang in content.settings.languages
               if lang != current.entry.language and lang not in {v.language for v in variants}]
    values = service.entry_from_form(typed or {}, current.row.data)
    return render(request, "content_entry.html", _common(request, user) | {
        "entry_id": entry_id, "current": current, "live": live, "versions": versions, "values": values,
        "variants": variants, "beside": shown_beside, "missing": missing, "problems": problems or [],
        "problem": problem,
        "notice": notice if notice in NOTICES else None, "kinds": list(Kind),
        "may_publish": (current.row.status == Status.in_review.value and user.can(Permission.review_content)
                        and user.user_id not in (current.row.contributors or [])),
        "own_change": user.user_id in (current.row.contributors or []),
    }, user, status=status)


@router.get("/entries/{entry_id}")
def entry_page(request: Request, entry_id: str, user: Editor, notice: str | None = None,
               beside: str | None = None) -> Response:
    return _entry_page(request, user, entry_id, notice=notice, beside=beside)


def _act(request: Request, user: SignedIn, entry_id: str, action: Callable[[], str | None],
         typed: dict[str, Any] | None = None) -> Response:
    """Run one workflow step; show the entry again with the reason when it is refused."""
    try:
        notice = action()
    except service.Invalid as invalid:
        return _entry_page(request, user, entry_id, problems=invalid.problems, typed=typed, status=422)
    except Refused as refused:
        if refused.status == 404:
            return render(request, "error.html", {"problem": refused.problem}, user, status=404)
        return _entry_page(request, user, entry_id, problem=refused.problem, typed=typed, status=refused.status)
    return _redirect(f"{BASE}/entries/{entry_id}?notice={notice}")


@router.post("/entries/{entry_id}/save")
async def save(request: Request, entry_id: str, user: Editor) -> Response:
    fields = await _form_fields(request)
    note = str((await request.form()).get("change_note") or "")[:1000]
    db = _content(request).db

    def action() -> str:
        service.save_draft(db, user, entry_id, fields, note)
        return "saved"

    return _act(request, user, entry_id, action, typed=fields)


@router.post("/entries/{entry_id}/submit")
async def submit(request: Request, entry_id: str, user: Editor) -> Response:
    fields = await _form_fields(request)
    note = str((await request.form()).get("change_note") or "")[:1000]
    content = _content(request)

    def action() -> str:
        if fields:
            service.save_draft(content.db, user, entry_id, fields, note)
        service.submit(content.db, content.settings, user, entry_id)
        return "submitted"

    return _act(request, user, entry_id, action, typed=fields)


@router.post("/entries/{entry_id}/publish")
def publish(request: Request, entry_id: str, user: Reviewer) -> Response:
    content = _content(request)

    def action() -> str:
        number = service.publish(content.db, content.settings, user, entry_id)
        content.publisher.request(f"publish {entry_id} v{number}", user.user_id)
        return "published"

    return _act(request, user, entry_id, action)


@router.post("/entries/{entry_id}/changes")
def request_changes(request: Request, entry_id: str, user: Reviewer,
                    comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    db = _content(request).db

    def action() -> str:
        service.request_changes(db, user, entry_id, comment)
        return "changes_requested"

    return _act(request, user, entry_id, action)


@router.post("/entries/{entry_id}/withdraw")
def withdraw(request: Request, entry_id: str, user: Reviewer,
             note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    content = _content(request)

    def action() -> str:
        number = service.withdraw(content.db, user, entry_id, note)
        content.publisher.request(f"withdraw {entry_id} v{number}", user.user_id)
        return "withdrawn"

    return _act(request, user, entry_id, action)


@router.post("/entries/{entry_id}/rollback")
def rollback(request: Request, entry_id: str, user: Editor, number: Annotated[int, Form(ge=1)]) -> Response:
    content = _content(request)

    def action() -> str:
        new_number, live = service.rollback(content.db, content.settings, user, entry_id, number)
        if live:
            content.publisher.request(f"rollback {entry_id} v{number} as v{new_number}", user.user_id)
            return "rolled_back_live"
        return "rolled_back"

    return _act(request, user, entry_id, action)


@router.get("/entries/{entry_id}/diff")
def diff_page(request: Request, entry_id: str, user: Editor, a: int = 1, b: int = 1) -> Response:
    with _content(request).db.session() as session:
        try:
            old, new = service.version(session, entry_id, a), service.version(session, entry_id, b)
        except Refused as refused:
            return render(request, "error.html", {"problem": refused.problem}, user, status=404)
        numbers = [v.number for v in service.versions_of(session, entry_id)]
    return render(request, "content_diff.html", _common(request, user) | {
        "entry_id": entry_id, "a": a, "b": b, "numbers": numbers, "changes": service.diff(old.data, new.data)}, user)


# -- new entries ---------------------------------------------------------------------------


def _new_page(request: Request, user: SignedIn, values: dict[str, Any], *, problems: list[Any] | None = None,
              problem: str | None = None, status: int = 200) -> Response:
    content = _content(request)
    return render(request, "content_new.html", _common(request, user) | {
        "values": values, "problems": problems or [], "problem": problem, "kinds": list(Kind),
        "languages": content.settings.languages}, user, status=status)


@router.get("/new")
def new_page(request: Request, user: Editor, translate: str = "", language: str = "") -> Response:
    """An empty form, or with `translate` an entry's current text to translate into `language`."""
    values: dict[str, Any] = {"kind": Kind.service.value, "language": language[:8] or "fr"}
    if translate:
        with _content(request).db.session() as session:
            source = service.open_version(session, translate) or service.live_version(session, translate)
        if source is not None:
            values = {**source.data, "language": language[:8], "review_due": None, "machine_assisted": False}
    return _new_page(request, user, values)


@router.post("/new/from-gap")
def new_from_gap(request: Request, user: Editor, questions: Annotated[str, Form(max_length=MAX_FIELD)] = "",
                 title: Annotated[str, Form(max_length=200)] = "") -> Response:
    return _new_page(request, user, {"kind": Kind.service.value, "language": "fr", "title": title,
                                     "questions": questions.splitlines()})


@router.post("/new")
async def create(request: Request, user: Editor) -> Response:
    form = await request.form()
    fields = await _form_fields(request)
    topic, language = str(form.get("topic") or "")[:120], str(form.get("language") or "")[:8]
    note = str(form.get("change_note") or "")[:1000]
    values = service.entry_from_form(fields, {"topic": topic, "language": language})
    try:
        entry_id = service.create_entry(_content(request).db, user, topic, language, fields, note)
    except service.Invalid as invalid:
        return _new_page(request, user, values, problems=invalid.problems, status=422)
    except Refused as refused:
        return _new_page(request, user, values, problem=refused.problem, status=refused.status)
    return _redirect(f"{BASE}/entries/{entry_id}?notice=created")


# -- live help while typing ----------------------------------------------------------------


@router.post("/feedback")
async def feedback(request: Request, user: Editor) -> Response:
    """Live checks of the form being typed (POST: drafts never land in access logs)."""
    content = _content(request)
    form = await request.form()
    fields = await _form_fields(request)
    topic, language = str(form.get("topic") or "")[:120], str(form.get("language") or "fr")[:8]
    with content.db.session() as session:
        others = service.other_questions(session, topic, language)
    ui = _ui_language(request, user)
    grouped: dict[str, list[dict[str, str]]] = {}
    for finding in check_draft(fields, language, others, content.settings):
        grouped.setdefault(finding.field, []).append(
            {"level": finding.level, "text": ui_text(finding.code, ui, **finding.values)})
    return JSONResponse({"fields": grouped}, headers={"Cache-Control": "no-store"})


@router.post("/try")
async def try_it(request: Request, user: Editor) -> Response:
    """What search returns for a message now, and with this draft in place of the published entry."""
    content = _content(request)
    form = await request.form()
    message, language = str(form.get("q") or "")[:500], str(form.get("language") or "fr")[:8]
    searcher = content.searcher
    if searcher is None or not message.strip():
        return JSONResponse({"before": [], "after": [], "problem": ui_text("try_unavailable",
                                                                           _ui_language(request, user))})
    searcher.reload_if_changed()
    entry_id = str(form.get("entry_id") or "")
    with content.db.session() as session:
        base = service.open_version(session, entry_id) or service.live_version(session, entry_id)
        base_data = dict(base.data) if base is not None else {
            "id": entry_id, "topic": str(form.get("topic") or ""), "language": language}
    try:
        draft = service.validated(service.entry_from_form(await _form_fields(request),
                                                          base_data | {"status": Status.published.value}))
    except service.Invalid as invalid:
        return JSONResponse({"before": [], "after": [], "problem": "; ".join(str(p) for p in invalid.problems)})
    trial = Searcher(content.settings, embedder=searcher.embedder,
                     snapshot=snapshot_with(searcher.snapshot, draft, searcher.embedder,
                                            exact_max=content.settings.exact_index_max_vectors))

    def shown(found: Searcher) -> list[dict[str, Any]]:
        result = found.search(message, language=language, top_k=TRY_RESULTS)
        return [{"id": h.id, "title": h.title, "score": h.score, "answers": i == 0 and result.answerable,
                 "edited": h.topic == draft.topic} for i, h in enumerate(result.hits)]

    return JSONResponse({"before": shown(searcher), "after": shown(trial)}, headers={"Cache-Control": "no-store"})


@router.get("/publication")
def publication(request: Request, user: Editor) -> Response:
    content = _content(request)
    return JSONResponse(publication_text(latest_publication(content.db), _ui_language(request, user),
                                         content.settings), headers={"Cache-Control": "no-store"})


# -- gaps ----------------------------------------------------------------------------------


@router.get("/gaps")
def gaps_page(request: Request, user: Editor) -> Response:
    content = _content(request)
    if content.searcher is None:
        return render(request, "content_gaps.html", _common(request, user) | {"gaps": None}, user)
    with content.db.session() as session:
        gaps = find_gaps(session, content.searcher.embedder, content.settings.editor_gap_days,
                         content.settings.editor_gap_similarity)
    return render(request, "content_gaps.html", _common(request, user) | {
        "gaps": gaps, "days": content.settings.editor_gap_days, "shown": SHOWN_PER_GROUP}, user)


# -- import and export ---------------------------------------------------------------------


EXPORTS = {"csv": (export_csv, "text/csv; charset=utf-8"), "zip": (export_zip, "application/zip")}


@router.get("/export.{fmt}")
def export(request: Request, fmt: str, _user: Editor) -> Response:
    """The published versions as CSV, or as the project's YAML files in a zip."""
    if fmt not in EXPORTS:
        return Response(status_code=404)
    make, media_type = EXPORTS[fmt]
    with _content(request).db.session() as session:
        body = make(service.published_entries(session))
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="knowledge-base.{fmt}"'})


@router.get("/import")
def import_page(request: Request, user: Editor) -> Response:
    return render(request, "content_import.html", _common(request, user) | {"report": None}, user)


@router.post("/import")
async def import_file(request: Request, user: Editor, upload: Annotated[UploadFile, File()]) -> Response:
    content = _content(request)
    data = await upload.read(content.settings.editor_import_max_bytes + 1)
    if len(data) > content.settings.editor_import_max_bytes:
        return render(request, "content_import.html", _common(request, user) | {
            "report": None, "problem": "problem_import_too_big"}, user, status=413)
    try:
        records = read_upload(upload.filename or "", data)
    except ValueError as exc:
        return render(request, "content_import.html", _common(request, user) | {
            "report": None, "problem": "problem_import_unreadable", "detail": str(exc)}, user, status=422)
    report = import_records(content.db, content.settings, user, records)
    return render(request, "content_import.html", _common(request, user) | {"report": report}, user)


# -- wiring --------------------------------------------------------------------------------


def install(app: FastAPI) -> None:
    """Add the content console to the web app; call after the mediator console's `install`."""
    console = app.state.console
    searcher: Searcher | None = app.state.searcher
    publisher = IndexPublisher(app.state.settings, app.state.db, searcher.embedder if searcher else None)
    app.state.content_console = ContentConsole(settings=app.state.settings, db=app.state.db, searcher=searcher,
                                               publisher=publisher)
    console.templates.env.loader = ChoiceLoader([console.templates.env.loader,
                                                 FileSystemLoader(str(HERE / "templates"))])
    app.include_router(router)
    app.mount(f"{BASE}/static", StaticFiles(directory=str(HERE / "static")), name="content-static")
