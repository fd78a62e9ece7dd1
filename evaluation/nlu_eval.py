"""Rasa NLU cross-validation of the assistant's own pipeline (config.yml) on its real data.

The data is what `passerelle train` feeds Rasa: the hand-written bot/data/nlu files plus the
`ask_question` examples generated from the knowledge base. `rasa test nlu --cross-validation`
trains on k-1 folds and tests on the last, k times; its intent report (precision, recall, F1
per intent, what each intent is confused with) and confusion-matrix picture are kept.

Rasa draws its folds with an unseeded shuffle; `evaluation/nlu_rasa_side.py` runs Rasa with a
fixed fold seed instead, so two configurations (`evaluation.nlu_compare`) or two runs are
measured on exactly the same folds.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from evaluation.processes import run_measured
from passerelle.bot_data import write_question_examples
from passerelle.settings import ROOT
from passerelle.stack import RASA_BIN, rasa_base_env

CONFIG = ROOT / "config.yml"
RASA_SIDE = Path(__file__).resolve().parent / "nlu_rasa_side.py"
RASA_PYTHON = RASA_BIN.parent / "python"
FOLDS = 3
FOLD_SEED = 42
TIMEOUT_S = 3600
SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def prepare_data(content_dir: Path, work: Path) -> Path:
    """One folder with the hand-written NLU files and the generated question examples."""
    data = work / "data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    nlu_dir = ROOT / "bot" / "data" / "nlu"
    for path in sorted(nlu_dir.glob("*.yml")):
        shutil.copyfile(path, data / path.name)
    write_question_examples(content_dir, nlu_dir, data / "kb_questions.yml")
    return data


def read_intent_report(path: Path) -> dict[str, Any]:
    """Per-intent figures and the averages from Rasa's intent_report.json."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    intents = {name: {"precision": row["precision"], "recall": row["recall"], "f1": row["f1-score"],
                      "support": row["support"], "confused_with": row.get("confused_with", {})}
               for name, row in raw.items() if name not in SUMMARY_ROWS}
    averages = {name: raw[name] for name in SUMMARY_ROWS if name in raw and isinstance(raw[name], dict)}
    return {"intents": dict(sorted(intents.items(), key=lambda item: item[1]["f1"])),
            "accuracy": raw.get("accuracy"),
            "macro_f1": averages.get("macro avg", {}).get("f1-score"),
            "weighted_f1": averages.get("weighted avg", {}).get("f1-score")}


def run_rasa_side(args: list[str], log: Path, cwd: Path) -> float:
    """Run `nlu_rasa_side.py ARGS` with Rasa's Python; returns the child's CPU seconds.

    CPU time (user + system) is what the run costs whatever else the shared machine is doing;
    wall time is only an upper bound under load.
    """
    with log.open("wb") as out:
        finished = run_measured([str(RASA_PYTHON), str(RASA_SIDE), *args], out, rasa_base_env(), cwd, TIMEOUT_S)
    if finished.returncode != 0:
        raise RuntimeError(f"{RASA_SIDE.name} {args[0]} failed; see {log}")
    return finished.cpu_seconds


def cross_validate_data(data: Path, work: Path, config: Path = CONFIG, folds: int = FOLDS,
                        seed: int = FOLD_SEED) -> dict[str, Any]:
    """`rasa test nlu --cross-validation` of `config` on `data`, folds drawn with `seed`."""
    data, work, config = data.resolve(), work.resolve(), config.resolve()
    out = work / "results"
    if out.exists():
        shutil.rmtree(out)
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    cpu = run_rasa_side(["rasa", str(seed), "test", "nlu", "--nlu", str(data), "--config", str(config),
                         "--cross-validation", "--folds", str(folds), "--out", str(out)],
                        work / "rasa-test-nlu.log", work)
    report = out / "intent_report.json"
    if not report.exists():
        raise RuntimeError(f"rasa test nlu wrote no intent report; see {work / 'rasa-test-nlu.log'}")
    figures = read_intent_report(report)
    figures.update({"folds": folds, "fold_seed": seed, "config": str(config),
                    "examples": sum(int(r["support"]) for r in figures["intents"].values()),
                    "seconds": round(time.perf_counter() - started, 1), "cpu_seconds": cpu})
    return figures


def cross_validate(content_dir: Path, work: Path, report_dir: Path, folds: int = FOLDS,
                   config: Path = CONFIG) -> dict[str, Any]:
    """Cross-validate `config` (default: the assistant's) on the assistant's NLU data; copy the
    confusion matrix into the report as nlu_confusion.png."""
    figures = cross_validate_data(prepare_data(content_dir, work), work, config, folds)
    picture = work / "results" / "intent_confusion_matrix.png"
    if picture.exists():
        shutil.copyfile(picture, report_dir / "nlu_confusion.png")
        figures["confusion_png"] = "nlu_confusion.png"
    return figures
