"""What a mediator does to a conversation: take it, answer it, pass it on, give it back, close it.

Each action runs in one transaction that first takes the conversation's row for writing, so two
mediators clicking at once (or a mediator and the gateway) are serialised rather than both
winning. The state machine itself is `channels.handoff`; this module adds who may do what, the
outbound messages, notes, outcomes and the audit log.

A reply is an outbound `Message` (author "mediator"): "sent" on the web simulator, where the
page shows it at once, "queued" on SMS and WhatsApp, where the channel sender delivers it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channels import handoff
from channels.console.audit import AuditAction, record
from channels.console.auth import SignedIn
from channels.console.models import Note, User
from channels.console.permissions import Permission, permissions_of
from channels.console.reply_cost import reply_cost
from channels.db import Database
from channels.models import Conversation, ConversationState, Message, utcnow
from channels.rasa_client import RasaClient
from passerelle.messages import text
from passerelle.settings import Settings

PROACTIVE_REASON = "proactive"


class Outcome(StrEnum):
    """How a mediator's work on a conversation ended."""

    answered = "answered"
    referred = "referred"
    appointment = "appointment"
    no_reply = "no_reply"


class Refused(Exception):
    """The action does not fit the conversation or the person; `problem` is a console catalogue key."""

    def __init__(self, problem: str, status: int = 409) -> None:
        super().__init__(problem)
        self.problem = problem
        self.status = status


def _lock(session: Session, conversation_id: str) -> Conversation:
    """The conversation, with its row taken for writing until the transaction ends."""
    touched = session.execute(update(Conversation).where(Conversation.id == conversation_id)
                              .values(updated_at=utcnow()).execution_options(synchronize_session=False))
    if touched.rowcount == 0:  # type: ignore[attr-defined]
        raise Refused("problem_not_found", status=404)
    conversation = session.get(Conversation, conversation_id, populate_existing=True)
    assert conversation is not None
    return conversation


def _require_holder(conversation: Conversation, actor: SignedIn) -> None:
    """A claimed conversation is acted on by its mediator (or an administrator)."""
    if (conversation.state == ConversationState.with_mediator.value
            and conversation.assigned_to != actor.user_id and not actor.can(Permission.supervise_conversations)):
        raise Refused("problem_claimed_by_other", status=403)


@contextmanager
def _holding(db: Database, actor: SignedIn, conversation_id: str,
             misfit: str) -> Iterator[tuple[Session, Conversation]]:
    """The conversation taken for writing, once the actor may act on it; a state transition that
    does not fit (`handoff.InvalidTransition`) is refused with the console catalogue key `misfit`."""
    with db.session() as session:
        conversation = _lock(session, conversation_id)
        _require_holder(conversation, actor)
        try:
            yield session, conversation
        except handoff.InvalidTransition as exc:
            raise Refused(misfit) from exc


def _require_handler(actor: SignedIn) -> None:
    if not actor.can(Permission.handle_conversations):
        raise Refused("problem_forbidden", status=403)


def outbound_status(channel: str) -> str:
    """The web simulator shows replies at once; SMS and WhatsApp replies wait for their sender."""
    return "sent" if channel == "web" else "queued"


def _add_outbound(session: Session, conversation: Conversation, body: str, author: str,
                  meta: dict[str, Any]) -> Message:
    last = session.scalar(select(Message.seq).where(Message.conversation_id == conversation.id)
                          .order_by(Message.seq.desc()).limit(1)) or 0
    message = Message(conversation_id=conversation.id, direction="out", author=author, body=body, seq=last + 1,
                      status=outbound_status(conversation.channel), meta=meta)
    session.add(message)
    session.flush()
    return message


def take_over(db: Database, actor: SignedIn, conversation_id: str, rasa: RasaClient | None) -> None:
    """Step into a conversation the bot holds: pause the bot and claim it."""
    _require_handler(actor)
    with db.session() as session:
        conversation = _lock(session, conversation_id)
        if handoff.is_held(conversation):
            raise Refused("problem_already_held")
        handoff.request_handoff(conversation, PROACTIVE_REASON, rasa=rasa)
        handoff.claim(conversation, actor.user_id)
        record(session, actor.user_id, AuditAction.take_over, conversation_id)


def claim(db: Database, actor: SignedIn, conversation_id: str) -> None:
    """Take a waiting conversation (an administrator may also take one a colleague holds)."""
    _require_handler(actor)
    with _holding(db, actor, conversation_id, "problem_not_waiting") as (session, conversation):
        if conversation.state == ConversationState.with_mediator.value and conversation.assigned_to == actor.user_id:
            raise Refused("problem_already_yours")
        handoff.claim(conversation, actor.user_id)
        record(session, actor.user_id, AuditAction.claim, conversation_id)


def release(db: Database, actor: SignedIn, conversation_id: str) -> None:
    """Put a claimed conversation back in the queue."""
    _require_handler(actor)
    with _holding(db, actor, conversation_id, "problem_not_claimed") as (session, conversation):
        handoff.release(conversation)
        record(session, actor.user_id, AuditAction.release, conversation_id)


def transfer(db: Database, actor: SignedIn, conversation_id: str, colleague_id: str) -> None:
    """Give a held conversation to another mediator."""
    _require_handler(actor)
    with _holding(db, actor, conversation_id, "problem_not_held") as (session, conversation):
        colleague = session.get(User, colleague_id) if colleague_id else None
        if (colleague is None or not colleague.active
                or Permission.handle_conversations not in permissions_of(colleague.roles or [])):
            raise Refused("problem_bad_colleague", status=400)
        if colleague.id == conversation.assigned_to:
            raise Refused("problem_already_theirs")
        before = conversation.assigned_to
        handoff.transfer(conversation, colleague.id)
        record(session, actor.user_id, AuditAction.transfer, conversation_id, to=colleague.id, previous=before)


def _outcome(value: str | None, required: bool) -> Outcome | None:
    if not value:
        if required:
            raise Refused("problem_outcome_required", status=400)
        return None
    try:
        return Outcome(value)
    except ValueError as exc:
        raise Refused("problem_outcome_required", status=400) from exc


def hand_back(db: Database, actor: SignedIn, conversation_id: str, rasa: RasaClient | None,
              outcome: str | None = None) -> None:
    """Give the conversation back to the bot and tell the person, in their language.

    Rasa's tracker is resumed before the new state is committed: a message arriving meanwhile
    still finds the conversation held, so it never reaches a paused tracker.
    """
    _require_handler(actor)
    chosen = _outcome(outcome, required=False)
    with _holding(db, actor, conversation_id, "problem_not_held") as (session, conversation):
        handoff.hand_back(conversation, rasa=rasa)
        if not conversation.opted_out:
            _add_outbound(session, conversation, text("handoff_back", conversation.language or "fr"),
                          author="system", meta={"handoff_back": True, "mediator": actor.user_id})
        record(session, actor.user_id, AuditAction.hand_back, conversation_id,
               outcome=chosen.value if chosen else None)


def close(db: Database, actor: SignedIn, conversation_id: str, rasa: RasaClient | None, outcome: str | None) -> None:
    """End the mediator's work with an outcome; the person's next message starts with the bot."""
    _require_handler(actor)
    chosen = _outcome(outcome, required=True)
    assert chosen is not None
    with _holding(db, actor, conversation_id, "problem_not_held") as (session, conversation):
        handoff.close(conversation, rasa=rasa)
        record(session, actor.user_id, AuditAction.close, conversation_id, outcome=chosen.value)


def reply(db: Database, settings: Settings, actor: SignedIn, conversation_id: str, body: str) -> str:
    """Send a reply through the conversation's channel; returns the outbound message id."""
    _require_handler(actor)
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise Refused("problem_empty_reply", status=400)
    if len(body) > settings.console_reply_max_chars:
        raise Refused("problem_reply_too_long", status=400)
    with db.session() as session:
        conversation = _lock(session, conversation_id)
        if conversation.state != ConversationState.with_mediator.value or conversation.assigned_to != actor.user_id:
            raise Refused("problem_claim_first")
        if conversation.opted_out:
            raise Refused("problem_opted_out")
        message = _add_outbound(session, conversation, body, author="mediator", meta={"mediator": actor.user_id})
        cost = reply_cost(body, conversation.channel, conversation.language or settings.default_language, settings)
        record(session, actor.user_id, AuditAction.reply, conversation_id, message_id=message.id,
               characters=cost.characters, segments=cost.segments, encoding=cost.encoding, pages=cost.pages)
        return message.id


def add_note(db: Database, settings: Settings, actor: SignedIn, conversation_id: str, body: str) -> str:
    """Keep a private note on the conversation (never sent); returns its id."""
    _require_handler(actor)
    body = body.strip()
    if not body:
        raise Refused("problem_empty_note", status=400)
    if len(body) > settings.console_note_max_chars:
        raise Refused("problem_note_too_long", status=400)
    with db.session() as session:
        _lock(session, conversation_id)
        note = Note(conversation_id=conversation_id, author_id=actor.user_id, body=body)
        session.add(note)
        session.flush()
        record(session, actor.user_id, AuditAction.note, conversation_id, note_id=note.id)
        return note.id


def record_view(db: Database, actor: SignedIn, conversation_id: str) -> None:
    """Opening a conversation is access to health data: it is logged too."""
    with db.session() as session:
        record(session, actor.user_id, AuditAction.view, conversation_id)
