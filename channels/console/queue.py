"""The mediators' queue: every held conversation, urgent first, then the longest waiting.

Three queries whatever the queue's length (conversations, their messages since the handoff,
the mediators' names), so 500 open conversations still render in well under a second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from channels.console.users import names_of
from channels.handoff import HELD_STATES, PRIORITY_URGENT
from channels.models import Conversation, ConversationState, Message, utcnow

View = Literal["all", "waiting", "mine"]
VIEWS: tuple[View, ...] = ("all", "waiting", "mine")
PREVIEW_CHARS = 140


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without their zone; they are stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Flag:
    """Something triage noticed: kind "urgent", "myth", "myth_possible" or "rumour"."""

    kind: str
    value: str = ""


@dataclass(frozen=True)
class QueueItem:
    """One line of the queue."""

    id: str
    channel: str
    language: str | None
    state: str
    reason: str | None
    urgent: bool
    urgency_category: str | None
    waiting_since: dt.datetime
    waiting_minutes: int
    late: bool
    assigned_name: str | None
    mine: bool
    preview: str
    messages_waiting: int
    flags: list[Flag] = field(default_factory=list)


def triage_flags(metas: list[dict[str, Any]]) -> list[Flag]:
    """Distinct flags from the `triage` verdicts stored on inbound messages, in first-seen order."""
    flags: list[Flag] = []
    for meta in metas:
        verdict = (meta or {}).get("triage") or {}
        found = []
        if verdict.get("urgent"):
            found.append(Flag("urgent", verdict.get("category") or ""))
        if verdict.get("myth"):  # "correct": the bot corrected it; "possible": a weak match, worth a look
            kind = "myth" if verdict.get("myth_level", "correct") == "correct" else "myth_possible"
            found.append(Flag(kind, str(verdict["myth"])))
        if verdict.get("rumour_cue") and not verdict.get("myth"):
            found.append(Flag("rumour"))
        flags += [f for f in found if f not in flags]
    return flags


def open_queue(session: Session, target_minutes: int, viewer_id: str, view: View = "all",
               now: dt.datetime | None = None) -> list[QueueItem]:
    """Held conversations as the queue shows them, urgent first then by waiting time."""
    now = now or utcnow()
    query = select(Conversation).where(Conversation.state.in_(HELD_STATES))
    if view == "waiting":
        query = query.where(Conversation.state == ConversationState.waiting.value)
    elif view == "mine":
        query = query.where(Conversation.assigned_to == viewer_id)
    conversations = list(session.scalars(query))
    if not conversations:
        return []
    ids = [c.id for c in conversations]
    # Messages since each handoff only (the one that caused it was stored just before, and
    # processed just after): what the mediator has to read, and bounded.
    rows = session.execute(
        select(Message.conversation_id, Message.seq, Message.body, Message.meta)
        .join(Conversation, and_(Conversation.id == Message.conversation_id,
                                 or_(Message.created_at >= Conversation.waiting_since,
                                     Message.processed_at >= Conversation.waiting_since)))
        .where(Message.direction == "in", Message.conversation_id.in_(ids))
        .order_by(Message.conversation_id, Message.seq))
    inbound: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for conversation_id, _seq, body, meta in rows:
        inbound.setdefault(conversation_id, []).append((body, meta or {}))
    assigned = {c.assigned_to for c in conversations if c.assigned_to}
    names = names_of(session, assigned)

    items = []
    for c in conversations:
        since = aware(c.waiting_since or c.updated_at or now)
        minutes = max(0, int((now - since).total_seconds() // 60))
        messages = inbound.get(c.id, [])
        last = messages[-1][0] if messages else ""
        items.append(QueueItem(
            id=c.id, channel=c.channel, language=c.language, state=c.state, reason=c.handoff_reason,
            urgent=c.priority >= PRIORITY_URGENT, urgency_category=c.urgency_category,
            waiting_since=since, waiting_minutes=minutes,
            late=c.state == ConversationState.waiting.value and minutes >= target_minutes,
            assigned_name=names.get(c.assigned_to or ""),
            mine=c.assigned_to == viewer_id,
            preview=last if len(last) <= PREVIEW_CHARS else last[: PREVIEW_CHARS - 1] + "…",
            messages_waiting=len(messages), flags=triage_flags([meta for _, meta in messages])))
    items.sort(key=lambda item: (not item.urgent, item.waiting_since))
    return items


def bot_conversations(session: Session, limit: int = 50) -> list[Conversation]:
    """Recent conversations the bot holds, for a mediator who wants to step in proactively."""
    query = (select(Conversation).where(Conversation.state.in_([ConversationState.bot.value,
                                                                ConversationState.closed.value]))
             .order_by(Conversation.last_inbound_at.desc()).limit(limit))
    return list(session.scalars(query))
