"""The Rasa model's input fingerprint: the same inputs in two data folders give the same stamp
(so a model trained once is current everywhere), and any change in them gives another."""

from __future__ import annotations

from pathlib import Path

from passerelle.settings import Settings
from passerelle.stack import Paths, inputs_digest, training_inputs


def _generated(data_dir: Path, text: str) -> Paths:
    paths = Paths(Settings(data_dir=data_dir))
    paths.generated_nlu.parent.mkdir(parents=True)
    paths.generated_nlu.write_text(text, encoding="utf-8")
    return paths


def test_the_stamp_does_not_depend_on_the_data_folder(tmp_path: Path) -> None:
    one = _generated(tmp_path / "one", "nlu: []\n")
    two = _generated(tmp_path / "elsewhere" / "two", "nlu: []\n")
    assert inputs_digest(training_inputs(one)) == inputs_digest(training_inputs(two))


def test_the_stamp_changes_with_the_generated_examples(tmp_path: Path) -> None:
    one = _generated(tmp_path / "one", "nlu: []\n")
    two = _generated(tmp_path / "two", "nlu:\n- intent: ask_question\n")
    assert inputs_digest(training_inputs(one)) != inputs_digest(training_inputs(two))
    assert set(training_inputs(one)) >= {"config.yml", "bot/domain.yml", "generated/kb_questions.yml"}
