"""The scale benchmark on a small synthetic scale: both index kinds, every figure the README quotes."""

from __future__ import annotations

import json

from evaluation.search_benchmark import run_benchmark
from passerelle.settings import ROOT, Settings


def test_benchmark_reports_wall_and_cpu_time_for_both_index_kinds(shipped_index_settings: Settings) -> None:
    texts = [json.loads(line)["text"] for line in
             (ROOT / "evaluation" / "data" / "dev_queries.jsonl").read_text(encoding="utf-8").splitlines()]
    # 400 entries are ~6k vectors: exact below 10k vectors, IVF with 2k as the limit.
    flat = run_benchmark(str(shipped_index_settings.index_dir), (400,), 10_000, texts[:20])["scales"][0]
    result = run_benchmark(str(shipped_index_settings.index_dir), (400,), 2_000, texts[:20])
    ivf = result["scales"][0]

    assert (flat["index"], ivf["index"]) == ("flat", "ivf")
    assert flat["approx_hit_at_10"] == 1.0  # an exact index is its own reference
    assert 0.5 <= ivf["approx_hit_at_10"] <= 1.0
    for scale in (flat, ivf):
        assert 0 < scale["p50_ms"] <= scale["p95_ms"]
        assert 0 < scale["cpu_p50_ms"] <= scale["cpu_p95_ms"]
        assert scale["stage_p50_ms"]["embed"] > 0
    assert "faiss_exact" in ivf["stage_p50_ms"] and "faiss_exact" not in flat["stage_p50_ms"]
    assert result["embedder"]["query_p50_ms"] > 0 and result["embedder"]["batch_texts_per_s"] > 0
