"""Is a message an emergency, and which kind?

Three kinds of evidence, because each misses what the others catch:
- the curated patterns (`patterns.py`), precise and explainable, with negation and idiom
  handling, but blind to phrasings nobody wrote down;
- the learned model (`learned.py`), trained on labelled messages and the knowledge base, which
  generalises to new phrasings and languages;
- similarity to the urgent entries' questions, used only when no model could be trained (no
  training data shipped): the cosine with the closest urgent question plus twice its lead over
  the closest non-urgent title or question.
With a model (`combined_verdict`): a situation pattern ("il respire plus") decides; a mention
pattern (the emergency only named: "infarctus", "hémorragie") decides unless the model finds it
very unlikely (`urgency_model_veto_threshold`: "mon oncle a eu un infarctus l'hiver dernier, il
peut reprendre le sport ?"). The model may not overrule situations: it knows little about a
three-word message, and vetoing "je veux mourir" (it did, at 0.19) is the one mistake triage
must not make. Without a match the model decides, with a higher bar when the context is calming
(idioms, past events, media, reassurance, informational questions:
`urgency_model_calm_threshold`). The thresholds were chosen by cross-validation on the tuning
data (`python -m evaluation.triage_eval --cross-validate`), recall first.

Since triage v9 the model also reads each clause of a long message (`Triage.clauses_to_read`,
`LearnedTriage.read_urgency`) and its most urgent reading is the one weighed here: an emergency
told after a paperwork question no longer drowns in it. The calming context stays the whole
message's, so a clause read alone ("il saigne") does not escape a reassurance said beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge_base.schema import Entry
from passerelle.triage.learned import UrgencyReading
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


@dataclass(frozen=True)
class ModelCutoffs:
    """The model probabilities the combined verdict turns on (from the settings)."""

    urgent: float  # from which a message no pattern caught is urgent
    calm: float  # the same when the context is calming
    veto: float  # under which a pattern match is not trusted


def combined_verdict(reading: PatternReading, model: UrgencyReading, cutoffs: ModelCutoffs) -> UrgencyVerdict:
    """Patterns and the learned model together; the reason names the evidence that decided."""
    probability = round(model.probability, 4)
    if reading.match is not None:
        if reading.match.kind == "situation" or model.probability >= cutoffs.veto:
            return UrgencyVerdict(True, reading.match.category, 1.0, reading.match.reason)
        return UrgencyVerdict(False, None, probability, "vetoed:model")
    calm = bool(reading.vetoes) or reading.idiom
    if model.probability >= (cutoffs.calm if calm else cutoffs.urgent):
        return UrgencyVerdict(True, model.category, probability, f"model:{model.category}")
    if reading.cancelled is not None:
        return UrgencyVerdict(False, None, probability, f"vetoed:{','.join(sorted(reading.vetoes))}")
    return UrgencyVerdict(False, None, probability, "none")
