"""The handoff state machine: bot -> waiting -> with_mediator -> bot (handed back) or closed.

While a conversation is `waiting` or `with_mediator` the bot never speaks: the gateway stores
the person's messages for the console and sends nothing from Rasa. Rasa's tracker is told of
the pause and of the resume so that the dialogue picks up cleanly after a hand-back.

One exception: a conversation queued only because the assistant was unavailable
(`ASSISTANT_DOWN`) goes back to the bot by itself when the assistant answers, unless a mediator
took it first (`bot_takes_turn`). Any other reason to queue it replaces that one, so it then
stays with the mediators.

The gateway's copy of a conversation is loaded before triage and Rasa, seconds before it is
written back; a mediator may claim or take it over meanwhile. So the gateway changes its handoff
state only through the functions that take the row and decide on its current state (`escalate`,
`bot_takes_turn`, `assistant_unavailable`), never by writing its copy back.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from sqlalchemy import and_, event, or_, update
from sqlalchemy.orm import Session

from channels.models import Conversation, ConversationState, utcnow
from channels.rasa_client import RasaClient, RasaUnavailable
from passerelle.messages import text
from passerelle.settings import Settings

log = logging.getLogger(__name__)

PRIORITY_URGENT = 2
PRIORITY_NORMAL = 1
HELD_STATES = {ConversationState.waiting.value, ConversationState.with_mediator.value}
ASSISTANT_DOWN = "assistant_down"  # queued because Rasa or the action server did not answer
HANDOFF_FIELDS = ["state", "handoff_reason", "waiting_since", "assigned_to", "priority", "urgency_category"]


class InvalidTransition(Exception):
    """A mediator action that does not fit the conversation's current state."""


def is_held(conversation: Conversation) -> bool:
    """Whether a human holds (or is about to hold) the conversation, so the bot stays silent."""
    return conversation.state in HELD_STATES


def awaiting_assistant(conversation: Conversation) -> bool:
    """Whether the conversation waits only for the assistant to come back (no mediator holds it)."""
    return (conversation.state == ConversationState.waiting.value
            and conversation.handoff_reason == ASSISTANT_DOWN)


def mediators_on_duty(settings: Settings, now: dt.datetime | None = None) -> bool:
    """Whether `now` falls in the configured working hours (local time)."""
    local = (now or utcnow()).astimezone(ZoneInfo(settings.timezone))
    return (local.weekday() in settings.working_days
            and settings.working_start_hour <= local.hour < settings.working_end_hour)


def waiting_notice(settings: Settings, language: str, now: dt.datetime | None = None) -> str:
    """What the person is told once when their conversation is handed to a human."""
    if mediators_on_duty(settings, now):
        return text("handoff_waiting", language, minutes=settings.mediator_target_minutes)
    return text("handoff_closed", language, hours=settings.working_hours)


def _tell_rasa(rasa: RasaClient | None, conversation_id: str, event: str) -> None:
    if rasa is None:
        return
    try:
        rasa.append_events(conversation_id, [{"event": event}])
    except RasaUnavailable:
        # The gateway's state is authoritative: it never forwards messages while held, so a
        # tracker that missed the pause cannot make the bot speak.
        log.warning("could not send %s to the Rasa tracker", event)


def request_handoff(conversation: Conversation, reason: str, *, rasa: RasaClient | None,
                    priority: int = PRIORITY_NORMAL, category: str | None = None,
                    since: dt.datetime | None = None) -> bool:
    """Queue the conversation for a mediator; returns False if it was already held.

    `since` backdates the wait to the message that could not be answered, so the queue shows
    that message and counts the person's real waiting time.
    """
    already = is_held(conversation)
    conversation.priority = max(conversation.priority if already else 0, priority)
    if category:
        conversation.urgency_category = category
    if already:
        if not awaiting_assistant(conversation) or reason == ASSISTANT_DOWN:
            return False
        # A real reason (urgent, asked for a person...) must keep the conversation with the
        # mediators when the assistant comes back.
        conversation.handoff_reason = reason
        _tell_rasa(rasa, conversation.id, "pause")
        return True
    conversation.state = ConversationState.waiting.value
    conversation.handoff_reason = reason
    conversation.waiting_since = since or utcnow()
    conversation.assigned_to = None
    _tell_rasa(rasa, conversation.id, "pause")
    return True


def escalate(session: Session, conversation: Conversation, reason: str, *, rasa: RasaClient | None,
             priority: int = PRIORITY_NORMAL, category: str | None = None) -> bool:
    """`request_handoff` for the gateway: on the conversation as it is now, Rasa told after the commit.

    The row is taken (PostgreSQL's row lock, SQLite's writer lock) and its handoff state read again
    before the transition, so a claim or take-over made since the gateway loaded it stands: the
    mediator keeps the conversation (flagged urgent in the queue if this is an emergency). Rasa is
    told of the pause once the handoff is committed, outside the transaction: a slow Rasa delays
    neither the stored emergency answer nor the queue and holds no lock, and a pause that fails is
    harmless (see `_tell_rasa`).
    """
    session.execute(update(Conversation).where(Conversation.id == conversation.id)
                    .values(updated_at=utcnow()).execution_options(synchronize_session=False))
    session.refresh(conversation, HANDOFF_FIELDS)
    if not request_handoff(conversation, reason, rasa=None, priority=priority, category=category):
        return False
    conversation_id = conversation.id
    event.listen(session, "after_commit", lambda _: _tell_rasa(rasa, conversation_id, "pause"), once=True)
    return True


def bot_takes_turn(session: Session, conversation: Conversation) -> bool:
    """Whether the bot may send the answer it just got; lifts an "assistant unavailable" wait.

    Rasa can take seconds, and a mediator may claim the conversation meanwhile. This conditional
    update checks the state and takes the row (PostgreSQL's row lock, SQLite's writer lock) until
    the commit: a mediator's claim either committed first, and the bot stays silent, or waits and
    then finds the conversation back with the bot (and out of the queue).
    """
    bot_states = [ConversationState.bot.value, ConversationState.closed.value]
    cleared = {"state": ConversationState.bot.value, "priority": 0, "handoff_reason": None,
               "waiting_since": None, "assigned_to": None, "urgency_category": None}
    taken = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id,
               or_(Conversation.state.in_(bot_states),
                   and_(Conversation.state == ConversationState.waiting.value,
                        Conversation.handoff_reason == ASSISTANT_DOWN)))
        .values(**cleared, updated_at=utcnow()).execution_options(synchronize_session=False))
    if taken.rowcount == 0:  # type: ignore[attr-defined]
        return False
    for name, value in cleared.items():  # what the rest of this transaction reads
        setattr(conversation, name, value)
    return True


def assistant_unavailable(session: Session, conversation: Conversation, since: dt.datetime) -> bool:
    """Queue the conversation as waiting for the assistant, unless a mediator took it meanwhile.

    Called when Rasa failed to answer, which can take `PASSERELLE_RASA_TIMEOUT_S`: the gateway's
    copy of the conversation is as it was before the call, and writing it back would undo a
    mediator's claim or take-over made meanwhile (and tell the person "a mediator will answer"
    while one already does). So, like `bot_takes_turn`, this is a conditional update that takes
    the row. Returns False when a person holds the conversation now: the message is theirs.
    """
    bot_states = [ConversationState.bot.value, ConversationState.closed.value]
    queued = {"state": ConversationState.waiting.value, "handoff_reason": ASSISTANT_DOWN, "waiting_since": since,
              "assigned_to": None, "priority": PRIORITY_NORMAL}
    newly = session.execute(
        update(Conversation).where(Conversation.id == conversation.id, Conversation.state.in_(bot_states))
        .values(**queued, updated_at=utcnow()).execution_options(synchronize_session=False))
    if newly.rowcount == 0:  # type: ignore[attr-defined]
        still = session.execute(
            update(Conversation).where(Conversation.id == conversation.id,
                                       Conversation.state == ConversationState.waiting.value,
                                       Conversation.handoff_reason == ASSISTANT_DOWN)
            .values(updated_at=utcnow()).execution_options(synchronize_session=False))
        if still.rowcount == 0:  # type: ignore[attr-defined]
            return False
        session.refresh(conversation, HANDOFF_FIELDS)
        return True
    for name, value in queued.items():  # what the rest of this transaction reads
        setattr(conversation, name, value)
    return True


def claim(conversation: Conversation, mediator: str) -> None:
    """A mediator takes the conversation."""
    if conversation.state not in HELD_STATES:
        raise InvalidTransition("only a waiting conversation can be claimed")
    conversation.state = ConversationState.with_mediator.value
    conversation.assigned_to = mediator


def release(conversation: Conversation) -> None:
    """The mediator puts the conversation back in the queue."""
    if conversation.state != ConversationState.with_mediator.value:
        raise InvalidTransition("only a claimed conversation can be released")
    conversation.state = ConversationState.waiting.value
    conversation.assigned_to = None


def transfer(conversation: Conversation, colleague: str) -> None:
    """Hand the conversation to another mediator."""
    if conversation.state not in HELD_STATES:
        raise InvalidTransition("only a held conversation can be transferred")
    conversation.state = ConversationState.with_mediator.value
    conversation.assigned_to = colleague


def hand_back(conversation: Conversation, *, rasa: RasaClient | None) -> None:
    """Give the conversation back to the bot."""
    if conversation.state not in HELD_STATES:
        raise InvalidTransition("only a held conversation can be handed back")
    conversation.state = ConversationState.bot.value
    conversation.priority = 0
    conversation.assigned_to = None
    conversation.waiting_since = None
    conversation.handoff_reason = None
    conversation.urgency_category = None
    _tell_rasa(rasa, conversation.id, "resume")


def close(conversation: Conversation, *, rasa: RasaClient | None) -> None:
    """End the mediator's work on the conversation; the next message starts with the bot."""
    if conversation.state not in HELD_STATES:
        raise InvalidTransition("only a held conversation can be closed")
    hand_back(conversation, rasa=rasa)
    conversation.state = ConversationState.closed.value
