"""Triage figures for the report: the test split.

The tune, holdout, blind and blind2 splits are left out on purpose: the models train on them and
the thresholds and patterns were chosen on them, so their figures say nothing about new messages;
the newest blind split is run once, by hand. The measuring itself is evaluation/triage_eval.py's.
"""

from __future__ import annotations

from typing import Any

from evaluation.triage_eval import DATA_DIR, Timed, evaluate_myth, evaluate_urgency, read_jsonl
from passerelle.triage.service import Triage

REPORTED_SPLITS = ("test",)


def evaluate_splits(triage: Triage, splits: tuple[str, ...] = REPORTED_SPLITS) -> dict[str, Any]:
    """Per split present on disk: urgency and myth reports, and the latency per message."""
    report: dict[str, Any] = {}
    for split in splits:
        urgency_file, myth_file = DATA_DIR / f"urgency_{split}.jsonl", DATA_DIR / f"myth_{split}.jsonl"
        if not urgency_file.exists() and not myth_file.exists():
            continue
        timed = Timed(triage)
        part: dict[str, Any] = {}
        if urgency_file.exists():
            part["urgency"] = evaluate_urgency(timed, read_jsonl(urgency_file))
        if myth_file.exists():
            part["myth"] = evaluate_myth(timed, read_jsonl(myth_file))
        part["latency"] = timed.latency()
        report[split] = part
    return report
