"""What the conversation page shows: the full transcript and a short summary of it.

Bot answers carry the vetted entry (id, topic, version) they came from, so a mediator can see
exactly what the person was told and from which version of the content; a numbered list of
likely topics carries the entries it offered, so a bare "2" after it reads sensibly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.console.models import Note
from channels.console.queue import Flag, aware, triage_flags
from channels.console.users import names_of
from channels.models import Conversation, Message


@dataclass(frozen=True)
class Line:
    """One message of the transcript."""

    id: str
    at: dt.datetime
    direction: str
    author: str
    author_name: str | None
    body: str
    status: str
    entry: dict[str, Any] | None
    flags: list[Flag]
    suggested: list[str] = field(default_factory=list)  # entries offered as a numbered list ("1, 2 or 3?")


@dataclass(frozen=True)
class EntryUsed:
    """A vetted entry the bot answered with."""

    id: str
    topic: str
    version: int | None
    times: int


@dataclass(frozen=True)
class Summary:
    """The short version: what it is about and what the bot already said."""

    topic: str | None
    language: str | None
    bot_messages: int
    entries: list[EntryUsed]
    flags: list[Flag]


@dataclass(frozen=True)
class NoteLine:
    """A private note with its author's name."""

    note: Note
    author_name: str


@dataclass
class ConversationPage:
    """Everything the conversation page needs, read in one session."""

    conversation: Conversation
    lines: list[Line]
    summary: Summary
    notes: list[NoteLine] = field(default_factory=list)
    assigned_name: str | None = None
    search_hint: str = ""


def summarise(conversation: Conversation, messages: list[Message]) -> Summary:
    """Topic (the latest entry answered, else the urgency), language, and the bot's answers."""
    bot = [m for m in messages if m.direction == "out" and m.author == "bot"]
    used: dict[str, EntryUsed] = {}
    topic = None
    for message in bot:
        entry = (message.meta or {}).get("entry")
        if isinstance(entry, dict) and entry.get("id"):
            before = used.get(entry["id"])
            used[entry["id"]] = EntryUsed(id=str(entry["id"]), topic=str(entry.get("topic") or ""),
                                          version=entry.get("version"), times=(before.times + 1) if before else 1)
            topic = str(entry.get("topic") or "") or topic
    flags = triage_flags([m.meta or {} for m in messages if m.direction == "in"])
    if topic is None:
        topic = conversation.urgency_category or next((f.value for f in flags if f.kind == "myth"), None)
    return Summary(topic=topic, language=conversation.language, bot_messages=len(bot),
                   entries=list(used.values()), flags=flags)


def _suggested(message: Message) -> list[str]:
    """The entry ids a bot reply offered as a numbered list, so the mediator sees what "2" picked."""
    suggested = (message.meta or {}).get("suggested")
    return [str(entry_id) for entry_id in suggested] if isinstance(suggested, list) else []


def conversation_page(session: Session, conversation_id: str) -> ConversationPage | None:
    """The conversation with its transcript, summary and notes, or None if there is no such id."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    messages = list(session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                                    .order_by(Message.seq, Message.created_at)))
    mediator_ids = {str((m.meta or {}).get("mediator")) for m in messages if m.author == "mediator"}
    notes = list(session.scalars(select(Note).where(Note.conversation_id == conversation_id)
                                 .order_by(Note.created_at)))
    people = mediator_ids | {n.author_id for n in notes}
    if conversation.assigned_to:
        people.add(conversation.assigned_to)
    names = names_of(session, people)
    lines = [Line(id=m.id, at=aware(m.created_at), direction=m.direction, author=m.author,
                  author_name=names.get(str((m.meta or {}).get("mediator"))) if m.author == "mediator" else None,
                  body=m.body, status=m.status,
                  entry=(m.meta or {}).get("entry") if isinstance((m.meta or {}).get("entry"), dict) else None,
                  flags=triage_flags([m.meta or {}]) if m.direction == "in" else [],
                  suggested=_suggested(m))
             for m in messages]
    # Suggested snippets search the person's latest real question, not a keyword like HUMAIN.
    questions = [m.body for m in messages if m.direction == "in" and len(m.body.split()) > 1]
    return ConversationPage(
        conversation=conversation, lines=lines, summary=summarise(conversation, messages),
        notes=[NoteLine(note=n, author_name=names.get(n.author_id, "")) for n in notes],
        assigned_name=names.get(conversation.assigned_to or ""),
        search_hint=questions[-1] if questions else "")
