"""Measuring triage against labelled messages: urgency recall and false alarms, myth precision
and recall, confusion tables, latency.

Labelled files (JSON Lines):
- urgency: {"text", "lang", "urgent": bool, "category": str|null, "group"} where group is
  "urgent", "harmless" (alarming words, harmless meaning) or "ordinary";
- myth: {"text", "lang", "myth": topic|null, "group"} where group is "claim", "sincere" (a sincere
  question on a myth's subject) or "ordinary";
- the dev set (evaluation/data/dev_queries.jsonl, {"text", "gold"}): its urgent topics are
  urgency positives and its myth topics myth positives; every other query is ordinary.
Each split has a *_tune file (what patterns and thresholds were chosen on) and a *_test file
(kept apart, reported as is). Messages are triaged as they arrive: language detected, not given.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from knowledge_base.schema import Kind
from passerelle.triage.service import Triage
from passerelle.triage.verdicts import TriageVerdict

DATA_DIR = Path(__file__).resolve().parent / "data"
NONE = "none"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON Lines file (blank lines skipped)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Timed:
    """Triage that records how long each message took."""

    def __init__(self, triage: Triage) -> None:
        self.triage = triage
        self.seconds: list[float] = []

    def assess(self, text: str) -> TriageVerdict:
        started = time.perf_counter()
        verdict = self.triage.assess(text)
        self.seconds.append(time.perf_counter() - started)
        return verdict

    def latency(self) -> dict[str, float]:
        """Milliseconds per message (the first, which builds the knowledge view, is left out)."""
        ms = sorted(s * 1000 for s in self.seconds[1:] or self.seconds)
        if not ms:
            return {}
        return {"messages": len(self.seconds), "mean_ms": round(statistics.fmean(ms), 1),
                "p50_ms": round(ms[len(ms) // 2], 1), "p95_ms": round(ms[int(len(ms) * 0.95)], 1),
                "max_ms": round(ms[-1], 1)}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def evaluate_urgency(timed: Timed, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Recall per category, false alarms per non-urgent group, confusion, misses by text."""
    per_category: dict[str, Counter[str]] = defaultdict(Counter)
    per_group: dict[str, Counter[str]] = defaultdict(Counter)
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    misses, false_alarms = [], []
    for row in rows:
        verdict = timed.assess(row["text"]).urgency
        predicted = (verdict.category or "urgent") if verdict.urgent else NONE
        if row["urgent"]:
            gold = row.get("category") or "urgent"
            counts = per_category[gold]
            counts["n"] += 1
            counts["detected"] += verdict.urgent
            counts["category_right"] += verdict.urgent and verdict.category == gold
            if not verdict.urgent:
                misses.append({"text": row["text"], "category": gold, "reason": verdict.reason})
        else:
            gold = row.get("group") or "ordinary"
            per_group[gold]["n"] += 1
            per_group[gold]["alarms"] += verdict.urgent
            if verdict.urgent:
                false_alarms.append({"text": row["text"], "group": gold,
                                     "category": verdict.category, "reason": verdict.reason})
        confusion[gold][predicted] += 1
    urgent_n = sum(c["n"] for c in per_category.values())
    urgent_hit = sum(c["detected"] for c in per_category.values())
    calm_n = sum(c["n"] for c in per_group.values())
    calm_alarms = sum(c["alarms"] for c in per_group.values())
    return {
        "recall": _rate(urgent_hit, urgent_n),
        "false_alarm_rate": _rate(calm_alarms, calm_n),
        "categories": {cat: {"n": c["n"], "recall": _rate(c["detected"], c["n"]),
                             "category_accuracy": _rate(c["category_right"], c["n"])}
                       for cat, c in sorted(per_category.items())},
        "groups": {group: {"n": c["n"], "false_alarms": c["alarms"],
                           "false_alarm_rate": _rate(c["alarms"], c["n"])}
                   for group, c in sorted(per_group.items())},
        "confusion": {gold: dict(sorted(row.items())) for gold, row in sorted(confusion.items())},
        "misses": misses,
        "false_alarms": false_alarms,
    }


def evaluate_myth(timed: Timed, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision and recall of the "correct" level (the right topic counts), levels per group."""
    true_pos = flagged = positives = 0
    levels: dict[str, Counter[str]] = defaultdict(Counter)
    misses, false_flags = [], []
    for row in rows:
        verdict = timed.assess(row["text"]).myth
        gold = row.get("myth")
        right = verdict.flagged and verdict.topic == gold
        positives += bool(gold)
        flagged += verdict.flagged
        true_pos += right
        levels[row.get("group") or ("claim" if gold else "ordinary")][verdict.level] += 1
        if gold and not right:
            misses.append({"text": row["text"], "myth": gold, "level": verdict.level,
                           "topic": verdict.topic, "score": verdict.score})
        if verdict.flagged and not right:
            false_flags.append({"text": row["text"], "gold": gold, "topic": verdict.topic,
                                "score": verdict.score})
    return {
        "precision": _rate(true_pos, flagged),
        "recall": _rate(true_pos, positives),
        "flagged": flagged,
        "positives": positives,
        "levels": {group: dict(sorted(c.items())) for group, c in sorted(levels.items())},
        "misses": misses,
        "false_flags": false_flags,
    }


def evaluate_triage(triage: Triage, urgency_file: Path, myth_file: Path) -> dict[str, Any]:
    """The full report for one split (one urgency file, one myth file)."""
    timed = Timed(triage)
    report = {
        "urgency": evaluate_urgency(timed, read_jsonl(urgency_file)),
        "myth": evaluate_myth(timed, read_jsonl(myth_file)),
    }
    report["latency"] = timed.latency()
    return report


def dev_rows(triage: Triage, dev_file: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The dev set as urgency rows and myth rows, labelled from the gold topic's entry kind."""
    entries = triage.searcher.snapshot.entries
    categories = {e.topic: e.urgency_categories[0] for e in entries
                  if e.kind is Kind.urgent and e.urgency_categories}
    myths = {e.topic for e in entries if e.kind is Kind.myth}
    urgency, myth = [], []
    for record in read_jsonl(dev_file):
        gold = record["gold"]
        urgency.append({"text": record["text"], "urgent": gold in categories,
                        "category": categories.get(gold), "group": "dev"})
        myth.append({"text": record["text"], "myth": gold if gold in myths else None,
                     "group": "claim" if gold in myths else "dev"})
    return urgency, myth


def evaluate_dev(triage: Triage, dev_file: Path) -> dict[str, Any]:
    """The dev set's urgency and myth results."""
    urgency, myth = dev_rows(triage, dev_file)
    timed = Timed(triage)
    return {"urgency": evaluate_urgency(timed, urgency), "myth": evaluate_myth(timed, myth)}
