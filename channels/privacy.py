"""Access, erasure and retention of a person's data (GDPR articles 15 and 17, and storage limits).

A person is found by their phone number through its keyed hash, on every channel (SMS and
WhatsApp share the number). Their data lives in two stores we control: the gateway database
(conversations, messages, mediators' notes) and Rasa's tracker store (events keyed by the
conversation id). Logs hold no personal data (see passerelle/log_redaction.py), so there is
nothing to erase there. Every request leaves an audit entry without personal data in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, create_engine, delete, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from channels.console.models import AuditEntry, Note
from channels.db import Database
from channels.models import Conversation, Message, utcnow
from passerelle.secrets import pseudonym_key, pseudonymise
from passerelle.settings import Settings


@dataclass
class ErasureReport:
    """What an erasure or a retention run removed (counts only)."""

    conversations: int
    messages: int
    tracker_events: int


class TrackerStore:
    """Rasa's SQL tracker store, read and purged directly: Rasa's HTTP API cannot delete events."""

    def __init__(self, url: str) -> None:
        self._engine: Engine = create_engine(url)

    def events(self, conversation_id: str) -> list[dict[str, Any]]:
        """The raw events of one conversation (empty if the store or the table does not exist)."""
        try:
            with self._engine.connect() as connection:
                rows = connection.execute(text("SELECT data FROM events WHERE sender_id = :id ORDER BY id"),
                                          {"id": conversation_id})
                return [{"data": row[0]} for row in rows]
        except (OperationalError, ProgrammingError):
            return []

    def erase(self, conversation_ids: list[str]) -> int:
        """Delete every event of these conversations; returns how many rows went."""
        if not conversation_ids:
            return 0
        statement = text("DELETE FROM events WHERE sender_id IN :ids").bindparams(bindparam("ids", expanding=True))
        try:
            with self._engine.begin() as connection:
                return int(connection.execute(statement, {"ids": conversation_ids}).rowcount or 0)
        except (OperationalError, ProgrammingError):
            return 0


class PrivacyService:
    """Export and erase one person's data; purge conversations past the retention period."""

    def __init__(self, settings: Settings, db: Database, tracker: TrackerStore) -> None:
        self.settings = settings
        self.db = db
        self.tracker = tracker
        self._key = pseudonym_key(settings)

    def _conversation_ids(self, phone: str) -> list[str]:
        digest = pseudonymise(phone, self._key)
        with self.db.session() as session:
            return list(session.scalars(select(Conversation.id).where(Conversation.address_hash == digest)))

    def _audit(self, action: str, details: dict[str, Any]) -> None:
        with self.db.session() as session:
            session.add(AuditEntry(actor_id=None, action=action, details=details))

    def export(self, phone: str) -> dict[str, Any]:
        """Everything stored about the person with this number, as one JSON-ready document."""
        ids = self._conversation_ids(phone)
        conversations = []
        with self.db.session() as session:
            for conversation in session.scalars(select(Conversation).where(Conversation.id.in_(ids))):
                notes = session.scalars(select(Note).where(Note.conversation_id == conversation.id))
                conversations.append({
                    "channel": conversation.channel,
                    "language": conversation.language,
                    "state": conversation.state,
                    "opted_out": conversation.opted_out,
                    "created_at": conversation.created_at.isoformat(),
                    "messages": [{"direction": m.direction, "author": m.author, "text": m.body,
                                  "status": m.status, "at": m.created_at.isoformat()}
                                 for m in conversation.messages],
                    "mediator_notes": [{"text": n.body, "at": n.created_at.isoformat()} for n in notes],
                    "assistant_events": self.tracker.events(conversation.id),
                })
        self._audit("privacy_export", {"conversations": len(conversations)})
        return {"exported_at": utcnow().isoformat(), "conversations": conversations}

    def erase(self, phone: str) -> ErasureReport:
        """Delete the person's conversations, messages, notes and assistant events."""
        report = self._delete(self._conversation_ids(phone))
        self._audit("privacy_erase", {"conversations": report.conversations, "messages": report.messages,
                                      "tracker_events": report.tracker_events})
        return report

    def purge_older_than(self, days: int, now: dt.datetime | None = None) -> ErasureReport:
        """Retention: delete conversations with no activity for `days` days."""
        cutoff = (now or utcnow()) - dt.timedelta(days=days)
        with self.db.session() as session:
            ids = list(session.scalars(select(Conversation.id).where(or_(
                Conversation.last_inbound_at < cutoff,
                Conversation.last_inbound_at.is_(None) & (Conversation.created_at < cutoff)))))
        report = self._delete(ids)
        self._audit("retention_purge", {"days": days, "conversations": report.conversations,
                                        "messages": report.messages})
        return report

    def _delete(self, ids: list[str]) -> ErasureReport:
        if not ids:
            return ErasureReport(0, 0, 0)
        with self.db.session() as session:
            messages = len(list(session.scalars(select(Message.id).where(Message.conversation_id.in_(ids)))))
            session.execute(delete(Note).where(Note.conversation_id.in_(ids)))
            session.execute(delete(Message).where(Message.conversation_id.in_(ids)))
            for entry in session.scalars(select(AuditEntry).where(AuditEntry.conversation_id.in_(ids))):
                entry.details = {}  # keep who did what and when, drop any content
            session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
        return ErasureReport(len(ids), messages, self.tracker.erase(ids))
