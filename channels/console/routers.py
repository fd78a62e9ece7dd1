"""HTTP for the mediator console: pages, fragments, the live event stream, and the forms' POSTs.

Routes only translate HTTP to `service`, `queue` and `transcript`. Every POST of the router
passes `_csrf_guard` (a router-wide dependency), so no form can forget its CSRF check; every
page asks for a permission, never for a role.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sse_starlette import EventSourceResponse, ServerSentEvent

from channels.console import service
from channels.console.audit import AuditAction, recent_entries, record
from channels.console.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SignedIn,
    close_session,
    csrf_valid,
    keyed_hash,
    login_form_token_valid,
    new_login_form_token,
    open_session,
    signed_in,
)
from channels.console.i18n import catalogue, pick_language, ui_label, ui_text
from channels.console.permissions import Permission
from channels.console.queue import VIEWS, View, aware, bot_conversations, open_queue
from channels.console.ratelimit import clear_account_failures, is_blocked, record_failure
from channels.console.reply_cost import ReplyCost, reply_cost
from channels.console.snippets import find_snippets
from channels.console.sse import QueueWatcher
from channels.console.transcript import conversation_page
from channels.console.users import all_users, authenticate, colleagues
from channels.db import Database
from channels.models import Conversation
from channels.rasa_client import RasaClient
from channels.security_headers import HEADERS as BROWSER_HEADERS
from knowledge_base.search import Searcher
from passerelle.settings import Settings

HERE = Path(__file__).parent
LOGIN_PATH = "/console/login"
LANG_COOKIE = "passerelle_console_lang"
NOTICES = {"claimed", "released", "transferred", "taken_over", "handed_back", "closed", "replied", "noted"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The app sets BROWSER_HEADERS on every response too; the console does not depend on that.
SECURITY_HEADERS = {"Cache-Control": "no-store", **BROWSER_HEADERS}


@dataclass
class Console:
    """What the console needs from the app, wired once by `install`."""

    settings: Settings
    db: Database
    searcher: Searcher | None
    rasa: RasaClient | None
    templates: Jinja2Templates
    watcher: QueueWatcher


class NotSignedIn(Exception):
    """No live session: pages redirect to the sign-in form, fragments answer 401."""


class Forbidden(Exception):
    """Signed in, but the roles do not allow this."""


class CsrfRejected(Exception):
    """A POST without the right CSRF token."""


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def current_user(request: Request) -> SignedIn | None:
    """The signed-in person of this request, if any."""
    with _console(request).db.session() as session:
        return signed_in(session, request.cookies.get(SESSION_COOKIE))


def require(permission: Permission) -> Callable[[Request], SignedIn]:
    """A dependency that lets through only people whose roles allow `permission`."""

    def dependency(request: Request) -> SignedIn:
        user = current_user(request)
        if user is None:
            raise NotSignedIn()
        if not user.can(permission):
            raise Forbidden()
        return user

    return dependency


def _any_user(request: Request) -> SignedIn:
    user = current_user(request)
    if user is None:
        raise NotSignedIn()
    return user


async def _csrf_guard(request: Request) -> None:
    """Every unsafe request carries the session's token (or, to sign in, the signed form token)."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    given = request.headers.get("x-csrf-token") or form.get("csrf_token")
    given = given if isinstance(given, str) else None
    if request.url.path == LOGIN_PATH:
        if not login_form_token_valid(_console(request).settings, request.cookies.get(LOGIN_CSRF_COOKIE), given):
            raise CsrfRejected()
        return
    user = await run_in_threadpool(current_user, request)
    if user is None:
        raise NotSignedIn()
    if not csrf_valid(user.csrf_token, given):
        raise CsrfRejected()


router = APIRouter(prefix="/console", dependencies=[Depends(_csrf_guard)], include_in_schema=False)
Mediator = Annotated[SignedIn, Depends(require(Permission.handle_conversations))]


# -- rendering -----------------------------------------------------------------------------


def _ui_language(request: Request, user: SignedIn | None) -> str:
    return pick_language(request.cookies.get(LANG_COOKIE) or (user.ui_language if user else None))


def _safe_next(value: str | None, default: str = "/console") -> str:
    """Only a path of this console: never another site (open redirect)."""
    if value and value.startswith("/console") and "//" not in value and "\\" not in value:
        return value
    return default


def render(request: Request, name: str, context: dict[str, Any], user: SignedIn | None = None,
           status: int = 200) -> HTMLResponse:
    """A page or fragment with the catalogue, the person and the safe headers."""
    console = _console(request)
    language = _ui_language(request, user)
    zone = ZoneInfo(console.settings.timezone)
    values = {
        "lang": language,
        "user": user,
        "t": partial(ui_text, language=language),
        "tpl": lambda key: catalogue(language).get(key) or catalogue("fr")[key],
        "label": lambda prefix, value: ui_label(prefix, value, language),
        "can": lambda permission: user is not None and user.can(Permission(permission)),
        "local_time": lambda moment: aware(moment).astimezone(zone).strftime("%H:%M"),
        "local_datetime": lambda moment: aware(moment).astimezone(zone).strftime("%d/%m/%Y %H:%M"),
        "iso": lambda moment: aware(moment).isoformat(),
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    }
    response = console.templates.TemplateResponse(request, name, values, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- signing in and out --------------------------------------------------------------------


def _login_page(request: Request, problem: str | None = None, status: int = 200, next_url: str = "/console",
                email: str = "") -> HTMLResponse:
    nonce, form_token = new_login_form_token(_console(request).settings)
    response = render(request, "login.html", {"form_token": form_token, "problem": problem, "next": next_url,
                                              "email": email}, status=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, nonce, httponly=True, samesite="strict", path=LOGIN_PATH,
                        secure=_console(request).settings.console_cookie_secure, max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query's name
    if current_user(request) is not None:
        return _redirect(_safe_next(next))
    return _login_page(request, next_url=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, email: Annotated[str, Form(max_length=254)] = "",
          password: Annotated[str, Form(max_length=1024)] = "",
          next: Annotated[str, Form(max_length=500)] = "/console") -> Response:  # noqa: A002
    console = _console(request)
    settings = console.settings
    address = request.client.host if request.client else "unknown"
    next_url = _safe_next(next)
    with console.db.session() as session:
        if is_blocked(session, settings, email, address):
            record(session, None, AuditAction.login_blocked, email_hash=keyed_hash(settings, email.strip().lower()))
            problem, status = "problem_too_many_attempts", 429
        else:
            user = authenticate(session, settings, email, password)
            if user is None:
                record_failure(session, settings, email, address)
                record(session, None, AuditAction.login_failed,
                       email_hash=keyed_hash(settings, email.strip().lower()))
                problem, status = "problem_bad_credentials", 401
            else:
                clear_account_failures(session, settings, email)
                token = open_session(session, user, settings)
                record(session, user.id, AuditAction.login)
                problem, status = "", 303
    if problem:
        refused = _login_page(request, problem=problem, status=status, next_url=next_url, email=email)
        if status == 429:
            refused.headers["Retry-After"] = str(settings.console_login_window_minutes * 60)
        return refused
    response = _redirect(next_url)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=settings.console_cookie_secure, max_age=settings.console_session_hours * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    return response


@router.post("/logout")
def logout(request: Request, user: Annotated[SignedIn, Depends(_any_user)]) -> Response:
    with _console(request).db.session() as session:
        close_session(session, request.cookies.get(SESSION_COOKIE))
        record(session, user.user_id, AuditAction.logout)
    response = _redirect(LOGIN_PATH)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/language")
def choose_language(request: Request, lang: str = "fr", next: str | None = None) -> Response:  # noqa: A002
    response = _redirect(_safe_next(next, default="/console"))
    response.set_cookie(LANG_COOKIE, pick_language(lang), samesite="lax", path="/", max_age=365 * 24 * 3600,
                        secure=_console(request).settings.console_cookie_secure)
    return response


# -- the queue -----------------------------------------------------------------------------


def _queue_context(request: Request, user: SignedIn, view: str) -> dict[str, Any]:
    console = _console(request)
    chosen: View = next((v for v in VIEWS if v == view), "all")
    with console.db.session() as session:
        items = open_queue(session, console.settings.mediator_target_minutes, user.user_id, chosen)
    return {"items": items, "view": chosen, "views": VIEWS, "target": console.settings.mediator_target_minutes}


@router.get("", response_class=HTMLResponse)
def queue_page(request: Request, user: Annotated[SignedIn, Depends(_any_user)], view: str = "all",
               notice: str | None = None) -> Response:
    if not user.can(Permission.handle_conversations):
        if user.can(Permission.edit_content):  # editors land on their own console
            return _redirect("/console/content")
        raise Forbidden()
    context = _queue_context(request, user, view) | {"notice": notice if notice in NOTICES else None,
                                                      "section": "queue"}
    return render(request, "queue.html", context, user)


@router.get("/queue/rows", response_class=HTMLResponse)
def queue_rows(request: Request, user: Mediator, view: str = "all") -> Response:
    return render(request, "_queue_rows.html", _queue_context(request, user, view), user)


@router.get("/events")
async def events(request: Request, _user: Mediator) -> EventSourceResponse:
    watcher = _console(request).watcher

    async def stream() -> AsyncIterator[ServerSentEvent]:
        # "hello" makes a page refetch once it listens, so nothing between render and subscribe is lost.
        yield ServerSentEvent(event="hello", data="{}")
        async for change in watcher.changes():
            yield ServerSentEvent(event="queue", data=json.dumps(asdict(change)))

    return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store"})


@router.get("/recent", response_class=HTMLResponse)
def recent(request: Request, user: Mediator) -> Response:
    with _console(request).db.session() as session:
        conversations = bot_conversations(session)
    return render(request, "recent.html", {"conversations": conversations, "section": "recent"}, user)


# -- one conversation ----------------------------------------------------------------------


def _conversation_response(request: Request, user: SignedIn, conversation_id: str, *, problem: str | None = None,
                           status: int = 200, notice: str | None = None, query: str | None = None,
                           draft: str = "", note_draft: str = "") -> Response:
    console = _console(request)
    with console.db.session() as session:
        page = conversation_page(session, conversation_id)
        people = [u for u in colleagues(session) if u.id != user.user_id]
    if page is None:
        return render(request, "error.html", {"problem": "problem_not_found"}, user, status=404)
    language = page.conversation.language or console.settings.default_language
    search_for = query if query is not None else page.search_hint
    snippets = find_snippets(console.searcher, search_for, language, console.settings.console_snippets)
    return render(request, "conversation.html", {
        "page": page, "c": page.conversation, "colleagues": people, "outcomes": list(service.Outcome),
        "problem": problem, "notice": notice if notice in NOTICES else None, "query": search_for,
        "snippets": snippets, "draft": draft, "note_draft": note_draft, "section": "queue",
        "counter": counter_text(reply_cost(draft, page.conversation.channel, language, console.settings),
                                _ui_language(request, user)),
        "reply_max": console.settings.console_reply_max_chars,
        "target": console.settings.mediator_target_minutes,
    }, user, status=status)


@router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation(request: Request, conversation_id: str, user: Mediator, notice: str | None = None,
                 q: str | None = None) -> Response:
    response = _conversation_response(request, user, conversation_id, notice=notice, query=q)
    if response.status_code == 200:
        service.record_view(_console(request).db, user, conversation_id)
    return response


@router.get("/conversations/{conversation_id}/live", response_class=HTMLResponse)
def conversation_live(request: Request, conversation_id: str, user: Mediator) -> Response:
    with _console(request).db.session() as session:
        page = conversation_page(session, conversation_id)
    if page is None:
        return PlainTextResponse("", status_code=404)
    return render(request, "_live.html", {"page": page, "c": page.conversation}, user)


def counter_text(cost: ReplyCost, ui_language: str) -> str:
    """The counter line under the reply box: characters, SMS and pages when they matter."""
    encodings = {"GSM-7": "encoding_gsm", "UCS-2": "encoding_unicode"}
    if cost.segments is not None:
        line = ui_text("counter_sms", ui_language, characters=cost.characters, segments=cost.segments,
                       encoding=ui_text(encodings[cost.encoding], ui_language) if cost.encoding else "—")
    else:
        line = ui_text("counter_chars", ui_language, characters=cost.characters)
    if cost.pages > 1:
        line += " · " + ui_text("counter_pages", ui_language, pages=cost.pages)
    return line


@router.post("/conversations/{conversation_id}/cost")
def reply_counter(request: Request, conversation_id: str, user: Mediator,
         body: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    """The counter for a draft (POST so the draft never lands in an access log)."""
    console = _console(request)
    with console.db.session() as session:
        found = session.get(Conversation, conversation_id)
        if found is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        channel, language = found.channel, found.language or console.settings.default_language
    measured = reply_cost(body, channel, language, console.settings)
    return JSONResponse({**asdict(measured), "text": counter_text(measured, _ui_language(request, user))},
                        headers={"Cache-Control": "no-store"})


@router.get("/snippets", response_class=HTMLResponse)
def snippets(request: Request, user: Mediator, q: Annotated[str, Query(max_length=500)] = "",
             lang: str = "fr") -> Response:
    console = _console(request)
    found = find_snippets(console.searcher, q, lang, console.settings.console_snippets)
    return render(request, "_snippets.html", {"snippets": found, "query": q}, user)


def _act(request: Request, user: SignedIn, conversation_id: str, action: Callable[[], object], notice: str,
         to_queue: bool = False, draft: str = "", note_draft: str = "") -> Response:
    """Run one mediator action; on refusal, show the conversation again with the reason."""
    try:
        action()
    except service.Refused as refused:
        return _conversation_response(request, user, conversation_id, problem=refused.problem,
                                      status=refused.status, draft=draft, note_draft=note_draft)
    if to_queue:
        return _redirect(f"/console?notice={notice}")
    return _redirect(f"/console/conversations/{conversation_id}?notice={notice}")


@router.post("/conversations/{conversation_id}/claim")
def claim(request: Request, conversation_id: str, user: Mediator) -> Response:
    db = _console(request).db
    return _act(request, user, conversation_id, lambda: service.claim(db, user, conversation_id), "claimed")


@router.post("/conversations/{conversation_id}/take-over")
def take_over(request: Request, conversation_id: str, user: Mediator) -> Response:
    console = _console(request)
    return _act(request, user, conversation_id,
                lambda: service.take_over(console.db, user, conversation_id, console.rasa), "taken_over")


@router.post("/conversations/{conversation_id}/release")
def release(request: Request, conversation_id: str, user: Mediator) -> Response:
    db = _console(request).db
    return _act(request, user, conversation_id, lambda: service.release(db, user, conversation_id), "released",
                to_queue=True)


@router.post("/conversations/{conversation_id}/transfer")
def transfer(request: Request, conversation_id: str, user: Mediator,
             colleague: Annotated[str, Form(max_length=64)] = "") -> Response:
    db = _console(request).db
    return _act(request, user, conversation_id, lambda: service.transfer(db, user, conversation_id, colleague),
                "transferred", to_queue=True)


@router.post("/conversations/{conversation_id}/hand-back")
def hand_back(request: Request, conversation_id: str, user: Mediator,
              outcome: Annotated[str, Form(max_length=32)] = "") -> Response:
    console = _console(request)
    return _act(request, user, conversation_id,
                lambda: service.hand_back(console.db, user, conversation_id, console.rasa, outcome or None),
                "handed_back", to_queue=True)


@router.post("/conversations/{conversation_id}/close")
def close(request: Request, conversation_id: str, user: Mediator,
          outcome: Annotated[str, Form(max_length=32)] = "") -> Response:
    console = _console(request)
    return _act(request, user, conversation_id,
                lambda: service.close(console.db, user, conversation_id, console.rasa, outcome or None),
                "closed", to_queue=True)


@router.post("/conversations/{conversation_id}/reply")
def reply(request: Request, conversation_id: str, user: Mediator,
          body: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    console = _console(request)
    return _act(request, user, conversation_id,
                lambda: service.reply(console.db, console.settings, user, conversation_id, body), "replied",
                draft=body)


@router.post("/conversations/{conversation_id}/notes")
def add_note(request: Request, conversation_id: str, user: Mediator,
             body: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    console = _console(request)
    return _act(request, user, conversation_id,
                lambda: service.add_note(console.db, console.settings, user, conversation_id, body), "noted",
                note_draft=body)


# -- administrators ------------------------------------------------------------------------


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: Annotated[SignedIn, Depends(require(Permission.read_audit))],
               conversation: str | None = None) -> Response:
    with _console(request).db.session() as session:
        lines = recent_entries(session, conversation_id=conversation or None)
    return render(request, "audit.html", {"lines": lines, "conversation": conversation or "",
                                          "section": "audit"}, user)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: Annotated[SignedIn, Depends(require(Permission.manage_users))]) -> Response:
    with _console(request).db.session() as session:
        users = all_users(session)
    return render(request, "users.html", {"users": users, "section": "users"}, user)


# -- wiring --------------------------------------------------------------------------------


def _wants_page(request: Request) -> bool:
    return (request.method in SAFE_METHODS and "text/html" in request.headers.get("accept", "")
            and not request.headers.get("x-console-fragment"))


def install(app: FastAPI) -> None:
    """Add the console to the web app (routes, static files, error pages); call after app.state is set."""
    db: Database = app.state.db
    settings: Settings = app.state.settings
    gateway = getattr(app.state, "gateway", None)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    # A queue of 500 lines is mostly indentation otherwise: drop the template's own whitespace.
    templates.env.trim_blocks = templates.env.lstrip_blocks = True
    app.state.console = Console(settings=settings, db=db, searcher=getattr(app.state, "searcher", None),
                                rasa=getattr(gateway, "rasa", None), templates=templates,
                                watcher=QueueWatcher(db, settings.console_poll_seconds))
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=str(HERE / "static")), name="console-static")

    async def not_signed_in(request: Request, _exc: Exception) -> Response:
        if _wants_page(request):
            return _redirect(f"{LOGIN_PATH}?next={request.url.path}")
        return PlainTextResponse("sign in first", status_code=401, headers=SECURITY_HEADERS)

    async def forbidden(request: Request, _exc: Exception) -> Response:
        user = await run_in_threadpool(current_user, request)
        return render(request, "error.html", {"problem": "problem_forbidden"}, user, status=403)

    async def csrf_rejected(request: Request, _exc: Exception) -> Response:
        if request.url.path == LOGIN_PATH:  # an expired or missing form token: a fresh form, with the reason
            return _login_page(request, problem="problem_csrf", status=403)
        user = await run_in_threadpool(current_user, request)
        return render(request, "error.html", {"problem": "problem_csrf"}, user, status=403)

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(CsrfRejected, csrf_rejected)
