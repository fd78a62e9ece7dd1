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


def test_epoch_variants_change_only_the_response_selectors_epochs() -> None:
    import yaml

    from evaluation.rasa_faq import CONFIG
    from evaluation.rasa_faq_epochs import config_with_epochs

    shipped, variant = yaml.safe_load(CONFIG.read_text(encoding="utf-8")), yaml.safe_load(config_with_epochs(7))
    selector = next(step for step in variant["pipeline"] if step["name"] == "ResponseSelector")
    assert selector["epochs"] == 7 and selector["random_seed"] == 42
    selector["epochs"] = next(s for s in shipped["pipeline"] if s["name"] == "ResponseSelector")["epochs"]
    assert variant == shipped


def test_epoch_report_lists_the_queries_whose_rank_changed() -> None:
    from evaluation.rasa_faq_epochs import rank_changes, render

    def run(epochs: int, ranks: list[int]) -> dict:
        return {"epochs": epochs, "topics": 2, "examples": 9, "recall@1": 0.5, "recall@3": 1.0, "mrr": 0.75,
                "answered_right": 0.5, "answered_wrong": 0.0, "out_of_scope_rejected": 0.85,
                "answer_precision": 1.0, "train_seconds": 60.0, "train_cpu_seconds": 50.0,
                "load_average_before": [1.0], "load_average_after": [2.0],
                "ranks": [{"text": f"q{i}", "gold": f"t{i}", "rank": r, "got": []} for i, r in enumerate(ranks)]}

    reference, other = run(100, [1, 2, 0]), run(50, [1, 1, 3])
    assert [c["text"] for c in rank_changes(reference, other)] == ["q1", "q2"]
    text = render({"meta": {"date": "2026-11-23", "cores": 2}, "runs": [reference, other]})
    assert "| 100 | 50.0% | 100.0% | 0.750 |" in text and "60 (50)" in text
    assert "50 epochs against 100: 2 of 3 queries changed rank" in text and "| q2 | t2 | 0 | 3 |" in text
