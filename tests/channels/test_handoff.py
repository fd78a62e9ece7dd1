"""The handoff state machine on its own (no Rasa: the gateway's state is authoritative)."""

import pytest

from channels import handoff
from channels.models import Conversation, ConversationState


def conversation() -> Conversation:
    return Conversation(id="c1", channel="sms", address="+33600000000", address_hash="h",
                        state=ConversationState.bot.value, priority=0)


def test_full_cycle() -> None:
    conv = conversation()
    assert handoff.request_handoff(conv, "asked", rasa=None)
    assert conv.state == "waiting" and handoff.is_held(conv)
    assert not handoff.request_handoff(conv, "asked", rasa=None)  # told once only
    handoff.claim(conv, "mediator-1")
    assert conv.state == "with_mediator" and conv.assigned_to == "mediator-1"
    handoff.transfer(conv, "mediator-2")
    assert conv.assigned_to == "mediator-2"
    handoff.release(conv)
    assert conv.state == "waiting" and conv.assigned_to is None
    handoff.claim(conv, "mediator-1")
    handoff.hand_back(conv, rasa=None)
    assert conv.state == "bot" and not handoff.is_held(conv)


def test_urgent_raises_priority_even_when_already_waiting() -> None:
    conv = conversation()
    handoff.request_handoff(conv, "asked", rasa=None)
    handoff.request_handoff(conv, "urgent", rasa=None, priority=handoff.PRIORITY_URGENT, category="suicide")
    assert conv.priority == handoff.PRIORITY_URGENT and conv.urgency_category == "suicide"


def test_invalid_transitions_are_refused() -> None:
    conv = conversation()
    with pytest.raises(handoff.InvalidTransition):
        handoff.claim(conv, "m")
    with pytest.raises(handoff.InvalidTransition):
        handoff.hand_back(conv, rasa=None)


def test_waiting_for_the_assistant_gives_way_to_any_real_reason() -> None:
    conv = conversation()
    assert handoff.request_handoff(conv, handoff.ASSISTANT_DOWN, rasa=None)
    assert handoff.awaiting_assistant(conv) and handoff.is_held(conv)
    assert not handoff.request_handoff(conv, handoff.ASSISTANT_DOWN, rasa=None)  # the same outage
    since = conv.waiting_since
    assert handoff.request_handoff(conv, "urgent", rasa=None, priority=handoff.PRIORITY_URGENT, category="cardiac")
    assert (conv.handoff_reason, conv.priority, conv.waiting_since) == ("urgent", handoff.PRIORITY_URGENT, since)
    assert not handoff.awaiting_assistant(conv)  # stays with the mediators when the assistant is back
    assert not handoff.request_handoff(conv, "asked", rasa=None)
    handoff.claim(conv, "mediator-1")
    assert not handoff.awaiting_assistant(conv)
