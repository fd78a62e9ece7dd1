"""The web app: simulator, `/api/simulate`, `/healthz` (and the Twilio webhooks and consoles).

`create_app()` wires the shared libraries once per process;
`uvicorn --factory channels.app:create_app` serves it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import OperationalError

from channels.console.routers import install as install_console
from channels.db import Database
from channels.editor.routers import install as install_content
from channels.gateway import Gateway, Inbound
from channels.health import check_components
from channels.outbox import Outbox
from channels.privacy import TrackerStore
from channels.rasa_client import RasaClient
from channels.security_headers import SecurityHeaders
from channels.tracker_probe import TrackerProbe
from channels.twilio.rest import TwilioRest
from channels.twilio.webhooks import twilio_router
from channels.worker import Workers
from knowledge_base.search import Searcher
from passerelle import log_redaction
from passerelle.secrets import rasa_token
from passerelle.settings import Settings, get_settings

log = logging.getLogger(__name__)
WEB = Path(__file__).parent / "web"


class SimulateRequest(BaseModel):
    """A message as a phone would send it."""

    model_config = ConfigDict(extra="ignore")

    sender: str = Field(min_length=1, max_length=64, description="any id; same id = same conversation")
    text: str = Field(max_length=20_000)


class SimulateResponse(BaseModel):
    """What the phone would receive, in order."""

    replies: list[str]


def _load_triage(settings: Settings, searcher: Searcher | None) -> Any:
    if searcher is None:
        return None
    from passerelle.triage import Triage

    return Triage(settings, searcher)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web app with its gateway, searcher and triage."""
    log_redaction.install()
    settings = settings or get_settings()
    db = Database(settings.effective_database_url)
    db.upgrade()
    try:
        searcher: Searcher | None = Searcher(settings)
    except FileNotFoundError:
        log.error("no knowledge-base index: run `passerelle kb build`")
        searcher = None
    rasa = RasaClient(settings.rasa_url, rasa_token(settings), settings.rasa_timeout_s)
    # Whether Rasa keeps conversations where it should: one probe conversation for this process.
    tracker = TrackerProbe(rasa, TrackerStore(settings.effective_tracker_url))
    gateway = Gateway(settings, db, rasa, searcher, _load_triage(settings, searcher))
    twilio = TwilioRest(settings) if settings.twilio_account_sid and settings.twilio_auth_token else None
    outbox = Outbox(settings, db, twilio)
    # Workers process stored messages (and retry unfinished ones); the outbox sends the replies.
    workers = Workers(gateway, settings.gateway_threads, searcher, on_processed=outbox.wake)

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[None]:
        publisher = running.state.content_console.publisher  # rebuilds the index after publications
        workers.start()
        outbox.start()
        publisher.start()
        yield
        workers.stop()
        outbox.stop()
        publisher.stop()

    # No interactive docs: they load scripts from a CDN that the strict CSP refuses; the schema
    # itself stays at /openapi.json.
    app = FastAPI(title="Passerelle Santé", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(SecurityHeaders, trust_forwarded=settings.trust_forwarded_headers)
    app.state.settings, app.state.db, app.state.gateway, app.state.searcher = settings, db, gateway, searcher
    install_console(app)
    install_content(app)
    app.state.workers, app.state.outbox = workers, outbox
    app.include_router(twilio_router(settings, gateway, workers, outbox))
    templates = Jinja2Templates(directory=str(WEB / "templates"))
    app.mount("/static", StaticFiles(directory=str(WEB / "static")), name="static")

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
                    for e in exc.errors()]
        return JSONResponse(status_code=422, content={"error": "invalid request", "problems": problems})

    @app.exception_handler(OperationalError)
    async def _database_down(_request: Request, exc: OperationalError) -> JSONResponse:
        # PostgreSQL restarting or unreachable: nothing was stored, so say "not now" (Twilio then
        # uses its fallback or the sender retries) rather than a 500 with a stack trace.
        log.warning("database unavailable (%s); request refused with 503", type(exc.orig).__name__)
        return JSONResponse(status_code=503, content={"error": "database unavailable, try again shortly"},
                            headers={"Retry-After": "5"})

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        action_url = f"http://{settings.host}:{settings.action_port}/health"
        components = check_components(db, rasa, searcher, action_url, tracker)
        healthy = all(state == "up" for state in components.values())
        return JSONResponse(status_code=200 if healthy else 503,
                            content={"status": "ok" if healthy else "degraded", "components": components})

    @app.post("/api/simulate", response_model=SimulateResponse)
    def simulate(request: SimulateRequest) -> SimulateResponse:
        message_id, _ = gateway.receive(Inbound(channel="web", address=request.sender, body=request.text))
        return SimulateResponse(replies=workers.process_now(message_id))

    @app.get("/", response_class=HTMLResponse)
    def simulator(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "simulator.html", {})

    return app

