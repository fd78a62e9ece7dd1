"""The learned half of triage: classifiers that recognise phrasings no curated pattern names.

The patterns are precise and give a reason a mediator can read, but on messages written by
someone else they caught only 84% of emergencies and 82% of myths. Linear models over features
that generalise do better on new wordings and languages:
- the message's e5 sentence embedding (the vector triage already computes for similarity, so the
  model costs no second embedding), which carries meaning across languages;
- character 2-5-grams and word 1-2-grams of `passerelle.text.normalise()` output, which carry SMS
  spelling, missing accents and typos.

Five scikit-learn logistic regressions, deterministic (lbfgs, fixed seed, fixed data order):
- urgent or not: embedding + both n-gram sets; classes balanced, alarming-but-harmless messages
  weighted `HARMLESS_WEIGHT` times, because they are the mistakes that cost trust;
- the urgency category, trained on emergencies only, same features;
- repeats a myth or not: embedding only;
- which myth, trained on myth examples only: embedding + both n-gram sets (since triage v8: on
  the embedding alone it gave Darija claims the wrong myth, a bleach claim read as HIV, the pill
  as bleach; the words "javel", "pilule", "puce" name the myth in any script; out of fold myth
  precision 0.931 -> 0.959, recall 0.891 -> 0.918);
- repeats a myth or not again (the "stance", triage v11), trained on the labelled messages only
  (not the knowledge base's questions and claims) over embedding + both n-gram sets, sincere
  questions on a myth's subject weighted `SINCERE_WEIGHT` times: the embedding-only model above
  reads a sincere question sharing a myth's words ("does the copper IUD protect against
  STIs?") like the claim; this one reads the wording too, and learns from the labelled sincere
  questions what the claims do not say. Trained on claims against sincere questions alone it called
  emergencies claims (a stated fact is not a question); against every labelled message it does
  not. The combiner (`myth.py`) weighs it beside the other readings.
A long message of several clauses is also read clause by clause by the urgency models (triage
v9, `LearnedTriage.read_urgency`): no training change, only more readings at inference.
What trains them is in `training_data.py`; how they combine with the patterns is in `urgency.py`
and `myth.py`. The settings were chosen by 5-fold cross-validation and by training without each
labelled file in turn (`python -m evaluation.triage_eval --cross-validate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from passerelle.text import normalise
from passerelle.triage.training_data import EVERYDAY, KNOWLEDGE_BASE, Example

SEED = 0
URGENT_C = 1.0
CATEGORY_C = 10.0
CLAIM_C = 10.0
TOPIC_C = 10.0
STANCE_C = 10.0
SINCERE_WEIGHT = 3.0
UNLABELLED_SOURCES = frozenset({KNOWLEDGE_BASE, EVERYDAY})  # examples made from the knowledge base
HARMLESS_WEIGHT = 3.0
MAX_ITERATIONS = 5000


@dataclass(frozen=True)
class UrgencyReading:
    """What the urgency model says about one message."""

    probability: float  # that the message is an emergency happening now
    category: str  # the most likely category, meaningful when the message is urgent


@dataclass(frozen=True)
class ClaimReading:
    """What the myth model says about one message."""

    probability: float  # that the message repeats one of the myths
    topic: str  # the most likely myth
    topic_margin: float = 1.0  # its probability minus the runner-up's (1 when one myth was learned)
    stance: float = 0.5  # the same from labelled messages only, sincere questions weighted up (0.5 unlearned)


class TextFeatures:
    """Embedding plus character and word n-grams of the normalised text, as one sparse row."""

    def __init__(self) -> None:
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
        self.words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)

    def fit(self, texts: Sequence[str]) -> TextFeatures:
        folded = [normalise(t) for t in texts]
        self.chars.fit(folded)
        self.words.fit(folded)
        return self

    def transform(self, texts: Sequence[str], vectors: np.ndarray) -> sparse.csr_matrix:
        folded = [normalise(t) for t in texts]
        return sparse.hstack([sparse.csr_matrix(vectors), self.chars.transform(folded),
                              self.words.transform(folded)]).tocsr()


Classifier: TypeAlias = "LogisticRegression | str"  # a label when the training data held only one class


def _logistic(c: float, balanced: bool = False) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=MAX_ITERATIONS, random_state=SEED,
                              class_weight="balanced" if balanced else None)


def _fit(features: np.ndarray | sparse.csr_matrix, labels: np.ndarray, c: float) -> Classifier:
    """A multi-class model, or the only label when the data hold one class."""
    classes = np.unique(labels)
    if len(classes) == 1:
        return str(classes[0])
    return _logistic(c).fit(features, labels)


def _probability_of_true(model: LogisticRegression, row: np.ndarray | sparse.csr_matrix) -> float:
    return float(model.predict_proba(row)[0, list(model.classes_).index(True)])


def _best(model: Classifier, row: np.ndarray | sparse.csr_matrix) -> str:
    if isinstance(model, str):
        return model
    return str(model.classes_[int(np.argmax(model.predict_proba(row)[0]))])


class MythModels:
    """The three myth models (repeats a myth or not; which myth; the stance) and the features they read with:
    kept apart from the urgency models so that the myth half can be trained and measured alone
    (`train_myth`, `python -m evaluation.triage_eval --myth-by-file`)."""

    def __init__(self, features: TextFeatures, claim: LogisticRegression | None, topic: Classifier | None,
                 stance: LogisticRegression | None = None) -> None:
        self.features = features
        self.claim = claim
        self.topic = topic
        self.stance = stance

    def read(self, text: str, vector: np.ndarray) -> ClaimReading | None:
        """Probability that `text` (whose embedding is `vector`) repeats a myth, and which; None
        without myth training data."""
        return self.reading(vector, self.features.transform([text], vector[None, :]))

    def reading(self, vector: np.ndarray, row: sparse.csr_matrix) -> ClaimReading | None:
        """`read` from the message's feature row, when the caller already transformed it."""
        if self.claim is None or self.topic is None:
            return None
        probability = _probability_of_true(self.claim, vector[None, :])
        stance = _probability_of_true(self.stance, row) if self.stance is not None else 0.5
        if isinstance(self.topic, str):
            return ClaimReading(probability, self.topic, stance=stance)
        topics = self.topic.predict_proba(row)[0]
        order = np.argsort(-topics, kind="stable")  # ties as `_best` breaks them
        margin = float(topics[order[0]] - topics[order[1]]) if len(order) > 1 else 1.0
        return ClaimReading(probability, str(self.topic.classes_[order[0]]), margin, stance)


class LearnedTriage:
    """The fitted models; reading a message costs a few sparse dot products."""

    def __init__(self, features: TextFeatures, urgent: LogisticRegression, category: Classifier,
                 myth: MythModels) -> None:
        self.features = features
        self.urgent = urgent
        self.category = category
        self.myth = myth

    def read(self, text: str, vector: np.ndarray, clauses: Sequence[str] = (),
             clause_vectors: np.ndarray | None = None) -> tuple[UrgencyReading, ClaimReading | None]:
        """Both readings of a message (`read_urgency`, `read_claim`) from one feature transform:
        the gateway's path, where the n-gram transform is a noticeable part of a message's cost."""
        rows = self._rows(text, vector, clauses, clause_vectors)
        return self._urgency(rows), self.myth.reading(vector, rows[:1])

    def read_urgency(self, text: str, vector: np.ndarray, clauses: Sequence[str] = (),
                     clause_vectors: np.ndarray | None = None) -> UrgencyReading:
        """Probability that `text` (whose embedding is `vector`) is an emergency, and its category.

        With `clauses` (a long message's clauses, row i of `clause_vectors` the embedding of
        clause i), each is read too and the most urgent reading wins: in "c'est pour renouveler ma
        CSS, ça prend combien de temps ? ... j'ai acheté du charbon et scotché la fenêtre. il faut
        un justificatif ?" the paperwork outweighs the charcoal in the whole message's embedding
        and n-grams, not in the charcoal's own clause (blind6: 4 of v8's 8 misses were such
        messages). A clause read alone loses its context, so the verdict keeps the whole message's
        calming context (`urgency.combined_verdict`)."""
        return self._urgency(self._rows(text, vector, clauses, clause_vectors))

    def read_claim(self, text: str, vector: np.ndarray) -> ClaimReading | None:
        """Probability that `text` (whose embedding is `vector`) repeats a myth, and which; None
        without myth training data."""
        return self.myth.read(text, vector)

    def _rows(self, text: str, vector: np.ndarray, clauses: Sequence[str],
              clause_vectors: np.ndarray | None) -> sparse.csr_matrix:
        """Feature rows: the message first, then its clauses when given."""
        if clause_vectors is not None and len(clauses) > 0:
            return self.features.transform([text, *clauses], np.vstack([vector, clause_vectors]))
        return self.features.transform([text], vector[None, :])

    def _urgency(self, rows: sparse.csr_matrix) -> UrgencyReading:
        probabilities = self.urgent.predict_proba(rows)[:, list(self.urgent.classes_).index(True)]
        most = int(np.argmax(probabilities))
        return UrgencyReading(float(probabilities[most]), _best(self.category, rows[most]))


def train(examples: Sequence[Example], vectors: np.ndarray, myth_topics: set[str]) -> LearnedTriage:
    """Fit the five models on `examples` (row i of `vectors` is the embedding of example i).

    Only myths in `myth_topics` (those the knowledge base answers) are learned: a message
    labelled with another myth is left out rather than taught as "not a myth".
    Raises ValueError when there are no emergencies or no non-emergencies to learn from.
    """
    urgent = np.asarray([e.urgent for e in examples], dtype=bool)
    if urgent.all() or not urgent.any():
        raise ValueError("urgency training needs both emergencies and other messages")
    features, matrix = _features(examples, vectors)
    weights = np.asarray([HARMLESS_WEIGHT if e.harmless else 1.0 for e in examples])
    urgent_model = _logistic(URGENT_C, balanced=True).fit(matrix, urgent, sample_weight=weights)
    categories = np.asarray([e.category or "" for e in examples])
    category_model = _fit(matrix[urgent], categories[urgent], CATEGORY_C)
    return LearnedTriage(features, urgent_model, category_model,
                         _fit_myth(examples, vectors, features, matrix, myth_topics))


def train_myth(examples: Sequence[Example], vectors: np.ndarray, myth_topics: set[str]) -> MythModels:
    """The myth models alone, as `train` fits them (to measure the myth half without the cost of
    the urgency models)."""
    features, matrix = _features(examples, vectors)
    return _fit_myth(examples, vectors, features, matrix, myth_topics)


def _features(examples: Sequence[Example], vectors: np.ndarray) -> tuple[TextFeatures, sparse.csr_matrix]:
    texts = [e.text for e in examples]
    features = TextFeatures().fit(texts)
    return features, features.transform(texts, vectors)


def _fit_myth(examples: Sequence[Example], vectors: np.ndarray, features: TextFeatures,
              matrix: sparse.csr_matrix, myth_topics: set[str]) -> MythModels:
    keep = np.asarray([e.myth is None or e.myth in myth_topics for e in examples], dtype=bool)
    topics = np.asarray([e.myth or "" for e in examples])
    is_myth = (topics != "") & keep
    claim_model: LogisticRegression | None = None
    topic_model: Classifier | None = None
    stance_model: LogisticRegression | None = None
    if is_myth.any() and not is_myth[keep].all():
        claim_model = _logistic(CLAIM_C, balanced=True).fit(vectors[keep], is_myth[keep])
        topic_model = _fit(matrix[is_myth], topics[is_myth], TOPIC_C)
    labelled = np.asarray([e.source not in UNLABELLED_SOURCES for e in examples], dtype=bool) & keep
    if is_myth[labelled].any() and not is_myth[labelled].all():
        weights = np.asarray([SINCERE_WEIGHT if e.group == "sincere" else 1.0 for e in examples])[labelled]
        stance_model = _logistic(STANCE_C, balanced=True).fit(matrix[labelled], is_myth[labelled],
                                                              sample_weight=weights)
    return MythModels(features, claim_model, topic_model, stance_model)
