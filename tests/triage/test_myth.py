"""Misinformation: claim cues (fast), the score and its two thresholds, and claim matching."""

from __future__ import annotations

import dataclasses

import pytest

from evaluation.triage_eval import MythReading, myth_by_file
from passerelle.triage import Triage
from passerelle.triage.cues import load_cues
from passerelle.triage.myth import COMBINER_WEIGHTS, ClaimEvidence, myth_verdict
from passerelle.triage.training_data import Example

CUES = load_cues()


@pytest.mark.parametrize("text", [
    "on m'a dit que le citron soigne tout",
    "ils cachent la vérité sur ce vaccin",
    "un remède miracle contre le diabète",
    "regardez ça https://exemple.com/video",
    "they say the flu shot gives you flu",
    "jarti 9alt liya l vaccin kaydir autisme",  # hearsay in Darija, Latin letters
    "صاحبتي قالت ليا بلي الفاب اخطر من الكارو",  # and in Arabic script
])
def test_rumour_cues(text: str) -> None:
    assert CUES.read(text).rumour


def test_sincere_question_and_assertion_cues() -> None:
    assert CUES.read("le vaccin hpv c'est aussi pour les garçons ?").sincere
    assert CUES.read("comment avoir mon certificat de vaccination").sincere
    assert CUES.read("le vaccin ror donne l'autisme").assertions == 1
    assert not CUES.read("bonjour").rumour
    assert CUES.read("antibiotique kat7iyed lgrippe").assertions == 1


@pytest.mark.parametrize("text", [
    "je dois finir la plaquette d antibiotiques meme si je vais mieux ?",
    "a la tele ils parlaient de resistance aux antibiotiques, ca veut dire quoi",
    "is coconut water actually good for you?",
    "wach khassni nkemmel dwa kamel?",
    # v9: an age, a dose or an amount asked (blind6 flagged such questions as the myth)
    "the flu shot, from what age is it given?",
    "o xarope pode ser dado a uma crianca de 2 anos?",
    "la vacuna del neumococo, a partir de que edad se pone?",
    "enceinte, quelle dose de paracetamol maximum ?",
])
def test_sincere_cues_in_questions_on_a_myth_subject(text: str) -> None:
    assert CUES.read(text).sincere


def test_a_yes_no_question_in_darija_may_still_be_a_claim() -> None:
    """"واش" opens sincere questions and asked claims alike ("est-ce que"): alone it is no sign
    that the message is sincere (blind3: asked claims scored "possible")."""
    assert not CUES.read("واش السيدا كتدوز بالكاس؟").sincere


EVIDENCE = ClaimEvidence(topic="mythe-x", similarity=0.95, lead=0.05, lexical_lead=0.3,
                         assertions=1, rumour=True, sincere=False)


def test_levels_follow_the_two_thresholds() -> None:
    score = EVIDENCE.score()
    assert myth_verdict(EVIDENCE, high=score - 0.01, low=0.0).level == "correct"
    assert myth_verdict(EVIDENCE, high=score + 0.01, low=score - 0.01).level == "possible"
    below = myth_verdict(EVIDENCE, high=1.0, low=score + 0.01)
    assert (below.level, below.flagged, below.topic) == ("none", False, None)
    assert myth_verdict(None, high=0.5, low=0.3).level == "none"


def test_a_sincere_question_scores_lower_than_a_claim() -> None:
    sincere = dataclasses.replace(EVIDENCE, sincere=True, assertions=0, rumour=False)
    assert sincere.score() < EVIDENCE.score()
    closer = dataclasses.replace(EVIDENCE, similarity=0.97, lead=0.07)
    assert closer.score() > EVIDENCE.score()


@pytest.mark.parametrize(("text", "topic"), [
    ("le vaccin ROR donne l'autisme, tout le monde le sait", "mythe-vaccin-autisme"),
    ("on m'a dit que le vaccin arn modifie notre adn", "mythe-vaccin-arn-adn"),
    ("the flu shot gives you the flu", "mythe-vaccin-grippe-donne-grippe"),
    ("je prends la pilule donc pas besoin de capote contre les IST", "mythe-pilule-protege-ist"),
])
def test_claims_are_flagged_with_their_myth(triage: Triage, text: str, topic: str) -> None:
    myth = triage.assess(text).myth
    assert (myth.flagged, myth.level, myth.topic) == (True, "correct", topic)


@pytest.mark.parametrize("text", [
    "le vaccin HPV c'est aussi pour les garçons ?",
    "le ror c'est combien de doses",
    "comment avoir mon certificat de vaccination covid",
    "je voudrais prendre rdv chez un dentiste",
])
def test_sincere_questions_and_ordinary_messages_are_not_flagged(triage: Triage, text: str) -> None:
    assert not triage.assess(text).myth.flagged


def test_flagged_means_level_correct(triage: Triage) -> None:
    for text in ("le sida s'attrape par les moustiques", "bonjour", "le vaccin grippe c'est gratuit ?"):
        myth = triage.assess(text).myth
        assert myth.flagged == (myth.level == "correct")
        assert 0.0 <= myth.score <= 1.0


def test_new_rumour_needs_a_cue_and_no_myth(triage: Triage) -> None:
    verdict = triage.assess("on m'a dit que les ondes du compteur linky donnent des migraines")
    assert verdict.rumour_cue
    assert verdict.new_rumour == (verdict.myth.level == "none")


def _reading(text: str, source: str, myth: str | None, signal: float, urgent: bool = False) -> MythReading:
    features = {name: 0.0 for name in COMBINER_WEIGHTS} | {"claim": signal}
    example = Example(text, urgent, "cardiac" if urgent else None, myth, "claim" if myth else "ordinary",
                      source, "fr")
    return MythReading(example, features, "mythe-a")


def test_myth_by_file_refits_the_combiner_without_each_file_and_counts_urgency_flags() -> None:
    """`triage_eval --myth-by-file`: each file is scored by a combiner fitted on the others'
    readings; claims count when flagged with their topic, and urgency files only give flags."""
    readings = [_reading(f"claim {i} {source}", source, "mythe-a", 4.0) for source in ("myth_tune.jsonl",
                "myth_blind.jsonl") for i in range(6)]
    readings += [_reading(f"question {i} {source}", source, None, -4.0) for source in ("myth_tune.jsonl",
                 "myth_blind.jsonl") for i in range(6)]
    readings += [_reading(f"urgent {i}", "urgency_tune.jsonl", None, -4.0, urgent=True) for i in range(5)]
    readings.append(_reading("urgent but read as a claim", "urgency_tune.jsonl", None, 4.0, urgent=True))
    report = myth_by_file(readings, high=0.55, low=0.3)
    refitted = report["refitted"]
    assert (refitted["precision"], refitted["recall"], refitted["positives"]) == (1.0, 1.0, 12)
    assert refitted["urgency_files"] == {"messages": 6, "flagged": 1, "emergencies_flagged": 1}
    assert set(refitted["files"]) == {"myth_tune.jsonl", "myth_blind.jsonl"}
    assert refitted["languages"]["fr"]["recall"] == 1.0
    assert report["combiner_on_all"]["weights"]["claim"] > 0
