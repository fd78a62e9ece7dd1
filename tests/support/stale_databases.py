"""Removing the SQLite databases a previous stack left in a test data folder.

A database is three files in WAL mode (the gateway's and, through bot/serve.py, Rasa's tracker
store): a server killed without a clean close (the fault tests use kill -9 and SIGSTOP) leaves
`-wal` and `-shm` beside it. Deleting only the main file then pairs a new, empty database with
the old log, and SQLite answers "disk I/O error": Rasa falls back to its in-memory store.
"""

from __future__ import annotations

from pathlib import Path

SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def remove_databases(data_dir: Path) -> None:
    """Delete the gateway's and Rasa's SQLite databases under `data_dir`, with their side files."""
    for database in (data_dir / "passerelle.db", data_dir / "rasa" / "tracker.db"):
        for suffix in SQLITE_SIDE_FILES:
            database.with_name(database.name + suffix).unlink(missing_ok=True)
