"""Schema migrations: the revisions build exactly the models' schema, on SQLite and PostgreSQL,
adopt a database made before migrations existed, and the `passerelle db` commands report them."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from typer.testing import CliRunner

from channels import schema
from channels.db import Base, Database
from channels.models import Conversation
from passerelle import settings as settings_module
from passerelle.cli import app
from tests.support.servers import postgres

PG_PORT = 18710


def differences(engine: Engine) -> list[object]:
    """What alembic would still have to change for the database to match the models."""
    schema.register_tables()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def sqlite(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'gateway.db'}")


def upgrade_at_once(url: str, processes: int = 3) -> None:
    """Several gateways starting together on one database, each with its own engine."""
    def start(_: int) -> None:
        db = Database(url)
        db.upgrade()
        db.engine.dispose()

    with ThreadPoolExecutor(max_workers=processes) as pool:
        list(pool.map(start, range(processes)))


def test_the_migrated_schema_is_the_models_schema_on_sqlite(tmp_path: Path) -> None:
    db = sqlite(tmp_path)
    assert schema.current(db.engine) is None
    upgrade_at_once(str(db.engine.url))
    assert schema.current(db.engine) == schema.head()
    assert differences(db.engine) == []
    db.upgrade()  # every start runs it: nothing left to do the second time
    assert schema.current(db.engine) == schema.head()


def test_a_database_made_before_migrations_is_adopted_with_its_data(tmp_path: Path) -> None:
    db = sqlite(tmp_path)
    schema.register_tables()
    Base.metadata.create_all(db.engine)  # what every start did before alembic
    with db.session() as session:
        session.add(Conversation(channel="sms", address="+33612345678", address_hash="h"))
    db.upgrade()
    assert schema.current(db.engine) == schema.head() and differences(db.engine) == []
    with db.session() as session:
        assert session.scalars(select(Conversation.address)).all() == ["+33612345678"]


def test_a_new_revision_is_empty_when_the_models_did_not_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    versions = tmp_path / "migrations"
    (versions / "versions").mkdir(parents=True)
    for name in ("env.py", "script.py.mako"):
        (versions / name).write_text((schema.MIGRATIONS / name).read_text())
    for revision in (schema.MIGRATIONS / "versions").glob("*.py"):
        (versions / "versions" / revision.name).write_text(revision.read_text())
    monkeypatch.setattr(schema, "MIGRATIONS", versions)
    written = schema.new_revision("nothing changed")
    revisions = [p for p in (schema.MIGRATIONS / "versions").glob("*.py") if p.name != "__init__.py"]
    assert written.name.startswith(f"{len(revisions):04d}_")  # numbered after the others
    body = written.read_text()
    assert "def upgrade() -> None:" in body and "op." not in body  # autogenerate found no difference


def run_cli(data_dir: Path, *args: str) -> tuple[int, str]:
    settings_module.get_settings.cache_clear()
    result = CliRunner().invoke(app, ["db", *args], env={"PASSERELLE_DATA_DIR": str(data_dir)})
    settings_module.get_settings.cache_clear()
    return result.exit_code, result.output


def test_db_current_and_upgrade_commands(tmp_path: Path) -> None:
    code, out = run_cli(tmp_path, "current")
    assert code == 1 and "none (not migrated)" in out
    code, out = run_cli(tmp_path, "upgrade")
    assert code == 0 and f"revision {schema.head()}" in out
    code, out = run_cli(tmp_path, "current")
    assert code == 0 and f"database at revision {schema.head()}; latest {schema.head()}" in out


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres(PG_PORT) as server:
        yield server.url


@pytest.mark.slow
def test_the_migrated_schema_is_the_models_schema_on_postgresql(pg_url: str) -> None:
    upgrade_at_once(pg_url)  # the advisory lock lets one migrate; the others find nothing to do
    pg_engine = Database(pg_url).engine
    assert schema.current(pg_engine) == schema.head()
    assert differences(pg_engine) == []
    assert "alembic_version" in inspect(pg_engine).get_table_names()
    pg_engine.dispose()
