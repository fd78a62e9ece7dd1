"""Reading Rasa's cross-validation intent report."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.nlu_eval import prepare_data, read_intent_report
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
