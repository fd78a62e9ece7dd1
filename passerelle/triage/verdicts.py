"""What triage decides about one message, as plain immutable values.

The gateway, the Rasa actions, the CLI and the evaluation all read these; they carry no
behaviour beyond what can be derived from their fields, so they can be logged or compared freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from knowledge_base.query_embedding import QueryEmbedding

MythLevel = Literal["correct", "possible", "none"]


@dataclass(frozen=True)
class UrgencyVerdict:
    """Whether the message is an emergency, which kind, and why (for logs and the mediator).

    `reason` names the evidence: "pattern:suicide.fr.3" (a curated situation pattern),
    "mention:stroke.fr.0" (the emergency named), "similar:avc-fr" (close to an urgent entry's
    questions), "vetoed:past" (a pattern matched but the context made it harmless) or "none".
    """

    urgent: bool
    category: str | None
    score: float
    reason: str


@dataclass(frozen=True)
class MythVerdict:
    """How closely the message repeats a known myth.

    level "correct": above the high threshold, answer with the respectful correction;
    "possible": between the thresholds, answer normally and log it as a possible rumour;
    "none": below. `flagged` is exactly `level == "correct"`.
    """

    flagged: bool
    level: MythLevel
    topic: str | None
    score: float


@dataclass(frozen=True)
class TriageVerdict:
    """Everything triage says about one message."""

    language: str
    urgency: UrgencyVerdict
    myth: MythVerdict
    rumour_cue: bool
    # the message's vector, for search to reuse instead of embedding the message again; not part
    # of the verdict (left out of comparisons)
    embedding: QueryEmbedding | None = field(default=None, compare=False, repr=False)

    @property
    def new_rumour(self) -> bool:
        """Looks like a claim people pass around but matches no myth entry: for the rumour radar."""
        return self.rumour_cue and self.myth.level == "none"
