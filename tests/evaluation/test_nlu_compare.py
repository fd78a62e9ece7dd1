"""The NLU pipeline comparison: which configs, which texts are timed, how the report reads."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from evaluation.nlu_compare import (
    CONFIGS_DIR,
    config_label,
    config_summary,
    default_configs,
    nlu_texts,
    parse_sample,
    render,
    small_intents,
)
from evaluation.nlu_eval import CONFIG, RASA_PYTHON, RASA_SIDE, prepare_data
from passerelle.settings import ROOT
from passerelle.stack import rasa_base_env


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_shipped_config_comes_first_then_every_alternative() -> None:
    configs = default_configs()
    assert configs[0] == CONFIG
    assert config_label(configs[0]) == "config.yml (shipped)"
    assert sorted(configs[1:]) == sorted(CONFIGS_DIR.glob("*.yml")) and len(configs) >= 3


@pytest.mark.parametrize("alternative", sorted(CONFIGS_DIR.glob("*.yml")), ids=lambda p: p.stem)
def test_alternatives_differ_from_the_shipped_config_only_in_the_nlu_pipeline(alternative: Path) -> None:
    shipped, other = _load(CONFIG), _load(alternative)
    assert other["policies"] == shipped["policies"]
    assert other["language"] == shipped["language"]
    assert other["pipeline"] != shipped["pipeline"]
    # Same fallback threshold, so "out of scope" and low-confidence handling are compared alike.
    assert other["pipeline"][-1] == shipped["pipeline"][-1] == {"name": "FallbackClassifier", "threshold": 0.35}
    assert config_summary(alternative).endswith("Classifier > FallbackClassifier")


def test_timed_texts_are_a_spread_sample_of_all_the_training_examples(tmp_path: Path) -> None:
    data = prepare_data(ROOT / "knowledge_base" / "content", tmp_path)
    texts = nlu_texts(data)
    assert "bonjour" in texts and "c koi mon espace santé" in texts
    assert not any(text.startswith("- ") or not text.strip() for text in texts)
    sample = parse_sample(texts, 50)
    assert len(sample) == 50 and len(set(sample)) > 45
    assert sample[0] == texts[0] and sample[-1] in texts[len(texts) // 2:]


def test_small_intents_are_those_under_a_tenth_of_the_examples() -> None:
    intents = {"ask_question": {"support": 80}, "greet": {"support": 9}, "thanks": {"support": 11}}
    assert small_intents(intents) == ["greet"]


def _row(name: str, accuracy: float, macro: float, greet_f1: float) -> dict:
    return {"config": name, "file": f"{name}.yml", "pipeline": "A > B", "accuracy": accuracy,
            "macro_f1": macro, "weighted_f1": 0.9, "train_seconds": 61.4, "train_cpu_seconds": 55.0,
            "parse": {"wall_ms_median": 12.34, "cpu_ms_mean": 9.87},
            "intents": {"greet": {"f1": greet_f1, "support": 9}, "ask_question": {"f1": 0.99, "support": 91}}}


def test_report_has_one_row_per_config_and_the_small_intents_side_by_side() -> None:
    result = {"meta": {"date": "2026-11-23", "examples": 100, "folds": 3, "fold_seed": 42, "parse_messages": 50,
                       "cores": 2, "load_average_before": 5.5, "seconds": 600},
              "small_intents": ["greet"],
              "configs": [_row("config.yml (shipped)", 0.901, 0.542, 0.6), _row("char_lr", 0.95, 0.81, 0.875)]}
    text = render(result)
    assert "| config.yml (shipped) | 90.1% | 0.542 | 0.900 | 61 (55) | 12.3 (9.9) |" in text
    assert "| char_lr | 95.0% | 0.810 |" in text
    assert "| greet (9) | 0.60 | 0.88 |" in text
    assert "seed 42" in text and "load average 5.5" in text


@pytest.mark.slow
def test_rasa_side_runs_rasas_own_command_line() -> None:
    """The wrapper hands its arguments to Rasa's CLI (here `rasa --version`, no training)."""
    result = subprocess.run([str(RASA_PYTHON), str(RASA_SIDE), "rasa", "42", "--version"], env=rasa_base_env(),
                            capture_output=True, text=True, timeout=300, check=False)
    assert "3.6.21" in result.stdout
    refused = subprocess.run([str(RASA_PYTHON), str(RASA_SIDE), "train"], env=rasa_base_env(),
                             capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode != 0 and "expected `rasa` or `parse`" in refused.stderr
