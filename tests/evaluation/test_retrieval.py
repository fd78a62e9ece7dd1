"""Retrieval scoring: ranks, summaries, threshold calibration, the reliability curve and suggestions."""

from __future__ import annotations

import pytest

from evaluation.retrieval import (
    Query,
    answer_precision,
    calibrate_threshold,
    rank_queries,
    reliability_curve,
    score_system,
    suggestion_figures,
    summary,
    top_scores,
)
from knowledge_base.search import Searcher

QUERIES = [Query("carte vitale perdue", "carte-vitale-perdue", (), "fr", "service"),
           Query("lost my card", "carte-vitale-perdue", ("carte-vitale-obtenir",), "en", "service"),
           Query("fievre bebe", "fievre-enfant", (), "fr", "health")]
RANKINGS = {"carte vitale perdue": [("carte-vitale-perdue", 0.9), ("ame", 0.5)],
            "lost my card": [("ame", 0.7), ("carte-vitale-obtenir", 0.6)],
            "fievre bebe": [("ame", 0.4)],
            "meteo": [("ame", 0.3)],
            "foot": []}


def ranker(text: str) -> list[tuple[str, float]]:
    return RANKINGS[text]


def test_rank_queries_finds_the_first_right_topic_and_its_alternatives() -> None:
    rows = rank_queries(ranker, QUERIES)
    assert [r["rank"] for r in rows] == [1, 2, 0]
    assert [r["score"] for r in rows] == [0.9, 0.7, 0.4]
    assert rows[1]["got"] == ["ame"]


def test_top_scores_is_zero_when_nothing_is_found() -> None:
    assert top_scores(ranker, ["meteo", "foot"]) == [0.3, 0.0]


def test_summary_counts_recall_mrr_and_answers_at_the_threshold() -> None:
    rows = rank_queries(ranker, QUERIES)
    figures = summary(rows, threshold=0.65)
    assert figures["recall@1"] == pytest.approx(1 / 3)
    assert figures["recall@3"] == pytest.approx(2 / 3)
    assert figures["mrr"] == pytest.approx((1 + 0.5) / 3)
    assert figures["answered_right"] == pytest.approx(1 / 3)  # 0.9 right
    assert figures["answered_wrong"] == pytest.approx(1 / 3)  # 0.7 wrong
    assert summary(rows, None)["answered_right"] is None


def test_calibration_picks_the_lowest_threshold_that_rejects_enough() -> None:
    out_of_scope = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    result = calibrate_threshold([(0.95, True), (0.85, False)], out_of_scope, min_rejection=0.8)
    assert result["threshold"] == 0.85  # 0.1..0.8 rejected = 80 %
    assert result["out_of_scope_rejected"] == pytest.approx(0.8)
    assert result["answered_right"] == 0.5 and result["answered_wrong"] == 0.5


def test_calibration_can_always_reject_everything() -> None:
    result = calibrate_threshold([(0.5, True)], [0.9, 0.9, 0.9], min_rejection=1.0)
    assert result["out_of_scope_rejected"] == 1.0
    assert result["threshold"] > 0.9


def test_reliability_counts_out_of_scope_as_wrong_and_orders_by_score() -> None:
    curve = reliability_curve([(0.9, True), (0.8, True), (0.2, False)], [0.1, 0.85], bins=5)
    assert [point["n"] for point in curve] == [1] * 5
    assert [point["right"] for point in curve] == [0.0, 0.0, 1.0, 0.0, 1.0]
    assert curve[0]["score_min"] == 0.1 and curve[-1]["score_max"] == 0.9


def test_reliability_bins_cover_every_message() -> None:
    curve = reliability_curve([(i / 100, i % 2 == 0) for i in range(95)], [0.5] * 20, bins=10)
    assert len(curve) == 10 and sum(point["n"] for point in curve) == 115


def test_score_system_uses_the_configured_threshold_when_given() -> None:
    rows = rank_queries(ranker, QUERIES)
    configured = score_system(rows, [0.3, 0.0], threshold=0.8)
    assert configured["threshold"] == 0.8 and configured["out_of_scope_rejected"] == 1.0
    calibrated = score_system(rows, [0.3, 0.0], min_rejection=0.5)
    assert calibrated["threshold"] == calibrated["calibration"]["threshold"]
    assert set(calibrated["by_language"]) == {"fr", "en"} and calibrated["by_kind"]["health"]["n"] == 1
    assert [m["text"] for m in calibrated["misses"]] == ["lost my card", "fievre bebe"]


def test_score_system_without_out_of_scope_leaves_answerability_out() -> None:
    figures = score_system(rank_queries(ranker, QUERIES), [])
    assert figures["calibration"] is None and figures["threshold"] is None
    assert figures["out_of_scope_rejected"] is None and figures["overall"]["answered_right"] is None


def test_answer_precision_counts_answered_out_of_scope_messages_as_wrong() -> None:
    in_scope = [(0.9, True), (0.8, False), (0.4, True)]
    assert answer_precision(in_scope, [0.85, 0.1], threshold=0.7) == pytest.approx(1 / 3)
    assert answer_precision(in_scope, [0.1], threshold=0.85) == 1.0
    assert answer_precision(in_scope, [], threshold=0.95) is None
    assert answer_precision(in_scope, [0.85], threshold=None) is None
    assert score_system(rank_queries(ranker, QUERIES), [0.3], threshold=0.65)["answer_precision"] == 0.5


def test_suggestion_figures_count_only_what_the_assistant_does_not_answer(searcher: Searcher,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    queries = [Query("comment avoir la complementaire sante solidaire", "c2s", (), "fr", "service"),
               Query("carte vitale perdue", "fievre-enfant", (), "fr", "health")]  # a wrong label: never offered
    never_sure = searcher.settings.model_copy(update={"answer_threshold": 10.0, "suggest_threshold": 0.0})
    monkeypatch.setattr(searcher, "settings", never_sure)
    figures = suggestion_figures(searcher, queries, ["quel temps fait il demain"])
    assert (figures["unanswered"], figures["offered"], figures["right_offered"]) == (2, 1.0, 0.5)
    assert figures["out_of_scope_offered"] == 1.0 and figures["by_language"]["fr"]["right_offered"] == 0.5
    assert [row["out_of_scope_offered"] for row in figures["sweep"]] == sorted(
        (row["out_of_scope_offered"] for row in figures["sweep"]), reverse=True)
    monkeypatch.setattr(searcher, "settings", never_sure.model_copy(update={"suggest_threshold": 10.0}))
    figures = suggestion_figures(searcher, queries, ["quel temps fait il demain"])
    assert (figures["offered"], figures["right_offered"], figures["out_of_scope_offered"]) == (0.0, 0.0, 0.0)
