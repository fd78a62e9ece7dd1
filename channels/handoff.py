"""The handoff state machine: bot -> waiting -> with_mediator -> bot (handed back) or closed.

While a conversation is `waiting` or `with_mediator` the bot never speaks: the gateway stores
the person's messages for the console and sends nothing from Rasa. Rasa's tracker is told of
the pause and of the resume so that the dialogue picks up cleanly after a hand-back.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from channels.models import Conversation, ConversationState, utcnow
from channels.rasa_client import RasaClient, RasaUnavailable
from passerelle.messages import text
from passerelle.settings import Settings

log = logging.getLogger(__name__)

PRIORITY_URGENT = 2
PRIORITY_NORMAL = 1
HELD_STATES = {ConversationState.waiting.value, ConversationState.with_mediator.value}


class InvalidTransition(Exception):
    """A mediator action that does not fit the conversation's current state."""


def is_held(conversation: Conversation) -> bool:
    """Whether a human holds (or is about to hold) the conversation, so the bot stays silent."""
    return conversation.state in HELD_STATES


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
                    priority: int = PRIORITY_NORMAL, category: str | None = None) -> bool:
    """Queue the conversation for a mediator; returns False if it was already held."""
    already = is_held(conversation)
    conversation.priority = max(conversation.priority if already else 0, priority)
    if category:
        conversation.urgency_category = category
    if already:
        return False
    conversation.state = ConversationState.waiting.value
    conversation.handoff_reason = reason
    conversation.waiting_since = utcnow()
    conversation.assigned_to = None
    _tell_rasa(rasa, conversation.id, "pause")
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
