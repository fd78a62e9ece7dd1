"""Measuring triage against labelled messages: urgency recall and false alarms, myth precision
and recall, confusion tables, latency; and cross-validating the learned models.

Labelled files (JSON Lines):
- urgency: {"text", "lang", "urgent": bool, "category": str|null, "group"} where group is
  "urgent", "harmless" (alarming words, harmless meaning) or "ordinary";
- myth: {"text", "lang", "myth": topic|null, "group"} where group is "claim", "sincere" (a sincere
  question on a myth's subject) or "ordinary";
- the dev set (evaluation/data/dev_queries.jsonl, {"text", "gold"}): its urgent topics are
  urgency positives and its myth topics myth positives; every other query is ordinary.
Splits: the *_tune, *_holdout and *_blind to *_blind10 files (with the team's own examples,
passerelle/triage/training_data.py; blind7 and blind8 since triage v11, blind9 since v11.1, blind10
since v11.2) train the learned models, so their figures are training-set figures; the method and
thresholds were chosen with `cross_validate` and `sweep` over that tuning material (`python -m
evaluation.triage_eval --cross-validate | --sweep`): out-of-fold verdicts, 5-fold and "without each
file" (each file was written at another time with other phrasings: the closest thing to new
messages). *_test measures
what was chosen; a new blind set, written apart, is run once at the end of a piece of tuning work.
Messages are triaged as they arrive: language detected, not given.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from knowledge_base.schema import Kind
from passerelle.text import normalise
from passerelle.triage.learned import MAX_ITERATIONS, ClaimReading, UrgencyReading
from passerelle.triage.model_store import CACHE_FOLDER, TrainingSet, embed_cached, train_myth_on, train_on, training_set
from passerelle.triage.myth import (
    COMBINER_INTERCEPT,
    COMBINER_WEIGHTS,
    combine,
    combined_score,
    combiner_features,
    gather_evidence,
)
from passerelle.triage.patterns import PatternReading
from passerelle.triage.references import KnowledgeView
from passerelle.triage.service import Triage
from passerelle.triage.training_data import MYTH_FILES, Example, labelled_examples
from passerelle.triage.urgency import ModelCutoffs, combined_verdict
from passerelle.triage.verdicts import TriageVerdict

DATA_DIR = Path(__file__).resolve().parent / "data"
NONE = "none"
# Splits written for the myth triage alone (blind8 measures myth triage v10): no urgency file.
MYTH_ONLY_SPLITS = frozenset({"blind8"})


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON Lines file (blank lines skipped)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def split_files(split: str) -> tuple[Path | None, Path]:
    """A split's urgency file (None for a myth-only split) and its myth file."""
    urgency = None if split in MYTH_ONLY_SPLITS else DATA_DIR / f"urgency_{split}.jsonl"
    return urgency, DATA_DIR / f"myth_{split}.jsonl"


class Assesses(Protocol):
    """What the measures need: a verdict per message."""

    def assess(self, text: str) -> TriageVerdict:
        """The verdict of one message."""
        ...


class Timed:
    """Triage that records how long each message took."""

    def __init__(self, triage: Assesses) -> None:
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


def evaluate_triage(triage: Triage, urgency_file: Path | None, myth_file: Path) -> dict[str, Any]:
    """The full report for one split (one urgency file, one myth file); a myth-only split
    (no urgency file) gets no urgency part."""
    timed = Timed(triage)
    report: dict[str, Any] = {}
    if urgency_file is not None:
        report["urgency"] = evaluate_urgency(timed, read_jsonl(urgency_file))
    report["myth"] = evaluate_myth(timed, read_jsonl(myth_file))
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


CV_FOLDS = 5
CV_SEED = 0


class Replay:
    """Verdicts served back to the measures by text: computed beforehand (out of fold), or by
    `triage` on first sight, so a second measure over the same messages costs nothing."""

    def __init__(self, verdicts: dict[str, TriageVerdict], triage: Assesses | None = None) -> None:
        self.verdicts = verdicts
        self.triage = triage

    def assess(self, text: str) -> TriageVerdict:
        if text not in self.verdicts and self.triage is not None:
            self.verdicts[text] = self.triage.assess(text)
        return self.verdicts[text]


MYTH_SOURCES = frozenset(path.name for path in MYTH_FILES)


def _row(example: Example) -> dict[str, Any]:
    if example.source in MYTH_SOURCES:
        return {"text": example.text, "myth": example.myth, "group": example.group}
    return {"text": example.text, "urgent": example.urgent, "category": example.category, "group": example.group}


def _out_of_fold(triage: Triage, data: TrainingSet, held_out: np.ndarray) -> dict[str, TriageVerdict]:
    """Verdicts of the held-out labelled messages by models trained without them."""
    model = train_on(data, ~held_out)
    fold = Triage(triage.settings, triage.searcher, learn=lambda *_: model)
    return {e.text: fold.assess(e.text) for e, out in zip(data.labelled, held_out, strict=True) if out}


def _measure(data: TrainingSet, verdicts: dict[str, TriageVerdict], source: str | None = None) -> dict[str, Any]:
    """The usual reports over the labelled messages of `source` (every file when None)."""
    examples = [e for e in data.labelled if source in (None, e.source) and e.text in verdicts]
    replay = Replay(verdicts)
    urgency = [_row(e) for e in examples if e.source not in MYTH_SOURCES]
    myth = [_row(e) for e in examples if e.source in MYTH_SOURCES]
    return {"urgency": evaluate_urgency(Timed(replay), urgency) if urgency else None,
            "myth": evaluate_myth(Timed(replay), myth) if myth else None}


def cross_validate(triage: Triage, folds: int = CV_FOLDS, seed: int = CV_SEED) -> dict[str, Any]:
    """Out-of-fold figures of the learned triage over its own labelled training messages.

    The knowledge-base examples always train; each labelled message is measured once by models
    that never saw it: `folds`-fold (stratified by file and group), then again leaving out each
    labelled file whole. The decision rule and thresholds are the settings' own.
    """
    view = KnowledgeView.build(triage.searcher.snapshot, triage.is_emergency_question)
    data = training_set(view, triage.searcher.embedder, triage.is_emergency_question)
    strata = [f"{e.source}:{e.group}" for e in data.labelled]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    verdicts: dict[str, TriageVerdict] = {}
    for _, test_index in splitter.split(np.zeros(len(strata)), strata):
        held_out = np.zeros(len(strata), dtype=bool)
        held_out[test_index] = True
        verdicts.update(_out_of_fold(triage, data, held_out))
    report: dict[str, Any] = {"folds": _measure(data, verdicts), "without_file": {}}
    for name in sorted({e.source for e in data.labelled}):
        held_out = np.asarray([e.source == name for e in data.labelled], dtype=bool)
        if held_out.any():
            report["without_file"][name] = _measure(data, _out_of_fold(triage, data, held_out), name)
    return report


@dataclass(frozen=True)
class FoldReading:
    """What triage's parts say about one labelled message, from models trained without it: what
    a threshold sweep needs to replay the decision rules at any cutoff without training again."""

    example: Example
    patterns: PatternReading
    urgency: UrgencyReading
    myth_score: float  # the myth score as `myth_verdict` computes it (0 when the index holds no myth)
    claim: ClaimReading | None


URGENT_GRID = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
CALM_GRID = (0.85, 0.9, 0.95, 0.98)
VETO_GRID = (0.1, 0.2, 0.3)
MYTH_GRID = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65)


def fold_readings(triage: Triage, folds: int = CV_FOLDS, seed: int = CV_SEED) -> list[FoldReading]:
    """Out-of-fold readings of every labelled message (same folds as `cross_validate`), from the
    vectors training already computed, so no message is embedded again (the clauses of long
    messages, read as `Triage.assess` reads them, are embedded once and cached)."""
    view = KnowledgeView.build(triage.searcher.snapshot, triage.is_emergency_question)
    data = training_set(view, triage.searcher.embedder, triage.is_emergency_question)
    strata = [f"{e.source}:{e.group}" for e in data.labelled]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    clauses = [triage.clauses_to_read(e.text) for e in data.labelled]
    flat = [c for parts in clauses for c in parts]
    cache = view.snapshot.path.parent / CACHE_FOLDER / "clauses.npz"
    clause_vectors = dict(zip(flat, embed_cached(flat, triage.searcher.embedder, cache), strict=True))
    readings: list[FoldReading] = []
    for _, test_index in splitter.split(np.zeros(len(strata)), strata):
        held_out = np.zeros(len(strata), dtype=bool)
        held_out[test_index] = True
        model = train_on(data, ~held_out)
        for i in test_index:
            example, vector = data.labelled[i], data.labelled_vectors[i]
            parts = clauses[i]
            part_vectors = np.vstack([clause_vectors[c] for c in parts]) if parts else None
            evidence = gather_evidence(example.text, view, view.similarities(vector), triage.cues.read(example.text))
            claim = model.read_claim(example.text, vector)
            readings.append(FoldReading(example, triage.patterns.read(example.text),
                                        model.read_urgency(example.text, vector, parts, part_vectors),
                                        combined_score(evidence, claim) if evidence is not None else 0.0,
                                        claim))
    return readings


def sweep(readings: list[FoldReading]) -> dict[str, Any]:
    """Urgency recall and false alarms per group for each (urgent, calm, veto) cutoff triple, and
    myth precision and recall for each high threshold, over out-of-fold readings."""
    urgency_rows, myth_rows = [], []
    urgency = [r for r in readings if r.example.source not in MYTH_SOURCES]
    for cutoffs in (ModelCutoffs(u, c, v) for u in URGENT_GRID for c in CALM_GRID for v in VETO_GRID):
        alarms: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        for r in urgency:
            group = "urgent" if r.example.urgent else r.example.group
            totals[group] += 1
            alarms[group] += combined_verdict(r.patterns, r.urgency, cutoffs).urgent
        urgency_rows.append({"urgent": cutoffs.urgent, "calm": cutoffs.calm, "veto": cutoffs.veto,
                             "recall": _rate(alarms["urgent"], totals["urgent"]),
                             **{f"{g}_false_alarms": _rate(alarms[g], totals[g]) for g in sorted(totals)
                                if g != "urgent"}})
    myth = [(r.example, r.myth_score, r.claim.topic if r.claim is not None else None)
            for r in readings if r.example.source in MYTH_SOURCES]
    for high in MYTH_GRID:
        myth_rows.append({"high": high, **myth_figures(myth, high)})
    return {"urgency": urgency_rows, "myth": myth_rows}


def myth_figures(scored: list[tuple[Example, float, str | None]], high: float) -> dict[str, Any]:
    """Myth precision and recall at threshold `high`, overall and per language, of (message, myth
    score, topic read) triples: a claim counts when flagged with its own topic."""
    flagged: Counter[str] = Counter()
    right: Counter[str] = Counter()
    positives: Counter[str] = Counter()
    for example, score, topic in scored:
        hit = score >= high and topic == example.myth
        for key in ("all", example.language):
            flagged[key] += score >= high
            right[key] += hit
            positives[key] += example.myth is not None
    return {"precision": _rate(right["all"], flagged["all"]), "recall": _rate(right["all"], positives["all"]),
            "flagged": flagged["all"], "positives": positives["all"],
            "languages": {lang: {"precision": _rate(right[lang], flagged[lang]),
                                 "recall": _rate(right[lang], positives[lang])}
                          for lang in sorted(positives) if lang != "all"}}


@dataclass(frozen=True)
class MythReading:
    """What the myth half says about one labelled message, from myth models trained without the
    message's file: the combiner's inputs (None when there is no evidence or no reading)."""

    example: Example
    features: dict[str, float] | None
    topic: str | None


def myth_file_readings(triage: Triage) -> list[MythReading]:
    """Every labelled message (myth and urgency files alike: an emergency must not read as a
    myth either) read by myth models trained without its file; the knowledge base always
    trains. One training of the myth models per file."""
    view = KnowledgeView.build(triage.searcher.snapshot, triage.is_emergency_question)
    data = training_set(view, triage.searcher.embedder, triage.is_emergency_question)
    readings: list[MythReading] = []
    for name in sorted({e.source for e in data.labelled}):
        held_out = np.asarray([e.source == name for e in data.labelled], dtype=bool)
        models = train_myth_on(data, ~held_out)
        for i in np.flatnonzero(held_out):
            example, vector = data.labelled[i], data.labelled_vectors[i]
            evidence = gather_evidence(example.text, view, view.similarities(vector), triage.cues.read(example.text))
            claim = models.read(example.text, vector)
            features = combiner_features(evidence, claim) if evidence is not None and claim is not None else None
            readings.append(MythReading(example, features, claim.topic if claim is not None else None))
    return readings


COMBINER_C = 1.0  # the combiner's regularisation when refitted (on a handful of features, barely binding)


def fit_combiner(readings: list[MythReading]) -> tuple[float, dict[str, float]]:
    """The combiner's intercept and weights fitted on `readings` (a myth claim or not)."""
    usable = [r for r in readings if r.features is not None]
    names = list(COMBINER_WEIGHTS)
    matrix = np.asarray([[r.features[n] for n in names] for r in usable if r.features is not None])
    labels = np.asarray([r.example.myth is not None for r in usable])
    model = LogisticRegression(C=COMBINER_C, max_iter=MAX_ITERATIONS).fit(matrix, labels)
    return float(model.intercept_[0]), dict(zip(names, model.coef_[0].tolist(), strict=True))


def _combine(reading: MythReading, intercept: float, weights: dict[str, float]) -> float:
    return combine(reading.features, intercept, weights) if reading.features is not None else 0.0


def _by_file_figures(scored: list[tuple[Example, float, str | None]], high: float, low: float) -> dict[str, Any]:
    """Myth figures over the myth files (overall, per language, per file) and the myth flags
    raised on the urgency files' messages."""
    myth = [x for x in scored if x[0].source in MYTH_SOURCES]
    urgency = [x for x in scored if x[0].source not in MYTH_SOURCES]
    return {**myth_figures(myth, high),
            "possible": sum(low <= score < high for _, score, _ in myth),
            "urgency_files": {"messages": len(urgency), "flagged": sum(score >= high for _, score, _ in urgency),
                              "emergencies_flagged": sum(score >= high and e.urgent for e, score, _ in urgency)},
            "files": {name: myth_figures([x for x in myth if x[0].source == name], high)
                      for name in sorted({e.source for e, _, _ in myth})}}


def myth_by_file(readings: list[MythReading], high: float, low: float) -> dict[str, Any]:
    """Myth precision and recall without each labelled file, the combiner refitted without the
    file too on every other file's readings (and, for comparison, with the shipped weights):
    overall, per language, per myth file, how many myth-file messages land between the
    thresholds ("possible"), and how many urgency-file messages are flagged as myths."""
    refitted: list[tuple[Example, float, str | None]] = []
    shipped: list[tuple[Example, float, str | None]] = []
    for name in sorted({r.example.source for r in readings}):
        intercept, weights = fit_combiner([r for r in readings if r.example.source != name])
        for r in (r for r in readings if r.example.source == name):
            refitted.append((r.example, _combine(r, intercept, weights), r.topic))
            shipped.append((r.example, _combine(r, COMBINER_INTERCEPT, COMBINER_WEIGHTS), r.topic))
    intercept, weights = fit_combiner(readings)
    return {
        "high": high, "low": low,
        "refitted": _by_file_figures(refitted, high, low),
        "shipped_weights": _by_file_figures(shipped, high, low),
        "combiner_on_all": {"intercept": round(intercept, 3), "weights": {k: round(v, 3) for k, v in weights.items()}},
    }


def _summary(title: str, part: dict[str, Any]) -> list[str]:
    lines = []
    if part.get("urgency"):
        u = part["urgency"]
        groups = ", ".join(f"{g} {c['false_alarm_rate']}" for g, c in u["groups"].items())
        cats = ", ".join(f"{c} {v['recall']}" for c, v in u["categories"].items())
        lines += [f"{title} urgency: recall {u['recall']}, false alarms {groups}", f"  recall per category: {cats}"]
        lines += [f"  missed [{m['category']}] {m['text']}" for m in u["misses"]]
        lines += [f"  false alarm [{a['group']} -> {a['category']}] {a['text']}" for a in u["false_alarms"]]
    if part.get("myth"):
        m = part["myth"]
        lines.append(f"{title} myth: precision {m['precision']}, recall {m['recall']}")
        lines += [f"  missed [{x['myth']}] {x['text']} ({x['level']}, {x['topic']})" for x in m["misses"]]
        lines += [f"  false flag [{x['gold']} -> {x['topic']}] {x['text']}" for x in m["false_flags"]]
    return lines


def _myth_line(title: str, part: dict[str, Any]) -> str:
    extra = f", possible {part['possible']}" if "possible" in part else ""
    if "urgency_files" in part:
        flags = part["urgency_files"]
        extra += (f", urgency-file messages flagged {flags['flagged']}/{flags['messages']}"
                  f" ({flags['emergencies_flagged']} emergencies)")
    return f"{title}: precision {part['precision']}, recall {part['recall']}{extra}"


NEAR_COPY = 90  # rapidfuzz ratio of folded texts from which a message counts as seen in training


def unseen(rows: list[dict[str, Any]], examples: list[Example]) -> list[dict[str, Any]]:
    """The rows with no near copy among the training messages.

    A file written apart may still repeat a greeting or a phrasing of the tuning files word for
    word; its figures on the other rows say how the models do on wording they never saw.
    """
    seen = [normalise(e.text) for e in examples]
    return [row for row in rows
            if not process.extractOne(normalise(row["text"]), seen, scorer=fuzz.ratio, score_cutoff=NEAR_COPY)]


def evaluate_split(triage: Triage, split: str) -> dict[str, Any]:
    """One split's report over all its messages, and again over those unseen in training."""
    urgency_file, myth_file = split_files(split)
    urgency = read_jsonl(urgency_file) if urgency_file is not None else None
    myth = read_jsonl(myth_file)
    replay = Replay({}, triage)
    timed = Timed(replay)
    examples = labelled_examples()
    report: dict[str, Any] = {"all": {}, "unseen": {}}
    if urgency is not None:
        report["all"]["urgency"] = evaluate_urgency(timed, urgency)
        report["unseen"]["urgency"] = evaluate_urgency(Timed(replay), unseen(urgency, examples))
    report["all"]["myth"] = evaluate_myth(timed, myth)
    report["latency"] = timed.latency()
    report["unseen"]["myth"] = evaluate_myth(Timed(replay), unseen(myth, examples))
    return report


def main() -> None:
    """`python -m evaluation.triage_eval (--cross-validate | --sweep | --myth-by-file | --split SPLIT)
    [--json-out FILE]`.

    `--cross-validate` measures choices on the tuning material; `--sweep` gives the same
    out-of-fold figures at every cutoff of the grids, to choose the thresholds; `--myth-by-file`
    trains only the myth models, without each labelled file in turn (the combiner refitted
    without the file too), the measure the myth combiner is chosen on; `--split` with the
    newest blind set is the one run of the final method on it (`passerelle eval triage --split ...`
    prints tables).
    """
    parser = argparse.ArgumentParser(description=main.__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--cross-validate", action="store_true")
    mode.add_argument("--sweep", action="store_true", help="out-of-fold figures at every cutoff of the grids")
    mode.add_argument("--myth-by-file", action="store_true",
                      help="myth precision and recall training the myth models without each labelled file")
    mode.add_argument("--split")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    from knowledge_base.build import ensure_index
    from knowledge_base.search import Searcher
    from passerelle.settings import get_settings

    settings = get_settings()
    built = ensure_index(settings.content_dir, settings, progress=False)
    triage = Triage(settings, Searcher(settings, index_root=built.index_root))
    if args.sweep:
        report = sweep(fold_readings(triage))
        lines = [json.dumps(row) for row in report["urgency"] + report["myth"]]
    elif args.myth_by_file:
        report = myth_by_file(myth_file_readings(triage), settings.myth_high_threshold, settings.myth_low_threshold)
        lines = [_myth_line(f"without each file ({kind})", report[kind]) for kind in ("refitted", "shipped_weights")]
        lines += [_myth_line(f"  without {name}", part) for name, part in report["refitted"]["files"].items()]
        lines += [_myth_line(f"  language {lang}", part) for lang, part in report["refitted"]["languages"].items()]
        lines.append(f"combiner fitted on every reading: {report['combiner_on_all']}")
    elif args.cross_validate:
        report = cross_validate(triage)
        lines = _summary(f"{CV_FOLDS}-fold", report["folds"])
        for name, part in report["without_file"].items():
            lines += _summary(f"without {name}", part)
    else:
        report = evaluate_split(triage, args.split)
        lines = _summary(args.split, report["all"]) + _summary(f"{args.split}, unseen in training", report["unseen"])
        lines.append(f"latency per message: {report['latency']}")
    print("\n".join(lines))
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
