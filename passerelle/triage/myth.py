"""Does a message repeat one of the myths the knowledge base corrects?

A message is compared with every myth entry's `claims` (in any language: the e5 model is
multilingual). Closeness alone is not enough, because a sincere question on the same subject
("le vaccin HPV c'est aussi pour les garçons ?") is close to the myth too. The score therefore
weighs, on a logistic scale:
- similarity: cosine with the closest claim;
- lead: how much closer the message is to that claim than to any ordinary entry's title or
  question (sincere questions are closer to the entries that answer them);
- lexical lead: the same comparison with BM25 over folded words (`LexicalIndex`), which catches
  claims the small embedding model blurs;
- cues (`claim_cues.yaml`): a stated cause or cure and passed-on hearsay raise the score, an
  information-seeking question lowers it.
The weights were fitted by logistic regression on evaluation/data/myth_tune.jsonl plus the dev
set's myth queries, then rounded.

When the learned models exist (`learned.py`), the verdict's topic is the topic classifier's and
its score a second logistic regression (`combined_score`, triage v10) over what the two halves
say: the evidence score and the claim classifier's probability (as logits), the topic
classifier's margin over its runner-up, passed-on hearsay, an information-seeking question and a
question mark. Until v9 the score was the plain mean of evidence and classifier, which left
relayed and non-French claims between the thresholds: the evidence stays low for them (no
stated cause, a translated claim is less similar) and the mean halved a confident classifier.
The combiner's weights were fitted on readings that never saw their message (the evidence, and
classifiers trained without the message's file), then rounded; it was chosen by training
without each labelled myth file in turn, the closest thing to new wording we have (the combiner
itself refitted without the file too): precision 0.958 -> 0.958, recall 0.897 -> 0.954 at the
0.55 threshold (5-fold: 0.961 / 0.903 -> 0.961 / 0.962), and far fewer messages left
"possible" (211 -> 34 of 1744). The question mark weighs
alone because a sincere question the cues do not recognise still usually ends with one; the
Arabic question mark was tried and measured slightly worse, so it is not counted.

Triage v11 adds the stance model's probability (as a logit; `learned.py`: a claim classifier
over embedding and n-grams trained on the labelled messages only, sincere questions weighted
up) and refits the combiner, now on the out-of-file readings of every labelled message, urgency
files included (`python -m evaluation.triage_eval --myth-by-file`): an emergency is no myth
either, and v10's weights, fitted on the myth files alone, flagged 60 of their 3,955 messages
(40 emergencies) as myths. Fitted weights -0.67 + 0.25 evidence - 0.17 claim + 2.51 margin +
0.49 hearsay + 0.20 sincere - 1.06 "?" + 1.57 stance, rounded to one decimal below; the stance
carries what the claim probability and the sincere cue said, hence their small, sign-flipped
weights (dropping both measured the same within three messages). Without each file, at 0.55,
v10 -> v11 (the combiner refitted without the file both times): precision 0.956 -> 0.977,
recall 0.911 -> 0.946, urgency-file messages flagged 4 -> 7; with v10's shipped weights v10
read 0.942 / 0.945 and flagged 60.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from passerelle.triage.cues import CueReading
from passerelle.triage.learned import ClaimReading
from passerelle.triage.references import KnowledgeView
from passerelle.triage.verdicts import MythLevel, MythVerdict

INTERCEPT = -20.0
WEIGHTS = {
    "similarity": 19.5,
    "lead": 33.5,
    "lexical_lead": 15.0,
    "assertions": 4.0,
    "rumour": 2.0,
    "sincere": -12.0,
}
CANDIDATE_TOPICS = 3
COMBINER_INTERCEPT = -0.7
COMBINER_WEIGHTS = {
    "evidence": 0.2,
    "claim": -0.2,
    "topic_margin": 2.5,
    "rumour": 0.5,
    "sincere": 0.2,
    "question": -1.1,
    "stance": 1.6,
}
LOGIT_LIMIT = 1e-4  # probabilities are clipped to [LOGIT_LIMIT, 1 - LOGIT_LIMIT] before the logit

NO_MYTH = MythVerdict(flagged=False, level="none", topic=None, score=0.0)


@dataclass(frozen=True)
class ClaimEvidence:
    """The measurements behind one myth score (kept for the evaluation and the logs)."""

    topic: str
    similarity: float
    lead: float
    lexical_lead: float
    assertions: int
    rumour: bool
    sincere: bool
    question: bool = False  # the message holds a question mark

    def features(self) -> dict[str, float]:
        return {
            "similarity": self.similarity,
            "lead": self.lead,
            "lexical_lead": self.lexical_lead,
            "assertions": float(self.assertions),
            "rumour": float(self.rumour),
            "sincere": float(self.sincere),
        }

    def score(self) -> float:
        """Probability-like 0-1 score that the message repeats the myth of `topic`."""
        return _sigmoid(INTERCEPT + sum(WEIGHTS[name] * value for name, value in self.features().items()))


def gather_evidence(text: str, view: KnowledgeView, similarities: np.ndarray,
                    cues: CueReading) -> ClaimEvidence | None:
    """Measure `text` against the myths it is closest to and keep the best-scoring one.

    The closest claim by embedding alone is sometimes the wrong myth (two vaccine myths are
    close in any model), so the few closest topics are scored in full and the best one wins.
    None when the index holds no myth entry.
    """
    if len(view.claims.rows) == 0:
        return None
    entries = view.snapshot.entries
    claim_scores = similarities[view.claims.rows]
    best_per_topic: dict[str, float] = {}
    for score, owner in sorted(zip(claim_scores.tolist(), view.claims.entries.tolist(), strict=True),
                               reverse=True):
        best_per_topic.setdefault(entries[owner].topic, score)
        if len(best_per_topic) == CANDIDATE_TOPICS:
            break
    ordinary, _ = view.not_myth.best(similarities)
    lexical = view.lexical.scores(text)
    other_lexical = float(lexical[~view.is_myth].max()) if (~view.is_myth).any() else 0.0
    candidates = [
        ClaimEvidence(
            topic=topic,
            similarity=similarity,
            lead=similarity - ordinary,
            lexical_lead=float(lexical[view.topic_entries(topic)].max()) - other_lexical,
            assertions=cues.assertions,
            rumour=cues.rumour,
            sincere=cues.sincere,
            question="?" in text,
        )
        for topic, similarity in best_per_topic.items()
    ]
    return max(candidates, key=ClaimEvidence.score)


def _logit(probability: float) -> float:
    clipped = min(max(probability, LOGIT_LIMIT), 1.0 - LOGIT_LIMIT)
    return math.log(clipped / (1.0 - clipped))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def combiner_features(evidence: ClaimEvidence, model: ClaimReading) -> dict[str, float]:
    """What the combiner weighs (`COMBINER_WEIGHTS`'s keys), from the evidence and the classifiers."""
    return {
        "evidence": _logit(evidence.score()),
        "claim": _logit(model.probability),
        "topic_margin": model.topic_margin,
        "rumour": float(evidence.rumour),
        "sincere": float(evidence.sincere),
        "question": float(evidence.question),
        "stance": _logit(model.stance),
    }


def combined_score(evidence: ClaimEvidence, model: ClaimReading | None) -> float:
    """The 0-1 myth score: the evidence's alone without the learned models, else the combiner's
    (module docstring) over the evidence and the classifiers' reading."""
    if model is None:
        return evidence.score()
    return combine(combiner_features(evidence, model))


def combine(features: dict[str, float], intercept: float = COMBINER_INTERCEPT,
            weights: dict[str, float] = COMBINER_WEIGHTS) -> float:
    """The combiner's 0-1 score of `features` (the shipped weights unless others are given:
    the evaluation refits them without each file)."""
    return _sigmoid(intercept + sum(weights[name] * value for name, value in features.items()))


def myth_verdict(evidence: ClaimEvidence | None, high: float, low: float,
                 model: ClaimReading | None = None) -> MythVerdict:
    """Turn the evidence (and the model's reading, if any) into the two-threshold verdict the
    reply is framed by."""
    if evidence is None:
        return NO_MYTH
    score = combined_score(evidence, model)
    topic = evidence.topic if model is None else model.topic
    level: MythLevel = "correct" if score >= high else "possible" if score >= low else "none"
    return MythVerdict(flagged=level == "correct", level=level,
                       topic=topic if level != "none" else None, score=round(score, 4))
