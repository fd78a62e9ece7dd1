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
set's myth queries (never on the test split), then rounded; `passerelle eval triage` measures them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from passerelle.triage.cues import CueReading
from passerelle.triage.references import KnowledgeView
from passerelle.triage.verdicts import MythLevel, MythVerdict

INTERCEPT = -18.0
WEIGHTS = {
    "similarity": 16.5,
    "lead": 27.0,
    "lexical_lead": 21.0,
    "assertions": 5.0,
    "rumour": 0.5,
    "sincere": -13.5,
}

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
        z = INTERCEPT + sum(WEIGHTS[name] * value for name, value in self.features().items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def gather_evidence(text: str, view: KnowledgeView, similarities: np.ndarray,
                    cues: CueReading) -> ClaimEvidence | None:
    """Measure `text` against its closest myth; None when the index holds no myth entry."""
    similarity, entry_index = view.claims.best(similarities)
    if entry_index is None:
        return None
    entries = view.snapshot.entries
    topic = entries[entry_index].topic
    ordinary, _ = view.not_myth.best(similarities)
    lexical = view.lexical.scores(text)
    same_topic = np.asarray([e.topic == topic for e in entries], dtype=bool)
    myth_lexical = float(lexical[same_topic].max()) if same_topic.any() else 0.0
    other_lexical = float(lexical[~view.is_myth].max()) if (~view.is_myth).any() else 0.0
    return ClaimEvidence(
        topic=topic,
        similarity=similarity,
        lead=similarity - ordinary,
        lexical_lead=myth_lexical - other_lexical,
        assertions=cues.assertions,
        rumour=cues.rumour,
        sincere=cues.sincere,
    )


def myth_verdict(evidence: ClaimEvidence | None, high: float, low: float) -> MythVerdict:
    """Turn evidence into the two-threshold verdict the reply is framed by."""
    if evidence is None:
        return NO_MYTH
    score = evidence.score()
    level: MythLevel = "correct" if score >= high else "possible" if score >= low else "none"
    return MythVerdict(flagged=level == "correct", level=level,
                       topic=evidence.topic if level != "none" else None, score=round(score, 4))
