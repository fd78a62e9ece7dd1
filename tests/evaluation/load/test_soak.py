"""The soak run's own arithmetic: memory per process group, drift and slope (the run itself is not in CI)."""

from __future__ import annotations

import os
import time

from evaluation.load.soak import MemorySampler, memory_report, rss_mb


def test_rss_of_this_process_group_is_measured() -> None:
    assert 1 < rss_mb(os.getpgrp()) < 100_000


def test_a_steady_process_has_no_drift_and_a_leaking_one_is_seen() -> None:
    samples = [(float(t), {"steady": 100.0 + (5.0 if t == 300 else 0.0), "leaky": 100.0 + t / 6})
               for t in range(0, 601, 5)]  # the leak: 10 MB a minute; one spike in the steady one
    report = memory_report(samples, warmup_s=60, load_end_s=600)
    assert report["steady"]["drift_mb"] == 0 and report["steady"]["peak_mb"] == 105
    assert abs(report["steady"]["slope_mb_per_10_min"]) < 1
    assert report["leaky"]["drift_mb"] == 80.0  # medians of 60-120 s (15 MB) and 540-600 s (95 MB)
    assert report["leaky"]["slope_mb_per_10_min"] == 100.0


def test_the_sampler_records_each_group_until_stopped() -> None:
    with MemorySampler({"me": os.getpgrp()}, every_s=0.01) as sampler:
        while len(sampler.samples) < 3:
            time.sleep(0.005)
    assert all(values["me"] > 0 for _, values in sampler.samples)
    assert [t for t, _ in sampler.samples] == sorted(t for t, _ in sampler.samples)
