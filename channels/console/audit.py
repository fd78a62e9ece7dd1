"""The audit log: one row per thing a person does in a console, never the text of a message."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.console.models import AuditEntry, User


class AuditAction(StrEnum):
    """Everything the log records."""

    login = "login"
    login_failed = "login_failed"
    login_blocked = "login_blocked"
    logout = "logout"
    view = "view"
    take_over = "take_over"
    claim = "claim"
    release = "release"
    transfer = "transfer"
    hand_back = "hand_back"
    close = "close"
    reply = "reply"
    note = "note"
    # content console: `details` name the entry and the version
    kb_create = "kb_create"
    kb_save = "kb_save"
    kb_submit = "kb_submit"
    kb_publish = "kb_publish"
    kb_changes = "kb_changes"
    kb_withdraw = "kb_withdraw"
    kb_rollback = "kb_rollback"


def record(session: Session, actor_id: str | None, action: AuditAction, conversation_id: str | None = None,
           **details: Any) -> None:
    """Append one entry; `details` holds ids, counts and codes only."""
    session.add(AuditEntry(actor_id=actor_id, action=action.value, conversation_id=conversation_id,
                           details=details))


@dataclass(frozen=True)
class AuditLine:
    """One entry as the administrators' page shows it."""

    entry: AuditEntry
    actor: str


def recent_entries(session: Session, limit: int = 200, conversation_id: str | None = None) -> list[AuditLine]:
    """The latest entries first, with the actor's e-mail."""
    query = (select(AuditEntry, User.email).outerjoin(User, User.id == AuditEntry.actor_id)
             .order_by(AuditEntry.id.desc()).limit(limit))
    if conversation_id is not None:
        query = query.where(AuditEntry.conversation_id == conversation_id)
    return [AuditLine(entry=entry, actor=email or "") for entry, email in session.execute(query)]
