"""Export, erasure and retention over the real gateway database and an SQL tracker store."""

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from channels.console.models import AuditEntry, Note
from channels.db import Database
from channels.gateway import Gateway, Inbound
from channels.models import Conversation, Message
from channels.privacy import PrivacyService, TrackerStore
from passerelle import settings as settings_module
from passerelle.cli import app
from passerelle.settings import Settings

PHONE = "+33612345678"


@pytest.fixture()
def world(settings: Settings, tmp_path: Path) -> tuple[PrivacyService, Gateway, Database, str]:
    db = Database(settings.effective_database_url)
    db.upgrade()
    gateway = Gateway(settings, db, rasa=None)
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    # The same table Rasa's SQLTrackerStore writes (only the columns we read).
    with create_engine(tracker_url).begin() as connection:
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)"))
    return PrivacyService(settings, db, TrackerStore(tracker_url)), gateway, db, tracker_url


def seed(gateway: Gateway, db: Database, tracker_url: str) -> list[str]:
    ids = []
    for channel, address in (("sms", PHONE), ("whatsapp", f"whatsapp:{PHONE}"), ("sms", "+33700000000")):
        message_id, _ = gateway.receive(Inbound(channel=channel, address=address, body=f"bonjour via {channel}"))
        gateway.process(message_id)
        with db.session() as session:
            conversation_id = session.get(Message, message_id).conversation_id
        ids.append(conversation_id)
        with create_engine(tracker_url).begin() as connection:
            connection.execute(text("INSERT INTO events (sender_id, data) VALUES (:s, :d)"),
                               {"s": conversation_id, "d": json.dumps({"event": "user", "text": "bonjour"})})
    return ids


def test_export_finds_every_channel_of_the_number_and_nothing_else(world) -> None:  # type: ignore[no-untyped-def]
    service, gateway, db, tracker_url = world
    seed(gateway, db, tracker_url)
    document = service.export(PHONE)
    assert sorted(c["channel"] for c in document["conversations"]) == ["sms", "whatsapp"]
    assert all(c["assistant_events"] for c in document["conversations"])
    assert "+33700000000" not in json.dumps(document)
    with db.session() as session:
        assert session.query(AuditEntry).filter_by(action="privacy_export").count() == 1


def test_erase_removes_messages_notes_and_tracker_events_only_for_that_person(world) -> None:  # type: ignore[no-untyped-def]
    service, gateway, db, tracker_url = world
    ids = seed(gateway, db, tracker_url)
    mine, other = ids[0], ids[2]
    with db.session() as session:
        from channels.console.models import User

        user = User(email="m@example.org", name="M", password_hash="x", roles=["mediator"])
        session.add(user)
        session.flush()
        session.add(Note(conversation_id=mine, author_id=user.id, body="appelle sa fille"))
    report = service.erase(PHONE)
    assert report.conversations == 2 and report.messages >= 2 and report.tracker_events >= 2
    with db.session() as session:
        assert session.get(Conversation, mine) is None and session.get(Conversation, other) is not None
        assert session.query(Note).count() == 0
        assert session.query(AuditEntry).filter_by(action="privacy_erase").count() == 1
    assert TrackerStore(tracker_url).events(mine) == [] and TrackerStore(tracker_url).events(other)
    assert service.export(PHONE)["conversations"] == []


def test_retention_purges_idle_conversations(world) -> None:  # type: ignore[no-untyped-def]
    service, gateway, db, tracker_url = world
    seed(gateway, db, tracker_url)
    assert service.purge_older_than(30).conversations == 0
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    assert service.purge_older_than(30, now=later).conversations == 3


def test_cli_export_and_erase(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"PASSERELLE_DATA_DIR": str(tmp_path / "var")}
    settings_module.get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["privacy", "export", PHONE], env=env)
        assert result.exit_code == 0 and json.loads(result.stdout)["conversations"] == []
        result = runner.invoke(app, ["privacy", "erase", PHONE, "--yes"], env=env)
        assert result.exit_code == 0 and "erased 0 conversations" in result.stdout
    finally:
        settings_module.get_settings.cache_clear()
