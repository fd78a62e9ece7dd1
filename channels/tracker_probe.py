"""Whether Rasa really keeps conversations in the SQL tracker store we configured.

Rasa 3.6 wraps its tracker store in a fail-safe one: when saving to the SQL store fails, it saves
to memory instead and only logs an error (and a failed read starts an empty tracker). Conversations
then lose their state at the next restart, and Rasa's `/status` still says all is well. So the
probe writes one harmless event through Rasa's HTTP API (with its token) under a throw-away
conversation id, looks for it in the SQL store directly, and deletes it again.
"""

from __future__ import annotations

import uuid

from channels.privacy import TrackerStore
from channels.rasa_client import RasaClient, RasaUnavailable

PROBE_PREFIX = "healthz-probe-"
PROBE_EVENT = {"event": "action", "name": "action_listen"}


def probe_tracker_store(rasa: RasaClient, store: TrackerStore) -> str:
    """"up" when an event sent through Rasa lands in `store`, else "down: <why>"; never raises."""
    sender = PROBE_PREFIX + uuid.uuid4().hex  # concurrent health checks never see each other's
    try:
        rasa.append_events(sender, [PROBE_EVENT])
    except RasaUnavailable as exc:
        return f"down: probe not accepted ({exc})"
    try:
        landed = bool(store.events(sender))
    finally:
        store.erase([sender])
    return "up" if landed else "down: Rasa did not save to the SQL tracker store (in-memory fallback?)"
