"""Triage: is a message an emergency, does it repeat a health myth, does it pass on a rumour.

Plain Python with no Rasa dependency, so the gateway can triage on its own when Rasa is down.
The names below load on first use: the `passerelle` command imports `passerelle.triage.cli` at
start-up, and every other command should not pay for the index and embedding imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from passerelle.triage.service import Triage
    from passerelle.triage.verdicts import MythVerdict, TriageVerdict, UrgencyVerdict

__all__ = ["MythVerdict", "Triage", "TriageVerdict", "UrgencyVerdict"]

_HOMES = {
    "Triage": "passerelle.triage.service",
    "MythVerdict": "passerelle.triage.verdicts",
    "TriageVerdict": "passerelle.triage.verdicts",
    "UrgencyVerdict": "passerelle.triage.verdicts",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
