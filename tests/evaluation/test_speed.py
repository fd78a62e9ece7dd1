"""Latency figures used by the speed section."""

from __future__ import annotations

from evaluation.speed import latency_figures, percentile


def test_percentile_is_nearest_rank_on_unsorted_values() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, 0.5) in (50.0, 51.0)
    assert percentile(values, 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0


def test_latency_figures_of_nothing_are_absent() -> None:
    assert latency_figures([]) == {"p50_ms": None, "p95_ms": None, "max_ms": None}
    assert latency_figures([10.0, 30.0, 20.0])["max_ms"] == 30.0
