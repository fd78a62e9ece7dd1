"""Schema migrations of the web app's database (alembic): run at every start and by `passerelle db`.

`create_all` only ever created missing tables, so a column added to a model never reached a
database that already existed. Now each schema change is a revision under `migrations/versions/`,
applied in order and recorded in the database's `alembic_version` table.

Several gateways may start at once on one PostgreSQL (scale-out): a transaction-scoped advisory
lock makes them migrate one after the other, the later ones finding nothing left to do. SQLite
lives on one machine: a lock file beside the database does the same.
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect
from sqlalchemy import text as sql

MIGRATIONS = Path(__file__).parent / "migrations"
# The schema `create_all` made before migrations existed: such a database is adopted by stamping
# it with this revision, then upgraded like any other.
BASELINE = "0001"
_PG_LOCK_KEY = 0x5A5E_0D0B  # any constant; names the "migrating" advisory lock


def register_tables() -> None:
    """Import every module that declares tables, so that `Base.metadata` knows them all."""
    from channels import models  # noqa: F401
    from channels.console import models as console_models  # noqa: F401
    from channels.editor import models as editor_models  # noqa: F401


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrating", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """One connection in one transaction, held by one process at a time."""
    with _file_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sql("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        yield connection


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (the latest by default); adopts a pre-migrations database."""
    with _migrating(engine) as connection:
        config = _config(connection)
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and "conversations" in tables:
            command.stamp(config, BASELINE)
        command.upgrade(config, revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: not migrated yet)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    """The latest revision of `migrations/versions/`."""
    latest = ScriptDirectory.from_config(_config()).get_current_head()
    assert latest is not None
    return latest


def new_revision(message: str) -> Path:
    """Write a revision holding what the models changed since the latest one; returns its file.

    It is computed against a scratch SQLite database brought to the latest revision, so no
    server is needed; read it before committing (autogenerate misses renames, for instance).
    """
    from channels.db import make_engine

    scripts = ScriptDirectory.from_config(_config())
    number = f"{len(list(scripts.walk_revisions())) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/schema.db")
        upgrade(engine)
        with engine.begin() as connection:
            script = command.revision(_config(connection), message=message, autogenerate=True, rev_id=number)
        engine.dispose()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
