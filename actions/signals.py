"""Structured signals from actions to the gateway, carried as custom payloads in Rasa replies.

Handoff, opt-out and language changes are the gateway's to carry out (it owns the conversation
state and the channel), so actions only announce them; data keeps flowing one way.
"""

from __future__ import annotations

from typing import Any

KEY = "passerelle"


def handoff(reason: str) -> dict[str, Any]:
    """Ask the gateway to hand the conversation to a mediator."""
    return {KEY: {"handoff": reason}}


def opt_out() -> dict[str, Any]:
    """Tell the gateway the person no longer wants messages."""
    return {KEY: {"opt_out": True}}


def language(code: str) -> dict[str, Any]:
    """Tell the gateway the conversation's language changed."""
    return {KEY: {"language": code}}


def answered(entry_id: str, topic: str, version: int) -> dict[str, Any]:
    """Tell the gateway which vetted entry (and version) the answer came from."""
    return {KEY: {"entry": {"id": entry_id, "topic": topic, "version": version}}}


def unanswered(reason: str) -> dict[str, Any]:
    """Tell the gateway no vetted entry answered ("not_sure", "out_of_scope", "handoff"): editors' Gaps page."""
    return {KEY: {"unanswered": reason}}


def suggested(entry_ids: list[str]) -> dict[str, Any]:
    """Tell the gateway the reply offered these vetted entries as a numbered list: the mediator's
    transcript shows them, and a bare number in reply goes to the assistant."""
    return {KEY: {"suggested": list(entry_ids)}}
