"""Component health for `GET /healthz` and for `make run`'s readiness line."""

from __future__ import annotations

import httpx
from sqlalchemy import text as sql

from channels.db import Database
from channels.rasa_client import RasaClient
from channels.tracker_probe import TrackerProbe
from knowledge_base.search import Searcher


def check_components(db: Database, rasa: RasaClient | None, searcher: Searcher | None,
                     action_url: str, tracker: TrackerProbe | None = None) -> dict[str, str]:
    """"up" or a short reason per component; never raises.

    With `tracker`, Rasa counts as up only if it also saves into the SQL tracker store it probes.
    """
    status: dict[str, str] = {}
    try:
        with db.engine.connect() as connection:
            connection.execute(sql("SELECT 1"))
        status["database"] = "up"
    except Exception as exc:  # noqa: BLE001 - any failure means down, the reason is reported
        status["database"] = f"down: {type(exc).__name__}"
    try:
        status["index"] = "up" if searcher is not None and searcher.snapshot.entries else "down: empty"
    except FileNotFoundError:
        status["index"] = "down: not built"
    status["rasa"] = "up" if rasa is not None and rasa.healthy() else "down"
    if tracker is not None:
        status["tracker_store"] = tracker.check() if rasa and status["rasa"] == "up" else "down"
    try:
        response = httpx.get(action_url, timeout=3)
        status["action_server"] = "up" if response.status_code == 200 else f"down: HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        status["action_server"] = f"down: {type(exc).__name__}"
    return status
