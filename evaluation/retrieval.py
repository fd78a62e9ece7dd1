"""Retrieval quality: recall@1/@3, MRR and answerability, side by side for each search mode.

The same queries go through the fused default, embeddings only and BM25 only, so the numbers are
comparable; the out-of-scope set measures how often the assistant rightly says "not sure".
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge_base.search import Mode, Searcher

MODES: tuple[Mode, ...] = ("fused", "dense", "lexical")


@dataclass(frozen=True)
class Query:
    """One labelled message: the topic that answers it (and acceptable alternatives)."""

    text: str
    gold: str
    also: tuple[str, ...]
    language: str
    kind: str


def load_queries(path: Path, kinds: dict[str, str]) -> list[Query]:
    """Labelled queries from JSON Lines `{"text", "gold", "also"?, "lang"?}`."""
    queries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            queries.append(Query(row["text"], row["gold"], tuple(row.get("also", [])), row.get("lang", "?"),
                                 kinds.get(row["gold"], "?")))
    return queries


def load_texts(path: Path) -> list[str]:
    """The `text` field of each JSON line (out-of-scope messages)."""
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _summary(rows: list[dict[str, Any]], threshold: float) -> dict[str, float]:
    n = max(len(rows), 1)
    return {
        "n": len(rows),
        "recall@1": sum(r["rank"] == 1 for r in rows) / n,
        "recall@3": sum(0 < r["rank"] <= 3 for r in rows) / n,
        "mrr": sum(1 / r["rank"] for r in rows if r["rank"]) / n,
        "answered_right": sum(r["rank"] == 1 and r["score"] >= threshold for r in rows) / n,
    }


def evaluate_retrieval(searcher: Searcher, queries: list[Query], out_of_scope: list[str],
                       min_rejection: float = 0.85) -> dict[str, Any]:
    """Per mode: figures overall, per language and per kind, misses, and answerability.

    Each mode gets its own threshold, calibrated here to reject `min_rejection` of the
    out-of-scope messages (a dense-only score and a fused score live on different scales); the
    fused mode is also reported at the configured threshold, which is what the assistant uses.
    """
    report: dict[str, Any] = {}
    for mode in MODES:
        rows = []
        for query in queries:
            result = searcher.search(query.text, language="fr", top_k=3, mode=mode)
            topics = [h.topic for h in result.hits]
            gold = {query.gold, *query.also}
            rank = next((i + 1 for i, t in enumerate(topics) if t in gold), 0)
            rows.append({"text": query.text, "gold": query.gold, "got": topics[:1], "rank": rank,
                         "language": query.language, "kind": query.kind,
                         "score": result.hits[0].score if result.hits else 0.0})
        oos_scores = [(searcher.search(text, language="fr", mode=mode).hits or [None])[0] for text in out_of_scope]
        oos = [hit.score if hit is not None else 0.0 for hit in oos_scores]
        calibration = calibrate_threshold([(r["score"], r["rank"] == 1) for r in rows], oos, min_rejection)
        threshold = calibration["threshold"]
        if mode == "fused":
            threshold = searcher.settings.answer_threshold
        by_language: dict[str, list[dict[str, Any]]] = defaultdict(list)
        by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_language[row["language"]].append(row)
            by_kind[row["kind"]].append(row)
        report[mode] = {
            "threshold": threshold,
            "calibration": calibration,
            "overall": _summary(rows, threshold),
            "by_language": {k: _summary(v, threshold) for k, v in sorted(by_language.items())},
            "by_kind": {k: _summary(v, threshold) for k, v in sorted(by_kind.items())},
            "out_of_scope_rejected": sum(score < threshold for score in oos) / max(len(oos), 1),
            "scores": {"in_scope": [(r["score"], r["rank"] == 1) for r in rows], "out_of_scope": oos},
            "misses": [{"text": r["text"], "gold": r["gold"], "got": r["got"]} for r in rows if r["rank"] != 1],
        }
    return report


def calibrate_threshold(in_scope: list[tuple[float, bool]], out_of_scope: list[float],
                        min_rejection: float = 0.85) -> dict[str, float]:
    """The lowest threshold that rejects at least `min_rejection` of out-of-scope messages.

    Lowest, because every step up also silences correct answers; `in_scope` holds (top score,
    whether the top topic was right) per labelled query.
    """
    candidates = sorted({round(score, 4) for score in out_of_scope} | {round(s, 4) for s, _ in in_scope})
    for threshold in candidates:
        rejected = sum(score < threshold for score in out_of_scope) / max(len(out_of_scope), 1)
        if rejected >= min_rejection:
            right = sum(score >= threshold and ok for score, ok in in_scope) / max(len(in_scope), 1)
            wrong = sum(score >= threshold and not ok for score, ok in in_scope) / max(len(in_scope), 1)
            return {"threshold": threshold, "out_of_scope_rejected": rejected,
                    "answered_right": right, "answered_wrong": wrong}
    return {"threshold": float("inf"), "out_of_scope_rejected": 1.0, "answered_right": 0.0, "answered_wrong": 0.0}
