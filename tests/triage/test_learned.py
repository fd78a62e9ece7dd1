"""The learned models: training is deterministic, they learn, and they combine with the patterns.

The fast tests train on a dozen messages whose vectors count a few words (as in
test_rumours.py), so that they run in well under a second; the tests at the end use the models
trained on the shipped data (session fixture).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from passerelle.settings import ROOT, Settings
from passerelle.text import normalise, tokens
from passerelle.triage import Triage
from passerelle.triage.learned import ClaimReading, UrgencyReading, train, train_myth
from passerelle.triage.myth import ClaimEvidence, combined_score, myth_verdict
from passerelle.triage.patterns import PatternReading, load_patterns
from passerelle.triage.training_data import TRAINING_FILES, Example, labelled_examples
from passerelle.triage.urgency import ModelCutoffs, combined_verdict

VOCABULARY = ("mourir", "poitrine", "respire", "vaccin", "autisme", "rendez", "carte", "rire")
CUTOFFS = ModelCutoffs(urgent=0.5, calm=0.95, veto=0.2)
PATTERNS = load_patterns()
DATA = ROOT / "evaluation" / "data"
NEAR_COPY = 90  # rapidfuzz ratio from which two folded messages are the same message
MEASURED = ("*_test.jsonl",)  # the files that measure; never trained on


def words_vector(text: str) -> np.ndarray:
    words = tokens(text)
    row = np.array([sum(w.startswith(v) for w in words) for v in VOCABULARY] + [0.1], dtype=np.float32)
    return row / np.linalg.norm(row)


def example(text: str, category: str | None = None, myth: str | None = None, group: str = "ordinary") -> Example:
    return Example(text, category is not None, category, myth, "urgent" if category else group, "test")


EXAMPLES = [
    example("je veux mourir ce soir", "suicide"),
    example("envie de mourir, plus la force", "suicide"),
    example("il veut mourir, il a des cachets", "suicide"),
    example("douleur dans la poitrine qui serre", "cardiac"),
    example("mal a la poitrine et au bras gauche", "cardiac"),
    example("il respire plus, il est bleu", "breathing"),
    example("mort de rire mdr", group="harmless"),
    example("je suis morte de rire", group="harmless"),
    example("rendez vous chez le dentiste"),
    example("ma carte vitale est perdue"),
    example("comment changer de carte"),
    example("le vaccin donne l autisme", myth="mythe-autisme"),
    example("on m a dit que le vaccin cause l autisme", myth="mythe-autisme"),
    example("le vaccin c est pour quel age"),
]
VECTORS = np.vstack([words_vector(e.text) for e in EXAMPLES])


def test_training_is_deterministic() -> None:
    first = train(EXAMPLES, VECTORS, {"mythe-autisme"})
    second = train(EXAMPLES, VECTORS, {"mythe-autisme"})
    assert np.array_equal(first.urgent.coef_, second.urgent.coef_)
    assert first.myth.claim is not None and second.myth.claim is not None
    assert np.array_equal(first.myth.claim.coef_, second.myth.claim.coef_)
    assert first.myth.stance is not None and second.myth.stance is not None
    assert np.array_equal(first.myth.stance.coef_, second.myth.stance.coef_)
    text = "j ai envie de mourir"
    assert first.read_urgency(text, words_vector(text)) == second.read_urgency(text, words_vector(text))


def test_the_models_learn_from_their_examples() -> None:
    model = train(EXAMPLES, VECTORS, {"mythe-autisme"})
    urgent = model.read_urgency("elle dit qu elle va mourir", words_vector("elle dit qu elle va mourir"))
    calm = model.read_urgency("un rendez vous pour ma carte", words_vector("un rendez vous pour ma carte"))
    assert urgent.probability > 0.5 > calm.probability
    assert urgent.category == "suicide"
    claim = model.read_claim("ce vaccin provoque l autisme", words_vector("ce vaccin provoque l autisme"))
    assert claim is not None and claim.topic == "mythe-autisme"
    assert claim.probability > 0.5


def test_the_most_urgent_clause_of_a_long_message_decides() -> None:
    """Triage v9: a long message's clauses are read too, and the most urgent reading wins, so an
    emergency after a paperwork question is not drowned by it (blind6: 4 of 8 misses)."""
    model = train(EXAMPLES, VECTORS, {"mythe-autisme"})
    text = "ma carte est perdue, comment changer de carte, un rendez vous ? et je veux mourir ce soir"
    clauses = ["ma carte est perdue, comment changer de carte, un rendez vous ?", "et je veux mourir ce soir"]
    whole = model.read_urgency(text, words_vector(text))
    read = model.read_urgency(text, words_vector(text), clauses, np.vstack([words_vector(c) for c in clauses]))
    alone = model.read_urgency(clauses[1], words_vector(clauses[1]))
    assert whole.probability < read.probability == pytest.approx(alone.probability)
    assert read.category == "suicide"
    assert model.read_urgency(text, words_vector(text), clauses, None) == whole  # clauses not embedded


def test_only_long_messages_of_several_clauses_are_read_clause_by_clause(triage: Triage) -> None:
    assert triage.clauses_to_read("je veux mourir. ce soir.") == []  # short: one thought
    assert triage.clauses_to_read("bonjour, " * 16) == []  # long but one clause
    long = ("Bonjour, on se voit samedi pour le repas de famille ? Et sinon mon pere "
            "vient de tomber dans l escalier en portant le carton, il bouge plus.")
    assert triage.clauses_to_read(long) == [
        "Bonjour, on se voit samedi pour le repas de famille",
        "mon pere vient de tomber dans l escalier en portant le carton, il bouge plus"]
    # a clause that calms itself (a past event) is left to the whole message's reading
    past = ("Bonjour, mon pere a fait un infarctus il y a deux ans. Il peut partir en vacances au soleil du sud "
            "avec ma mere cet ete ?")
    assert triage.clauses_to_read(past) == ["Il peut partir en vacances au soleil du sud avec ma mere cet ete"]


SINCERE = [
    example("le vaccin et l autisme, c est pour quel age le rendez vous ?", group="sincere"),
    example("comment savoir si le vaccin donne de la fievre ?", group="sincere"),
    example("le vaccin et l autisme, est ce qu il y a un lien ?", group="sincere"),
]


def test_the_stance_reads_a_sincere_question_sharing_the_myths_words_apart() -> None:
    """Triage v11: the stance model learns from the labelled sincere questions (weighted up)
    that a question on the myth's subject does not repeat it; the knowledge base's examples
    (which carry no sincere question) do not train it."""
    examples = EXAMPLES + SINCERE
    models = train_myth(examples, np.vstack([words_vector(e.text) for e in examples]), {"mythe-autisme"})
    claim = models.read("le vaccin donne l autisme a mon fils", words_vector("le vaccin donne l autisme a mon fils"))
    question = "le vaccin et l autisme, est ce qu il y a un lien pour quel age ?"
    asked = models.read(question, words_vector(question))
    assert claim is not None and asked is not None
    assert claim.stance > 0.5 > asked.stance
    from_knowledge_base = [dataclasses.replace(e, source="knowledge_base") for e in examples]
    unlearned = train_myth(from_knowledge_base, np.vstack([words_vector(e.text) for e in examples]), {"mythe-autisme"})
    assert unlearned.stance is None and unlearned.read("le vaccin", words_vector("le vaccin")).stance == 0.5  # type: ignore[union-attr]


def test_myths_the_knowledge_base_does_not_answer_are_not_learned() -> None:
    model = train(EXAMPLES, VECTORS, myth_topics={"mythe-absent"})
    text = "le vaccin donne l autisme"
    assert model.myth.claim is None and model.read_claim(text, words_vector(text)) is None


def test_training_needs_both_kinds_of_urgency_example() -> None:
    calm_only = [e for e in EXAMPLES if not e.urgent]
    with pytest.raises(ValueError):
        train(calm_only, np.vstack([words_vector(e.text) for e in calm_only]), set())


def test_the_training_files_are_in_the_repository_and_labelled() -> None:
    assert all(path.is_file() for path in TRAINING_FILES)
    examples = labelled_examples()
    urgent = [e for e in examples if e.urgent]
    assert len(urgent) > 350 and all(e.category for e in urgent)
    assert sum(e.harmless for e in examples) > 200
    assert sum(e.myth is not None for e in examples) >= 100


def _measured(pattern: str) -> list[str]:
    return [normalise(json.loads(line)["text"]) for path in sorted(DATA.glob(pattern))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _near_copies(examples: list[Example], measured: list[str]) -> list[str]:
    return [e.text for e in examples
            if process.extractOne(normalise(e.text), measured, scorer=fuzz.ratio, score_cutoff=NEAR_COPY)]


def test_no_measured_message_trains_the_models() -> None:
    """The test split measures generalisation: none of its messages, nor a near copy (the same
    words but for a letter or two), may train; everyday greetings and requests may recur in the
    labelled files written apart. The holdout and the ten blind sets were run and read, so they
    train now (blind7 and blind8 since triage v11, blind9 since v11.1, blind10 since v11.2); the
    team's own example files must copy no measured message, not even a greeting."""
    measured_files = {path.name for pattern in MEASURED for path in DATA.glob(pattern)}
    assert {"urgency_test.jsonl", "myth_test.jsonl"} <= measured_files
    trained = {path.name for path in TRAINING_FILES}
    assert not trained & measured_files
    assert {"urgency_blind7.jsonl", "myth_blind7.jsonl", "myth_blind8.jsonl", "urgency_blind9.jsonl",
            "myth_blind9.jsonl", "urgency_blind10.jsonl", "myth_blind10.jsonl"} <= trained
    measured = [text for pattern in MEASURED for text in _measured(pattern)]
    examples = labelled_examples()
    assert not _near_copies([e for e in examples if e.group != "ordinary"], measured)
    own = [e for e in examples if not e.source.endswith(".jsonl")]
    assert own and not _near_copies(own, measured)


# The evaluation files that train, named by hand: the blind sets run and read up to blind10.
# (blind8 was written for the myth triage alone)
READ_AND_TRAINED = ({f"{task}_{name}.jsonl" for task in ("urgency", "myth")
                     for name in ("tune", "holdout", "blind", *(f"blind{n}" for n in range(2, 11)))}
                    - {"urgency_blind8.jsonl"}) | {"urgency_extra.yaml"}


def test_only_the_named_evaluation_files_train() -> None:
    """A blind set written apart is dropped into evaluation/data before it is run (blind11 measures
    v11.2): it must not train until it has been run and read and someone adds it by name. The
    training list names its files (no glob), and the messages that train come from those files."""
    trained = {path.name for path in TRAINING_FILES if path.parent == DATA}
    assert trained == READ_AND_TRAINED
    assert not trained & {f"{task}_blind{n}.jsonl" for task in ("urgency", "myth") for n in range(11, 30)}
    sources = {e.source for e in labelled_examples()}
    assert sources <= {path.name for path in TRAINING_FILES}


def _reading(text: str) -> PatternReading:
    return PATTERNS.read(text)


def test_a_situation_pattern_decides_whatever_the_model_says() -> None:
    reading = _reading("je veux mourir")
    assert reading.match is not None and reading.match.kind == "situation"
    for probability in (0.01, 0.3):
        verdict = combined_verdict(reading, UrgencyReading(probability, "cardiac"), CUTOFFS)
        assert (verdict.urgent, verdict.category) == (True, "suicide")
        assert verdict.reason.startswith("pattern:suicide")


def test_a_named_emergency_decides_unless_the_model_finds_it_very_unlikely() -> None:
    reading = _reading("infarctus")
    assert reading.match is not None and reading.match.kind == "mention"
    kept = combined_verdict(reading, UrgencyReading(0.3, "stroke"), CUTOFFS)
    assert (kept.urgent, kept.category, kept.reason) == (True, "cardiac", "mention:cardiac.fr.0")
    vetoed = combined_verdict(reading, UrgencyReading(0.1, "cardiac"), CUTOFFS)
    assert (vetoed.urgent, vetoed.category, vetoed.reason) == (False, None, "vetoed:model")


def test_without_a_pattern_the_model_decides() -> None:
    reading = _reading("quelque chose d'inhabituel")
    urgent = combined_verdict(reading, UrgencyReading(0.6, "stroke"), CUTOFFS)
    assert (urgent.urgent, urgent.category, urgent.reason, urgent.score) == (True, "stroke", "model:stroke", 0.6)
    calm = combined_verdict(reading, UrgencyReading(0.4, "stroke"), CUTOFFS)
    assert (calm.urgent, calm.category, calm.reason) == (False, None, "none")


def test_a_calming_context_raises_the_bar_for_the_model() -> None:
    reading = _reading("dans ma série le personnage a un problème")
    assert reading.vetoes
    assert not combined_verdict(reading, UrgencyReading(0.9, "stroke"), CUTOFFS).urgent
    assert combined_verdict(reading, UrgencyReading(0.97, "stroke"), CUTOFFS).urgent


WEAK_CLAIM = ClaimEvidence(topic="mythe-x", similarity=0.8, lead=0.0, lexical_lead=0.0,
                           assertions=0, rumour=True, sincere=False)


def test_a_confident_classifier_lifts_a_relayed_claim_the_evidence_scores_low() -> None:
    """Triage v10: a claim relayed in another language gets a low evidence score; the v9 mean
    with a confident classifier stayed under the 0.55 threshold, the combiner does not."""
    model = ClaimReading(probability=0.95, topic="mythe-y", topic_margin=0.9)
    assert WEAK_CLAIM.score() < 0.15 and (WEAK_CLAIM.score() + 0.95) / 2 < 0.55
    verdict = myth_verdict(WEAK_CLAIM, high=0.55, low=0.3, model=model)
    assert (verdict.level, verdict.topic) == ("correct", "mythe-y")
    assert verdict.score == round(combined_score(WEAK_CLAIM, model), 4)
    assert myth_verdict(WEAK_CLAIM, high=0.55, low=0.3).score == round(WEAK_CLAIM.score(), 4)


def test_a_sincere_question_stays_under_the_threshold_however_close() -> None:
    sincere = dataclasses.replace(WEAK_CLAIM, similarity=0.95, rumour=False, sincere=True, question=True)
    model = ClaimReading(probability=0.9, topic="mythe-x", topic_margin=0.5)
    assert combined_score(sincere, model) < 0.3
    unsure = ClaimReading(probability=0.9, topic="mythe-x", topic_margin=0.05)
    assert combined_score(WEAK_CLAIM, unsure) < combined_score(WEAK_CLAIM, model)


@pytest.mark.parametrize(("text", "category"), [
    ("mon fils a avalé le contenu d'un flacon de lave-vitre", "poisoning"),
    ("mein Vater hat starke Schmerzen in der Brust und schwitzt", "cardiac"),  # a language we do not serve
])
def test_the_model_catches_what_no_pattern_names(triage: Triage, text: str, category: str) -> None:
    assert PATTERNS.read(text).match is None
    urgency = triage.assess(text).urgency
    assert (urgency.urgent, urgency.category, urgency.reason) == (True, category, f"model:{category}")


def test_asking_for_a_person_is_no_emergency(triage: Triage) -> None:
    """A false alarm of the similarity-only triage (0.933 over its 0.925 threshold, as suicide)."""
    assert not triage.assess("hello, I would like to talk to a real person please").urgency.urgent


@pytest.mark.parametrize("text", ["je veux mourir", "elle fait un avc", "il fait un infarctus la"])
def test_short_emergencies_are_urgent(triage: Triage, text: str) -> None:
    """Three words are enough: the model once vetoed "je veux mourir" (0.19)."""
    assert triage.assess(text).urgency.urgent


def test_the_model_vetoes_a_past_emergency_named_in_passing(triage: Triage) -> None:
    text = "my uncle had a heart attack back in march, can he fly to morocco this summer"
    reading = PATTERNS.read(text)
    assert reading.match is not None and reading.match.kind == "mention" and not reading.vetoes
    assert triage.assess(text).urgency.reason == "vetoed:model"


def test_if_training_fails_patterns_and_similarity_still_answer(triage_settings: Settings, triage: Triage) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("no model today")

    fallback = Triage(triage_settings, triage.searcher, learn=broken)
    assert fallback.assess("je veux mourir ce soir").urgency.reason.startswith("pattern:suicide")
    verdict = fallback.assess("le vaccin ror donne l'autisme")
    assert verdict.myth.topic == "mythe-vaccin-autisme"
