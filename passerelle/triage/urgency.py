"""Is a message an emergency, and which kind?

Two kinds of evidence, because each misses what the other catches:
- the curated patterns (`patterns.py`), precise and explainable, with negation and idiom
  handling, but blind to phrasings nobody wrote down;
- similarity to the urgent entries' questions, which generalises to new phrasings and
  languages but also drifts towards harmless messages on the same subjects.
A pattern match decides. Otherwise the message is urgent when its similarity score reaches the
calibrated threshold: the cosine with the closest urgent question plus twice its lead over the
closest non-urgent title or question (a message near an urgent question but nearer still to an
ordinary one is not urgent). The contexts that cancel pattern matches (idioms, past events,
media, reassurance, informational questions) cancel similarity too. The threshold
(`Settings.urgency_similarity_threshold`) and the lead weight were chosen on
evaluation/data/urgency_tune.jsonl and the dev set, never on the test split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge_base.schema import Entry
from passerelle.triage.patterns import PatternReading
from passerelle.triage.references import KnowledgeView
from passerelle.triage.verdicts import UrgencyVerdict

LEAD_WEIGHT = 2.0


@dataclass(frozen=True)
class Similar:
    """The urgent entry a message is closest to, and the urgency similarity score."""

    score: float
    entry: Entry


def closest_urgent(view: KnowledgeView, similarities: np.ndarray) -> Similar | None:
    """Score the message against the urgent questions; None when the index has none."""
    closest, entry_index = view.urgent_questions.best(similarities)
    if entry_index is None:
        return None
    ordinary, _ = view.not_urgent.best(similarities)
    return Similar(closest + LEAD_WEIGHT * (closest - ordinary), view.snapshot.entries[entry_index])


def urgency_verdict(reading: PatternReading, similar: Similar | None, threshold: float) -> UrgencyVerdict:
    """A pattern match decides; otherwise similarity, unless the context is calming."""
    if reading.match is not None:
        return UrgencyVerdict(True, reading.match.category, 1.0, reading.match.reason)
    score = round(similar.score, 4) if similar is not None else 0.0
    calm = bool(reading.vetoes) or reading.idiom
    if similar is not None and similar.score >= threshold and not calm:
        categories = similar.entry.urgency_categories
        return UrgencyVerdict(True, categories[0] if categories else None, score,
                              f"similar:{similar.entry.id}")
    if reading.cancelled is not None:
        return UrgencyVerdict(False, None, score, f"vetoed:{','.join(sorted(reading.vetoes))}")
    return UrgencyVerdict(False, None, score, "none")
