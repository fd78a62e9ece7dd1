"""The report's pictures (matplotlib, PNG), drawn from the figures alone.

Every picture is drawn from the same dictionary that is saved as figures.json, so a number in
a picture is always one that can be read exactly in the JSON. A section that did not run simply
has no picture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

DPI = 110


def _save(figure: Figure, out_dir: Path, name: str) -> str:
    figure.tight_layout()
    figure.savefig(out_dir / name, dpi=DPI)
    plt.close(figure)
    return name


def retrieval_bars(retrieval: dict[str, Any], labels: dict[str, str], out_dir: Path) -> str:
    """Recall@1, recall@3, MRR, answered right and out-of-scope rejection, per system."""
    systems = retrieval["systems"]
    metrics = [("recall@1", "recall@1"), ("recall@3", "recall@3"), ("mrr", "MRR"),
               ("answered_right", "answered right"), ("out_of_scope_rejected", "out-of-scope rejected")]
    figure, axis = plt.subplots(figsize=(10, 4.2))
    width = 0.8 / len(systems)
    for i, (name, figures) in enumerate(systems.items()):
        values = [figures.get(key) if key == "out_of_scope_rejected" else figures["overall"].get(key)
                  for key, _ in metrics]
        axis.bar(np.arange(len(metrics)) + i * width, [v or 0.0 for v in values], width, label=labels.get(name, name))
    axis.set_xticks(np.arange(len(metrics)) + width * (len(systems) - 1) / 2, [m for _, m in metrics])
    axis.set_ylim(0, 1.05)
    axis.set_ylabel("share of messages")
    axis.legend(fontsize=8, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    axis.set_title("Retrieval on the development set, side by side")
    return _save(figure, out_dir, "retrieval.png")


def reliability(retrieval: dict[str, Any], labels: dict[str, str], out_dir: Path) -> str:
    """Share of right top answers per score bin, one panel per system, threshold marked."""
    systems = retrieval["systems"]
    figure, axes = plt.subplots(1, len(systems), figsize=(3.2 * len(systems), 3.2), squeeze=False)
    for axis, (name, figures) in zip(axes[0], systems.items(), strict=True):
        curve = figures.get("reliability") or []
        axis.plot([p["score_mean"] for p in curve], [p["right"] for p in curve], marker="o")
        if figures.get("threshold") is not None:
            axis.axvline(figures["threshold"], color="grey", linestyle="--", linewidth=1)
        axis.set_ylim(-0.03, 1.03)
        axis.set_title(labels.get(name, name), fontsize=9)
        axis.set_xlabel("top score (bin mean)")
    axes[0][0].set_ylabel("top answer right")
    figure.suptitle("Reliability: score vs correctness (out-of-scope counted wrong; dashed = threshold)", fontsize=10)
    return _save(figure, out_dir, "reliability.png")


def urgency_recall(triage: dict[str, Any], out_dir: Path) -> str:
    """Urgency recall per category, one bar per reported split."""
    splits = {name: part["urgency"] for name, part in triage.items() if "urgency" in part}
    categories = sorted({c for u in splits.values() for c in u["categories"]})
    figure, axis = plt.subplots(figsize=(10, 3.8))
    width = 0.8 / max(len(splits), 1)
    for i, (split, urgency) in enumerate(splits.items()):
        values = [urgency["categories"].get(c, {}).get("recall") or 0.0 for c in categories]
        axis.bar(np.arange(len(categories)) + i * width, values, width, label=split)
    axis.set_xticks(np.arange(len(categories)) + width * (len(splits) - 1) / 2, categories, rotation=30, ha="right")
    axis.set_ylim(0, 1.05)
    axis.set_ylabel("recall")
    axis.legend(fontsize=8)
    axis.set_title("Urgency recall per category")
    return _save(figure, out_dir, "urgency_recall.png")


def urgency_confusion(urgency: dict[str, Any], split: str, out_dir: Path) -> str:
    """Gold category (rows) against what triage said (columns)."""
    confusion = urgency["confusion"]
    rows = list(confusion)
    columns = sorted({c for row in confusion.values() for c in row})
    matrix = np.array([[confusion[r].get(c, 0) for c in columns] for r in rows])
    figure, axis = plt.subplots(figsize=(0.55 * len(columns) + 3, 0.4 * len(rows) + 2))
    axis.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        if value:
            axis.text(j, i, str(value), ha="center", va="center", fontsize=7,
                      color="white" if value > matrix.max() / 2 else "black")
    axis.set_xticks(range(len(columns)), columns, rotation=45, ha="right", fontsize=8)
    axis.set_yticks(range(len(rows)), rows, fontsize=8)
    axis.set_xlabel("triage said")
    axis.set_ylabel("labelled")
    axis.set_title(f"Urgency confusion ({split} split)")
    return _save(figure, out_dir, f"urgency_confusion_{split}.png")


def nlu_f1(nlu: dict[str, Any], out_dir: Path) -> str:
    """F1 per intent from the cross-validation."""
    intents = nlu["intents"]
    figure, axis = plt.subplots(figsize=(7, 0.3 * len(intents) + 1.5))
    axis.barh(list(intents), [row["f1"] for row in intents.values()])
    axis.set_xlim(0, 1)
    axis.set_xlabel("F1 (cross-validation)")
    axis.set_title("Rasa NLU: F1 per intent")
    return _save(figure, out_dir, "nlu_f1.png")


def conversation_success(conversations: dict[str, Any], out_dir: Path) -> str:
    """Share of journeys that reached their goal, per kind of journey."""
    kinds = conversations["by_kind"]
    figure, axis = plt.subplots(figsize=(7, 3.2))
    axis.bar(list(kinds), [k["success_rate"] for k in kinds.values()])
    axis.set_ylim(0, 1.05)
    axis.set_ylabel("journeys succeeded")
    axis.tick_params(axis="x", labelrotation=20)
    axis.set_title("End-to-end journeys through /api/simulate")
    return _save(figure, out_dir, "conversations.png")


def readability(plain: dict[str, Any], out_dir: Path) -> str:
    """Distribution of readability scores per language, with the content rules' floor."""
    by_language: dict[str, list[float]] = {}
    for row in plain["rows"]:
        if row["readability"] is not None:
            by_language.setdefault(row["language"], []).append(row["readability"])
    figure, axis = plt.subplots(figsize=(7, 3.5))
    for language, scores in by_language.items():
        axis.hist(scores, bins=20, alpha=0.5, label=f"{language} ({len(scores)})")
        floor = plain["languages"][language]["readability"]["floor"]
        if floor is not None:
            axis.axvline(floor, linestyle="--", linewidth=1, color="grey")
    axis.set_xlabel("Flesch reading ease (language-adapted; dashed = content-rule floor)")
    axis.set_ylabel("answers")
    axis.legend(fontsize=8)
    axis.set_title("Readability of the shipped SMS answers")
    return _save(figure, out_dir, "readability.png")


def sms_segments(plain: dict[str, Any], out_dir: Path) -> str:
    """How many SMS segments each shipped answer costs, per language."""
    languages = plain["languages"]
    counts = sorted({int(k) for lang in languages.values() for k in lang["segments"]})
    figure, axis = plt.subplots(figsize=(7, 3.5))
    bottom = np.zeros(len(languages))
    for count in counts:
        values = np.array([lang["segments"].get(str(count), 0) for lang in languages.values()])
        axis.bar(list(languages), values, bottom=bottom, label=f"{count} segment(s)")
        bottom += values
    axis.set_ylabel("answers")
    axis.legend(fontsize=8)
    axis.set_title("SMS segments per answer (GSM-7 / UCS-2 counting)")
    return _save(figure, out_dir, "sms_segments.png")


def speed(speed_figures: dict[str, Any], out_dir: Path) -> str:
    """Latency p50/p95 and throughput per concurrency level, with the search-alone baseline."""
    levels = speed_figures["levels"]
    x = [level["concurrency"] for level in levels]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    left.plot(x, [level["p50_ms"] for level in levels], marker="o", label="full stack p50")
    left.plot(x, [level["p95_ms"] for level in levels], marker="o", label="full stack p95")
    baseline = speed_figures.get("search_alone") or {}
    if baseline.get("p50_ms") is not None:
        left.axhline(baseline["p50_ms"], color="grey", linestyle="--", label="search alone p50")
    left.set_xlabel("concurrent conversations")
    left.set_ylabel("reply latency (ms)")
    left.legend(fontsize=8)
    left.set_xticks(x)
    right.set_xticks(x)
    right.plot(x, [level["throughput_per_s"] for level in levels], marker="o")
    right.set_xlabel("concurrent conversations")
    right.set_ylabel("replies per second")
    figure.suptitle("Speed through /api/simulate", fontsize=10)
    return _save(figure, out_dir, "speed.png")


def scale(benchmark: dict[str, Any], out_dir: Path) -> str:
    """Search latency and memory as the knowledge base grows."""
    scales = benchmark["scales"]
    x = [s["entries"] for s in scales]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    left.plot(x, [s["p50_ms"] for s in scales], marker="o", label="p50")
    left.plot(x, [s["p95_ms"] for s in scales], marker="o", label="p95")
    left.set_xscale("log")
    left.set_xlabel("entries")
    left.set_ylabel("search latency (ms)")
    left.legend(fontsize=8)
    right.plot(x, [s["peak_rss_mb"] for s in scales], marker="o")
    right.set_xscale("log")
    right.set_xlabel("entries")
    right.set_ylabel("peak memory (MiB)")
    figure.suptitle("Search at scale (synthetic entries)", fontsize=10)
    return _save(figure, out_dir, "scale.png")


def draw_all(figures: dict[str, Any], labels: dict[str, str], out_dir: Path) -> dict[str, list[str]]:
    """Every picture whose section ran; returns the file names per section."""
    drawn: dict[str, list[str]] = {}
    if "retrieval" in figures:
        drawn["retrieval"] = [retrieval_bars(figures["retrieval"], labels, out_dir),
                              reliability(figures["retrieval"], labels, out_dir)]
    if "triage" in figures:
        drawn["triage"] = [urgency_recall(figures["triage"], out_dir)] + [
            urgency_confusion(part["urgency"], split, out_dir)
            for split, part in figures["triage"].items() if "urgency" in part]
    if "nlu" in figures:
        drawn["nlu"] = [nlu_f1(figures["nlu"], out_dir)]
    if "conversations" in figures:
        drawn["conversations"] = [conversation_success(figures["conversations"], out_dir)]
    if "plain_language" in figures:
        drawn["plain_language"] = [readability(figures["plain_language"], out_dir),
                                   sms_segments(figures["plain_language"], out_dir)]
    if "speed" in figures:
        drawn["speed"] = [speed(figures["speed"], out_dir)]
        if figures["speed"].get("scale"):
            drawn["speed"].append(scale(figures["speed"]["scale"], out_dir))
    return drawn
