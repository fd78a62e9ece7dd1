"""Whether Rasa really keeps conversations in the SQL tracker store we configured.

Rasa 3.6 wraps its tracker store in a fail-safe one: when saving to the SQL store fails, it saves
to memory instead and only logs an error (and a failed read starts an empty tracker). Conversations
then lose their state at the next restart, and Rasa's `/status` still says all is well. So the
probe writes one harmless event through Rasa's HTTP API (with its token) under a probe
conversation id, looks for it in the SQL store directly, and deletes it again.

One probe conversation per process, not one per check: when Rasa has fallen back to memory, the
SQL delete cannot reach what it kept there, and a monitor polling every 10 s would leave Rasa a
new conversation in memory each time, forever. With one id, Rasa's memory holds that one
conversation (its fail-safe store never reads the fallback back, so each probe replaces it rather
than adding to it). Checks of one process then share the id, so they run one at a time: two at
once would each find the other's event, or lose theirs to the other's delete.
"""

from __future__ import annotations

import threading
import uuid

from channels.privacy import TrackerStore
from channels.rasa_client import RasaClient, RasaUnavailable

PROBE_PREFIX = "healthz-probe-"
PROBE_EVENT = {"event": "action", "name": "action_listen"}


class TrackerProbe:
    """The tracker-store check of one process (several gateways sharing a Rasa get one id each)."""

    def __init__(self, rasa: RasaClient, store: TrackerStore) -> None:
        self.rasa = rasa
        self.store = store
        self.sender = PROBE_PREFIX + uuid.uuid4().hex
        self._one_at_a_time = threading.Lock()

    def check(self) -> str:
        """"up" when an event sent through Rasa lands in the store, else "down: <why>"; never raises."""
        with self._one_at_a_time:
            try:
                self.rasa.append_events(self.sender, [PROBE_EVENT])
            except RasaUnavailable as exc:
                return f"down: probe not accepted ({exc})"
            try:
                landed = bool(self.store.events(self.sender))
            finally:
                self.store.erase([self.sender])
        return "up" if landed else "down: Rasa did not save to the SQL tracker store (in-memory fallback?)"
