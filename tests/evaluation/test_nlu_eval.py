"""Rasa's cross-validation: its data, its intent report, what it scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.nlu_eval import cross_validate_data, prepare_data, read_intent_report
from passerelle.settings import ROOT


def test_intent_report_is_read_worst_first_with_the_averages(tmp_path: Path) -> None:
    raw = {"greet": {"precision": 1.0, "recall": 0.9, "f1-score": 0.95, "support": 10, "confused_with": {}},
           "out_of_scope": {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 4,
                            "confused_with": {"ask_question": 4}},
           "accuracy": 0.9,
           "macro avg": {"precision": 0.5, "recall": 0.45, "f1-score": 0.475, "support": 14},
           "weighted avg": {"precision": 0.7, "recall": 0.6, "f1-score": 0.68, "support": 14}}
    path = tmp_path / "intent_report.json"
    path.write_text(json.dumps(raw))
    report = read_intent_report(path)
    assert list(report["intents"]) == ["out_of_scope", "greet"]
    assert report["intents"]["out_of_scope"]["confused_with"] == {"ask_question": 4}
    assert (report["accuracy"], report["macro_f1"], report["weighted_f1"]) == (0.9, 0.475, 0.68)


def test_data_is_the_hand_written_files_plus_the_generated_questions(tmp_path: Path) -> None:
    data = prepare_data(ROOT / "knowledge_base" / "content", tmp_path)
    names = sorted(p.name for p in data.iterdir())
    assert names == sorted([p.name for p in (ROOT / "bot" / "data" / "nlu").glob("*.yml")] + ["kb_questions.yml"])
    assert "- intent: ask_question" in (data / "kb_questions.yml").read_text(encoding="utf-8")


TINY_CONFIG = """recipe: default.v1
language: fr
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: LogisticRegressionClassifier
    random_state: 42
policies: []
"""


@pytest.mark.slow
def test_cross_validation_scores_the_test_folds_only(tmp_path: Path) -> None:
    """Slow: Rasa cross-validates a tiny set; each fold's training part is not parsed again."""
    data = tmp_path / "data"
    data.mkdir()
    words = {"greet": ["bonjour", "salut", "coucou", "bonsoir", "hello", "bjr"],
             "goodbye": ["au revoir", "à plus", "bye", "ciao", "bonne journée", "a bientot"],
             "thank": ["merci", "merci bien", "thanks", "mrc", "merci beaucoup", "super merci"]}
    (data / "nlu.yml").write_text('version: "3.1"\nnlu:\n' + "".join(
        f"- intent: {name}\n  examples: |\n" + "".join(f"    - {text}\n" for text in texts)
        for name, texts in words.items()), encoding="utf-8")
    config = tmp_path / "config.yml"
    config.write_text(TINY_CONFIG, encoding="utf-8")
    figures = cross_validate_data(data, tmp_path / "work", config, folds=3)
    assert figures["examples"] == 18 and set(figures["intents"]) == set(words)
    log = (tmp_path / "work" / "rasa-test-nlu.log").read_text(encoding="utf-8")
    assert "test Accuracy" in log and "train Accuracy" not in log
