"""Retrieval quality: recall@1/@3, MRR and answerability, side by side for several systems.

A system is anything that ranks topics for a message with a score (a `Ranker`): our fused
search, each of its signals alone, another embedding backend, Rasa's ResponseSelector. The same
labelled queries and out-of-scope messages go through each, so the numbers are comparable.
Each system gets its own answer threshold, calibrated to reject `min_rejection` of the
out-of-scope messages (scores of different systems live on different scales); the fused default
is reported at the configured threshold, which is what the assistant uses.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge_base.search import Mode, Searcher, SearchResult
from knowledge_base.suggest import suggestions
from passerelle.language import detect_language

RELIABILITY_BINS = 10
SUGGEST_SWEEP = (0.90, 0.92, 0.93, 0.94, 0.945, 0.95, 0.96, 0.98)

Ranker = Callable[[str], list[tuple[str, float]]]
"""Topics for a message, best first, each with the system's score."""


@dataclass(frozen=True)
class Query:
    """One labelled message: the topic that answers it (and acceptable alternatives)."""

    text: str
    gold: str
    also: tuple[str, ...]
    language: str
    kind: str


def _json_lines(path: Path, required: tuple[str, ...]) -> list[dict[str, Any]]:
    """The objects of a JSON Lines file; a bad line is a ValueError naming the file and line."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
        missing = [key for key in required if not isinstance(row, dict) or not isinstance(row.get(key), str)]
        if missing:
            raise ValueError(f"{path}:{number}: needs a text field {', '.join(repr(k) for k in missing)}")
        rows.append(row)
    return rows


def load_queries(path: Path, kinds: dict[str, str]) -> list[Query]:
    """Labelled queries from JSON Lines `{"text", "gold", "also"?, "lang"?}`; `kinds` maps topic to kind."""
    return [Query(row["text"], row["gold"], tuple(row.get("also", [])), row.get("lang", "?"),
                  kinds.get(row["gold"], "?")) for row in _json_lines(path, ("text", "gold"))]


def load_texts(path: Path) -> list[str]:
    """The `text` field of each JSON line (out-of-scope messages)."""
    return [row["text"] for row in _json_lines(path, ("text",))]


def searcher_ranker(searcher: Searcher, mode: Mode, top_k: int = 3) -> Ranker:
    """Our search in one mode, as a ranker. The message's language is detected as the assistant
    does (without a conversation's history): a Spanish, Portuguese or Arabic one is also read by
    the cross-lingual encoder (knowledge_base/crosslingual.py)."""
    def rank(text: str) -> list[tuple[str, float]]:
        return [(hit.topic, hit.score) for hit in searched(searcher, text, top_k=top_k, mode=mode).hits]
    return rank


def searched(searcher: Searcher, text: str, top_k: int | None = None, mode: Mode = "fused") -> SearchResult:
    """The assistant's search for one message, its language detected as the assistant does."""
    language = detect_language(text, default=searcher.settings.default_language).language
    return searcher.search(text, language=language, top_k=top_k, mode=mode)


def rank_queries(ranker: Ranker, queries: list[Query]) -> list[dict[str, Any]]:
    """One row per query: rank of the first right topic among the top 3 (0 = absent), top score."""
    rows = []
    for query in queries:
        ranked = ranker(query.text)[:3]
        gold = {query.gold, *query.also}
        rank = next((i + 1 for i, (topic, _) in enumerate(ranked) if topic in gold), 0)
        rows.append({"text": query.text, "gold": query.gold, "got": [t for t, _ in ranked[:1]], "rank": rank,
                     "language": query.language, "kind": query.kind, "score": ranked[0][1] if ranked else 0.0})
    return rows


def top_scores(ranker: Ranker, texts: list[str]) -> list[float]:
    """The best score each message gets (0 when nothing is found)."""
    return [next(iter(ranker(text)), ("", 0.0))[1] for text in texts]


def summary(rows: list[dict[str, Any]], threshold: float | None) -> dict[str, Any]:
    """Recall@1/@3, MRR, and how often the top answer is both right and above the threshold."""
    n = max(len(rows), 1)
    above = [r for r in rows if threshold is not None and r["score"] >= threshold]
    return {
        "n": len(rows),
        "recall@1": sum(r["rank"] == 1 for r in rows) / n,
        "recall@3": sum(0 < r["rank"] <= 3 for r in rows) / n,
        "mrr": sum(1 / r["rank"] for r in rows if r["rank"]) / n,
        "answered_right": sum(r["rank"] == 1 for r in above) / n if threshold is not None else None,
        "answered_wrong": sum(r["rank"] != 1 for r in above) / n if threshold is not None else None,
    }


def reliability_curve(in_scope: list[tuple[float, bool]], out_of_scope: list[float],
                      bins: int = RELIABILITY_BINS) -> list[dict[str, float]]:
    """How often the top answer is right, by score: equal-count bins over every message.

    An out-of-scope message has no right answer, so answering it counts as wrong; a curve
    that rises steeply means the score is a trustworthy signal for "not sure".
    """
    points = sorted([(s, ok) for s, ok in in_scope] + [(s, False) for s in out_of_scope])
    if not points:
        return []
    size = len(points) / min(bins, len(points))
    curve = []
    for b in range(min(bins, len(points))):
        chunk = points[round(b * size):round((b + 1) * size)]
        if chunk:
            curve.append({"n": len(chunk), "score_min": chunk[0][0], "score_max": chunk[-1][0],
                          "score_mean": sum(s for s, _ in chunk) / len(chunk),
                          "right": sum(ok for _, ok in chunk) / len(chunk)})
    return curve


def answer_precision(in_scope: list[tuple[float, bool]], out_of_scope: list[float],
                     threshold: float | None) -> float | None:
    """Of every message answered at `threshold` (labelled or out of scope), the share answered right.

    With answered_right (the recall side: right answers over labelled messages) it is the
    precision / recall pair of answerability; None when no threshold or nothing is answered.
    """
    if threshold is None:
        return None
    answered = [ok for score, ok in in_scope if score >= threshold] + [False for s in out_of_scope if s >= threshold]
    return sum(answered) / len(answered) if answered else None


def score_system(rows: list[dict[str, Any]], out_of_scope: list[float], threshold: float | None = None,
                 min_rejection: float = 0.85) -> dict[str, Any]:
    """Every figure of one system from its ranked rows and its out-of-scope top scores.

    `threshold` is the system's configured answer threshold; without one, the calibrated
    threshold is used. Without out-of-scope messages nothing can be calibrated, and the
    answerability figures are left out unless a threshold is given.
    """
    in_scope = [(r["score"], r["rank"] == 1) for r in rows]
    calibration = calibrate_threshold(in_scope, out_of_scope, min_rejection) if out_of_scope else None
    used = threshold if threshold is not None else (calibration or {}).get("threshold")
    by_language: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_language[row["language"]].append(row)
        by_kind[row["kind"]].append(row)
    rejected = (sum(score < used for score in out_of_scope) / len(out_of_scope)
                if out_of_scope and used is not None else None)
    return {
        "threshold": used,
        "calibration": calibration,
        "answer_precision": answer_precision(in_scope, out_of_scope, used),
        "overall": summary(rows, used),
        "by_language": {k: summary(v, used) for k, v in sorted(by_language.items())},
        "by_kind": {k: summary(v, used) for k, v in sorted(by_kind.items())},
        "out_of_scope_n": len(out_of_scope),
        "out_of_scope_rejected": rejected,
        "reliability": reliability_curve(in_scope, out_of_scope),
        "scores": {"in_scope": in_scope, "out_of_scope": out_of_scope},
        "misses": [{"text": r["text"], "gold": r["gold"], "got": r["got"]} for r in rows if r["rank"] != 1],
    }


def evaluate_system(ranker: Ranker, queries: list[Query], out_of_scope: list[str], threshold: float | None = None,
                    min_rejection: float = 0.85) -> dict[str, Any]:
    """Rank every query and out-of-scope message with `ranker`, then score it."""
    return score_system(rank_queries(ranker, queries), top_scores(ranker, out_of_scope), threshold, min_rejection)


def calibrate_threshold(in_scope: list[tuple[float, bool]], out_of_scope: list[float],
                        min_rejection: float = 0.85) -> dict[str, float]:
    """The lowest threshold that rejects at least `min_rejection` of out-of-scope messages.

    Lowest, because every step up also silences correct answers; `in_scope` holds (top score,
    whether the top topic was right) per labelled query.
    """
    candidates = sorted({round(score, 4) for score in out_of_scope} | {round(s, 4) for s, _ in in_scope})
    candidates.append(round(max(out_of_scope, default=0.0), 4) + 1e-4)  # rejects every one of them
    for threshold in candidates:
        rejected = sum(score < threshold for score in out_of_scope) / max(len(out_of_scope), 1)
        if rejected >= min_rejection:
            right = sum(score >= threshold and ok for score, ok in in_scope) / max(len(in_scope), 1)
            wrong = sum(score >= threshold and not ok for score, ok in in_scope) / max(len(in_scope), 1)
            return {"threshold": threshold, "out_of_scope_rejected": rejected,
                    "answered_right": right, "answered_wrong": wrong}
    return {"threshold": candidates[-1], "out_of_scope_rejected": 0.0, "answered_right": 0.0, "answered_wrong": 0.0}


def _offered(results: list[SearchResult], searcher: Searcher, bar: float) -> list[list[str]]:
    settings = searcher.settings.model_copy(update={"suggest_threshold": bar})
    return [[hit.topic for hit in suggestions(result, settings)] for result in results]


def _suggestion_summary(queries: list[Query], in_results: list[SearchResult], oos_results: list[SearchResult],
                        searcher: Searcher, bar: float) -> dict[str, Any]:
    unanswered = [(q, topics) for q, r, topics in zip(queries, in_results, _offered(in_results, searcher, bar),
                                                      strict=True) if not r.answerable]
    oos = [topics for r, topics in zip(oos_results, _offered(oos_results, searcher, bar), strict=True)
           if not r.answerable]
    n = max(len(unanswered), 1)
    return {"suggest_threshold": bar, "unanswered": len(unanswered),
            "offered": sum(bool(topics) for _, topics in unanswered) / n,
            "right_offered": sum(bool({q.gold, *q.also} & set(topics)) for q, topics in unanswered) / n,
            "mean_offered": (sum(len(t) for _, t in unanswered) / max(sum(bool(t) for _, t in unanswered), 1)),
            "out_of_scope_offered": (sum(bool(topics) for topics in oos) / len(oos_results)
                                     if oos_results else None),
            "by_language": {language: {"unanswered": len(rows),
                                       "right_offered": sum(bool({q.gold, *q.also} & set(t)) for q, t in rows)
                                       / len(rows)}
                            for language, rows in sorted(_by_language(unanswered).items())}}


def _by_language(rows: list[tuple[Query, list[str]]]) -> dict[str, list[tuple[Query, list[str]]]]:
    grouped: dict[str, list[tuple[Query, list[str]]]] = defaultdict(list)
    for query, topics in rows:
        grouped[query.language].append((query, topics))
    return grouped


def suggestion_figures(searcher: Searcher, queries: list[Query], out_of_scope: list[str]) -> dict[str, Any]:
    """What "did you mean 1, 2 or 3?" (knowledge_base/suggest.py) gives, at the configured suggest
    bar and at a few others (`sweep`, to choose the bar on tuning sets only).

    Of the labelled messages the assistant does not answer: the share offered topics and the share
    whose right topic is among them; of the out-of-scope messages, the share offered topics (an
    out-of-scope message the search answers is counted by `out_of_scope_rejected`, not here).
    """
    in_results = [searched(searcher, q.text) for q in queries]
    oos_results = [searched(searcher, text) for text in out_of_scope]
    figures = _suggestion_summary(queries, in_results, oos_results, searcher, searcher.settings.suggest_threshold)
    figures["gap_weight"] = searcher.settings.suggest_gap_weight
    figures["sweep"] = [{k: v for k, v in _suggestion_summary(queries, in_results, oos_results, searcher, bar).items()
                         if k != "by_language"} for bar in SUGGEST_SWEEP]
    return figures
