"""The Rasa FAQ baseline project: what it is trained on, and reading Rasa's ranking."""

from __future__ import annotations

from pathlib import Path

import yaml

from evaluation.rasa_faq import faq_examples, parse_ranking, train, write_project
from knowledge_base.schema import Entry, Status


def entry(topic: str, language: str, questions: list[str], title: str = "Titre") -> Entry:
    return Entry(id=f"{topic}-{language}", topic=topic, language=language, title=title, questions=questions,
                 answer_sms=f"Réponse {topic} {language}", answer_long="Réponse longue", status=Status.published)


ENTRIES = [entry("carte-vitale", "fr", ["comment avoir la carte vitale", "carte vitale  perdue"]),
           entry("carte-vitale", "en", ["how to get a carte vitale"]),
           entry("carte-vitale", "es", ["como tener la carte vitale"]),
           entry("ame", "fr", ["c quoi l ame", "carte vitale perdue"]),
           entry("imported", "fr", [], title="Une entrée importée sans questions")]


def test_examples_are_the_questions_of_the_chosen_languages() -> None:
    examples = faq_examples(ENTRIES, ("fr", "en"))
    assert examples["carte-vitale"] == ["how to get a carte vitale", "comment avoir la carte vitale"]
    assert "como tener la carte vitale" not in str(examples)
    assert "como tener la carte vitale" in faq_examples(ENTRIES, None)["carte-vitale"]


def test_an_example_belongs_to_one_topic_only_and_titles_stand_in_for_missing_questions() -> None:
    examples = faq_examples(ENTRIES, ("fr",))
    assert examples["ame"] == ["c quoi l ame", "carte vitale perdue"]
    assert examples["carte-vitale"] == ["comment avoir la carte vitale"]  # the same text, whitespace aside
    assert examples["imported"] == ["Une entrée importée sans questions"]


def test_unpublished_entries_are_left_out() -> None:
    draft = entry("brouillon", "fr", ["une question"]).model_copy(update={"status": Status.draft})
    assert "brouillon" not in faq_examples([draft], None)


def test_project_has_one_retrieval_intent_and_one_response_per_topic(tmp_path: Path) -> None:
    project = write_project(ENTRIES, ("fr", "en"), tmp_path / "faq")
    assert (project.topics, project.examples) == (3, 5)  # topics ame, carte-vitale, imported
    domain = yaml.safe_load((project.root / "domain.yml").read_text(encoding="utf-8"))
    assert domain["intents"] == ["faq"]
    assert domain["responses"]["utter_faq/carte-vitale"] == [{"text": "Réponse carte-vitale fr"}]
    nlu = yaml.safe_load((project.root / "data" / "nlu.yml").read_text(encoding="utf-8"))
    blocks = {b["intent"]: b["examples"].splitlines() for b in nlu["nlu"]}
    assert blocks["faq/carte-vitale"] == ["- how to get a carte vitale", "- comment avoir la carte vitale"]
    config = yaml.safe_load((project.root / "config.yml").read_text(encoding="utf-8"))
    assert config["pipeline"][-1]["name"] == "ResponseSelector"
    assert write_project(ENTRIES, None, tmp_path / "faq").examples == 6  # rewritten from scratch


def test_the_model_is_reused_only_while_its_inputs_are_unchanged(tmp_path: Path) -> None:
    project = write_project(ENTRIES, ("fr", "en"), tmp_path / "faq")
    project.model.parent.mkdir(parents=True)
    project.model.write_bytes(b"a trained model")
    project.stamp.write_text(project.inputs_digest())
    assert train(write_project(ENTRIES, ("fr", "en"), tmp_path / "faq")) is None  # nothing to do
    changed = write_project(ENTRIES, None, tmp_path / "faq")  # one more language: other examples
    assert changed.model.exists() and changed.stamp.read_text() != changed.inputs_digest()


def test_parse_ranking_reads_the_response_selector() -> None:
    parsed = {"intent": {"name": "faq"}, "response_selector": {
        "all_retrieval_intents": ["faq"],
        "faq": {"response": {"intent_response_key": "faq/ame"},
                "ranking": [{"id": 1, "confidence": 0.8, "intent_response_key": "faq/ame"},
                            {"id": 2, "confidence": 0.1, "intent_response_key": "faq/carte-vitale"}]}}}
    assert parse_ranking(parsed) == [("ame", 0.8), ("carte-vitale", 0.1)]
    assert parse_ranking({"intent": {"name": "greet"}}) == []
