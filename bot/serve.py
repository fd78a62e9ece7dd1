"""`python -m bot.serve run ...` is `rasa run ...` without two costs Rasa 3.6 adds to every message.

Rasa answers every message on one event loop, so whatever it spends per message caps the whole
assistant's throughput. Profiled under load (`evaluation/load/twilio_load.py` with py-spy), two
costs had nothing to do with understanding the message:

- **The action server's answer was checked against a constant JSON schema by
  `jsonschema.validate`, which first validates that schema itself against its meta-schema, on
  every call**: ~20 ms of CPU per message, about 40% of Rasa's time. The same check now runs with
  a validator built once; a response it rejects is handed to Rasa's own check, which raises
  Rasa's own error as before. Events posted to the HTTP API (the gateway's pause and resume at
  every handoff, the health probe) went through the same `jsonschema.validate`: 18.7 ms of CPU
  per request, 0.26 ms with the validator built once; a body it rejects gets Rasa's own 400.
- **The SQLite tracker store opened and closed a connection for every read and write** (SQLAlchemy
  1.4 gives file databases no pool) and committed in rollback-journal mode: several fsyncs per
  commit, with the event loop blocked meanwhile. It now keeps its connections in a small pool,
  with write-ahead logging and `synchronous=NORMAL` as the gateway's own database does: a process
  crash loses nothing committed; a power cut may lose the last turns of the tracker (the
  gateway's database, the record of every message, is not affected). PostgreSQL is untouched.

Each fix checks that it applies to the installed Rasa and skips itself, with a warning in
the log, if a Rasa upgrade moved what they fix.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)


def _validator(schema: dict[str, Any]) -> Any:
    from jsonschema.validators import validator_for

    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, not per message
    return validator_class(schema)


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from rasa.core.actions.action import RemoteAction

    return _validator(RemoteAction.action_response_format_spec())


def validate_action_responses_once() -> bool:
    """Check action server responses with one prebuilt validator; True if installed."""
    from rasa.core.actions.action import RemoteAction

    rasa_check = getattr(RemoteAction, "_validate_action_result", None)
    if rasa_check is None or not hasattr(RemoteAction, "action_response_format_spec"):
        log.warning("rasa's action response check has moved: left as it is")
        return False

    def validate(self: Any, result: dict[str, Any]) -> bool:
        if _action_response_validator().is_valid(result):
            return True
        return bool(rasa_check(self, result))  # raises Rasa's own ValidationError and message

    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]
    return True


def validate_posted_events_once() -> bool:
    """Check events posted to Rasa's HTTP API with one prebuilt validator; True if installed."""
    from rasa import server

    rasa_check = getattr(server, "validate_events_in_request_body", None)
    schema = getattr(server, "EVENTS_SCHEMA", None)
    if rasa_check is None or schema is None:
        log.warning("rasa's check of posted events has moved: left as it is")
        return False
    if getattr(rasa_check, "prebuilt", False):
        return True
    events_validator = _validator(schema)

    def validate(request: Any) -> None:
        body = request.json
        if events_validator.is_valid(body if isinstance(body, list) else [body]):
            return
        rasa_check(request)  # raises Rasa's own 400 and message

    validate.prebuilt = True  # type: ignore[attr-defined]
    server.validate_events_in_request_body = validate  # the routes look the name up at each call
    return True


def _sqlite_write_ahead(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def sqlite_write_ahead_log() -> None:
    """Every SQLite connection Rasa opens (its tracker store) logs ahead and syncs less often."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_write_ahead):
        event.listen(Engine, "connect", _sqlite_write_ahead)


def pool_sqlite_connections() -> bool:
    """The SQL tracker store keeps its SQLite connections open between uses; True if installed."""
    from rasa.core import tracker_store
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import QueuePool

    rasa_kwargs = getattr(tracker_store, "create_engine_kwargs", None)
    if rasa_kwargs is None:
        log.warning("rasa's tracker store engine options have moved: left as they are")
        return False
    if getattr(rasa_kwargs, "pools_sqlite", False):
        return True

    def engine_kwargs(url: Any) -> dict[str, Any]:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            return {"poolclass": QueuePool, "pool_size": 2, "max_overflow": 8,
                    "connect_args": {"check_same_thread": False}}
        return dict(rasa_kwargs(url))

    engine_kwargs.pools_sqlite = True  # type: ignore[attr-defined]
    tracker_store.create_engine_kwargs = engine_kwargs
    return True


def main() -> None:
    """Install both fixes, then hand the command line to Rasa's own entry point."""
    sqlite_write_ahead_log()
    pool_sqlite_connections()
    validate_action_responses_once()
    validate_posted_events_once()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    sys.exit(rasa_main())


if __name__ == "__main__":
    main()
