"""Run by tests/bot/test_serve.py with the Rasa environment's Python: installs `bot.serve`'s fixes
in a fresh process and prints, as JSON, what Rasa's own code then does with them.

Usage: python rasa_serve_check.py SQLITE_FILE
"""

from __future__ import annotations

import asyncio
import json
import sys
from types import SimpleNamespace

from jsonschema import ValidationError
from rasa import server
from rasa.core import tracker_store
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import serve

VALID = {"events": [{"event": "slot", "timestamp": None, "name": "language", "value": "fr"}],
         "responses": [{"text": "Allez sur monespacesante.fr", "custom": {}}]}
INVALID = {"events": [{"event": "slot", "timestamp": "yesterday"}], "responses": "not a list"}


def main() -> None:
    rasa_check = RemoteAction._validate_action_result
    report: dict[str, object] = {"installed": serve.validate_action_responses_once()}
    report["replaced"] = RemoteAction._validate_action_result is not rasa_check
    action = RemoteAction("action_answer_question", None)
    report["valid"] = action._validate_action_result(VALID)
    try:
        action._validate_action_result(INVALID)
        report["invalid"] = "accepted"
    except ValidationError as error:
        report["invalid"] = error.message

    report["events_installed"] = serve.validate_posted_events_once() and serve.validate_posted_events_once()
    server.validate_events_in_request_body(SimpleNamespace(json=[{"event": "pause"}, {"event": "resume"}]))
    server.validate_events_in_request_body(SimpleNamespace(json={"event": "pause"}))  # one event, not a list
    try:
        server.validate_events_in_request_body(SimpleNamespace(json=[{"event": "pause", "timestamp": "now"}]))
        report["invalid_events"] = "accepted"
    except server.ErrorResponse as error:
        report["invalid_events"] = error.error_info["message"]

    serve.sqlite_write_ahead_log()
    serve.sqlite_write_ahead_log()  # idempotent: one listener
    report["pooled"] = serve.pool_sqlite_connections() and serve.pool_sqlite_connections()
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=sys.argv[1])
    report["pool"] = type(store.engine.pool).__name__
    with store.engine.connect() as connection:
        report["journal_mode"] = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        report["synchronous"] = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    tracker = DialogueStateTracker.from_events("person-1", [UserUttered("bonjour")])
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # the same events again: stored once
    report["events_kept"] = len(asyncio.run(store.retrieve("person-1")).events)
    report["postgres_kwargs"] = sorted(tracker_store.create_engine_kwargs("postgresql://u:p@db/rasa"))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
