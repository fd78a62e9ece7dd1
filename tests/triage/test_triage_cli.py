"""`passerelle triage` and `passerelle eval triage`: the output contract and the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import evaluation.triage_eval as triage_eval
import knowledge_base.build
import passerelle.settings
from evaluation.cli import Split
from evaluation.triage_eval import evaluate_triage
from knowledge_base.build import BuildReport
from passerelle.cli import app
from passerelle.settings import Settings
from passerelle.triage import Triage

RUNNER = CliRunner()
KEYS = {"text", "language", "urgent", "urgency_category", "myth"}


@pytest.fixture()
def shipped(monkeypatch: pytest.MonkeyPatch, triage_settings: Settings) -> None:
    """The commands use the session's index instead of rebuilding the shipped one."""
    monkeypatch.setattr(passerelle.settings, "get_settings", lambda: triage_settings)
    monkeypatch.setattr(knowledge_base.build, "ensure_index",
                        lambda *args, **kwargs: BuildReport(triage_settings.index_dir, False, 1, []))


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_one_text(shipped: None) -> None:
    result = RUNNER.invoke(app, ["triage", "--json", "ma mere a la bouche de travers d'un coup"])
    assert result.exit_code == 0, result.output
    [obj] = _lines(result.stdout)
    assert set(obj) == KEYS
    assert set(obj["myth"]) == {"flagged", "topic", "score"}
    assert (obj["urgent"], obj["urgency_category"], obj["language"]) == (True, "stroke", "fr")


def test_batch_keeps_order_and_shape(shipped: None, tmp_path: Path) -> None:
    texts = ["le vaccin ror donne l'autisme", "bonjour", "", "i want to kill myself"]
    batch = tmp_path / "in.jsonl"
    batch.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    result = RUNNER.invoke(app, ["triage", "--json", "--batch", str(batch)])
    assert result.exit_code == 0, result.output
    objects = _lines(result.stdout)
    assert [o["text"] for o in objects] == texts
    assert all(set(o) == KEYS for o in objects)
    assert objects[0]["myth"] == {"flagged": True, "topic": "mythe-vaccin-autisme",
                                  "score": objects[0]["myth"]["score"]}
    assert (objects[3]["urgent"], objects[3]["urgency_category"]) == (True, "suicide")


def test_text_or_batch_is_required(shipped: None) -> None:
    assert RUNNER.invoke(app, ["triage", "--json"]).exit_code == 2


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


URGENCY_ROWS: list[dict[str, object]] = [
    {"text": "je veux mourir ce soir", "lang": "fr", "urgent": True, "category": "suicide", "group": "urgent"},
    {"text": "mdr je suis mort de rire", "lang": "fr", "urgent": False, "category": None, "group": "harmless"},
    {"text": "bonjour", "lang": "fr", "urgent": False, "category": None, "group": "ordinary"},
]
MYTH_ROWS: list[dict[str, object]] = [
    {"text": "le vaccin ror donne l'autisme", "lang": "fr", "myth": "mythe-vaccin-autisme", "group": "claim"},
    {"text": "le ror c'est combien de doses", "lang": "fr", "myth": None, "group": "sincere"},
]


def test_evaluate_triage_report(triage: Triage, tmp_path: Path) -> None:
    report = evaluate_triage(triage, _write(tmp_path / "u.jsonl", URGENCY_ROWS),
                             _write(tmp_path / "m.jsonl", MYTH_ROWS))
    urgency, myth = report["urgency"], report["myth"]
    assert (urgency["recall"], urgency["false_alarm_rate"]) == (1.0, 0.0)
    assert urgency["categories"]["suicide"]["n"] == 1
    assert urgency["groups"]["harmless"]["false_alarms"] == 0
    assert urgency["confusion"]["suicide"] == {"suicide": 1}
    assert (myth["precision"], myth["recall"]) == (1.0, 1.0)
    assert report["latency"]["messages"] == 5


@pytest.mark.parametrize("split", ["tune", "test", "blind2", "blind3", "blind4", "blind5", "blind6", "blind7"])
def test_eval_triage_command(shipped: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, split: str) -> None:
    _write(tmp_path / f"urgency_{split}.jsonl", URGENCY_ROWS)
    _write(tmp_path / f"myth_{split}.jsonl", MYTH_ROWS)
    _write(tmp_path / "dev_queries.jsonl", [{"text": "je veux mourir", "gold": "suicide-prevention"}])
    monkeypatch.setattr(triage_eval, "DATA_DIR", tmp_path)
    out = tmp_path / "report.json"
    result = RUNNER.invoke(app, ["eval", "triage", "--split", split, "--json-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "urgency" in result.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["dev"]["urgency"]["recall"] == 1.0


def test_a_myth_only_split_prints_the_myth_tables_only(
        shipped: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """blind8 was written for the myth triage alone: no urgency file, no urgency part."""
    _write(tmp_path / "myth_blind8.jsonl", MYTH_ROWS)
    _write(tmp_path / "dev_queries.jsonl", [{"text": "je veux mourir", "gold": "suicide-prevention"}])
    monkeypatch.setattr(triage_eval, "DATA_DIR", tmp_path)
    out = tmp_path / "report.json"
    result = RUNNER.invoke(app, ["eval", "triage", "--split", "blind8", "--json-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "blind8: myth" in result.stdout and "blind8: urgency" not in result.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert "urgency" not in report
    assert (report["myth"]["precision"], report["myth"]["recall"]) == (1.0, 1.0)
    assert report["latency"]["messages"] == len(MYTH_ROWS)  # no urgency row was read


@pytest.mark.parametrize("split", list(Split))
def test_every_split_has_its_two_labelled_files(split: Split) -> None:
    """`--split NAME` reads urgency_NAME.jsonl and myth_NAME.jsonl (the myth file only for a
    myth-only split): a split named without its files, or a file with a label the report does
    not know, would only fail at the one run."""
    urgency_file, myth_file = triage_eval.split_files(split)
    assert (urgency_file is None) == (split in triage_eval.MYTH_ONLY_SPLITS)
    urgency = triage_eval.read_jsonl(urgency_file) if urgency_file is not None else []
    myth = triage_eval.read_jsonl(myth_file)
    if urgency_file is not None:
        assert {row["group"] for row in urgency} == {"urgent", "harmless", "ordinary"}
    assert all(row["urgent"] == (row["group"] == "urgent") == (row["category"] is not None) for row in urgency)
    assert {row["group"] for row in myth} == {"claim", "sincere", "ordinary"}
    assert all((row["group"] == "claim") == (row["myth"] is not None) for row in myth)
def test_the_sweep_replays_the_decision_rule_at_each_cutoff() -> None:
    """Out-of-fold readings replayed: a lower urgent cutoff catches more, and a pattern situation
    is urgent at every cutoff; the myth side counts a flag right only with the right topic."""
    from evaluation.triage_eval import FoldReading, sweep
    from passerelle.triage.learned import ClaimReading, UrgencyReading
    from passerelle.triage.patterns import load_patterns
    from passerelle.triage.training_data import Example

    patterns = load_patterns()

    def urgency(text: str, probability: float, category: str | None, group: str) -> FoldReading:
        example = Example(text, category is not None, category, None, group, "urgency_tune.jsonl")
        return FoldReading(example, patterns.read(text), UrgencyReading(probability, "cardiac"), 0.0, None)

    def myth(text: str, gold: str | None, score: float, topic: str) -> FoldReading:
        example = Example(text, False, None, gold, "claim" if gold else "sincere", "myth_tune.jsonl")
        return FoldReading(example, patterns.read(text), UrgencyReading(0.0, "cardiac"), score,
                           ClaimReading(score, topic))

    readings = [urgency("je veux mourir", 0.01, "suicide", "urgent"),
                urgency("quelque chose d inhabituel", 0.52, "cardiac", "urgent"),
                urgency("rendez vous demain", 0.47, None, "harmless"),
                myth("le vaccin donne l autisme", "mythe-x", 0.7, "mythe-x"),
                myth("le vaccin c est a quel age", None, 0.5, "mythe-x")]
    report = sweep(readings)
    rows = {(r["urgent"], r["calm"], r["veto"]): r for r in report["urgency"]}
    assert rows[(0.45, 0.95, 0.2)]["recall"] == 1.0 and rows[(0.45, 0.95, 0.2)]["harmless_false_alarms"] == 1.0
    assert rows[(0.5, 0.95, 0.2)]["recall"] == 1.0 and rows[(0.5, 0.95, 0.2)]["harmless_false_alarms"] == 0.0
    assert rows[(0.6, 0.95, 0.2)]["recall"] == 0.5
    myths = {r["high"]: r for r in report["myth"]}
    assert (myths[0.45]["precision"], myths[0.45]["recall"]) == (0.5, 1.0)
    assert (myths[0.55]["precision"], myths[0.55]["recall"]) == (1.0, 1.0)
