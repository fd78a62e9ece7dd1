"""Rasa NLU cross-validation of the assistant's own pipeline (config.yml) on its real data.

The data is what `passerelle train` feeds Rasa: the hand-written bot/data/nlu files plus the
`ask_question` examples generated from the knowledge base. `rasa test nlu --cross-validation`
trains on k-1 folds and tests on the last, k times; its intent report (precision, recall, F1
per intent, what each intent is confused with) and confusion-matrix picture are kept.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from evaluation.rasa_faq import rasa_env
from passerelle.bot_data import write_question_examples
from passerelle.settings import ROOT
from passerelle.stack import RASA_BIN

FOLDS = 3
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


def cross_validate(content_dir: Path, work: Path, report_dir: Path, folds: int = FOLDS) -> dict[str, Any]:
    """Run the cross-validation; copy the confusion matrix into the report as nlu_confusion.png."""
    data = prepare_data(content_dir, work)
    out = work / "results"
    if out.exists():
        shutil.rmtree(out)
    started = time.perf_counter()
    with (work / "rasa-test-nlu.log").open("wb") as log:
        result = subprocess.run(
            [str(RASA_BIN), "test", "nlu", "--nlu", str(data), "--config", str(ROOT / "config.yml"),
             "--cross-validation", "--folds", str(folds), "--out", str(out)],
            cwd=work, env=rasa_env(), stdout=log, stderr=subprocess.STDOUT, timeout=TIMEOUT_S, check=False)
    report = out / "intent_report.json"
    if result.returncode != 0 or not report.exists():
        raise RuntimeError(f"rasa test nlu failed; see {work / 'rasa-test-nlu.log'}")
    figures = read_intent_report(report)
    picture = out / "intent_confusion_matrix.png"
    if picture.exists():
        shutil.copyfile(picture, report_dir / "nlu_confusion.png")
        figures["confusion_png"] = "nlu_confusion.png"
    figures.update({"folds": folds, "examples": sum(int(r["support"]) for r in figures["intents"].values()),
                    "seconds": round(time.perf_counter() - started, 1)})
    return figures
