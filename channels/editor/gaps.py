"""What the knowledge base is missing: last week's unanswered questions and new rumours, grouped.

The gateway marks an inbound message `unanswered` when the assistant found no vetted entry
(the action server's signal), and stores triage's verdict, whose rumour cue without a known
myth is what the rumour radar groups. Both lists are grouped by meaning with the radar's own
grouping (`passerelle.triage.rumours.group_rumours`), so "12 people asked something like..."
becomes one line with a button to start an entry. Texts are shown with phone numbers, e-mails
and long digit runs masked: editors need the question, not who asked it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.models import Message, utcnow
from knowledge_base.embedders import Embedder
from passerelle.log_redaction import redact
from passerelle.triage.rumours import RumourGroup, group_rumours

MAX_MESSAGES = 5000  # a week of a busy deployment; the oldest beyond are left out


@dataclass(frozen=True)
class Gaps:
    """Both lists of groups, largest first."""

    unanswered: list[RumourGroup]
    rumours: list[RumourGroup]
    since: dt.datetime


def _is_rumour(meta: dict[str, Any]) -> bool:
    triage = meta.get("triage") or {}
    return bool(triage.get("rumour_cue")) and triage.get("myth_level") == "none" and not triage.get("urgent")


def recent_texts(session: Session, since: dt.datetime) -> tuple[list[str], list[str]]:
    """(unanswered questions, new rumours) received since `since`, masked."""
    rows = session.execute(select(Message.body, Message.meta).where(
        Message.direction == "in", Message.created_at >= since).order_by(Message.created_at.desc())
        .limit(MAX_MESSAGES))
    unanswered, rumours = [], []
    for body, meta in rows:
        meta = meta or {}
        if meta.get("unanswered"):
            unanswered.append(redact(body))
        if _is_rumour(meta):
            rumours.append(redact(body))
    return unanswered, rumours


def find_gaps(session: Session, embedder: Embedder, days: int, threshold: float) -> Gaps:
    """Group the last `days` days of unanswered questions and rumours by meaning."""
    since = utcnow() - dt.timedelta(days=days)
    unanswered, rumours = recent_texts(session, since)
    return Gaps(unanswered=group_rumours(unanswered, embedder, threshold),
                rumours=group_rumours(rumours, embedder, threshold), since=since)
