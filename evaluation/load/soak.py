"""Soak run: the full stack at a steady rate for minutes, watching for leaks and lost messages.

`python -m evaluation.load.soak --minutes 10 --rate 1` starts the stack (Rasa, action server, web
app) and the fake Twilio as in `twilio_load` (ports `--port`..`--port`+3, data in var/load-twilio/),
posts signed inbound SMS at a fixed rate (open loop), by default questions of the development set
alternating with AIDE/HELP, each from a new person, and samples the resident memory (RSS) of
each process group every `--sample` seconds. It reports:

- messages in (acknowledged) and messages answered (processed, every reply sent), which must be
  equal, with the lost and duplicated counts of `twilio_load`;
- webhook-to-send latency p50/p95/max;
- memory of each process: after the first `--warmup` seconds (models loaded, caches filled), at
  the end of the load, the drift between the two and the least-squares slope in MB per 10 minutes.

The rate must stay under the machine's capacity (see the README's load figures), or the run
measures a growing backlog instead of a steady state. Not run in CI; a JSON copy goes to
evaluation/reports/load/. Exit code 1 if a message was lost, duplicated or left unanswered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from evaluation.load.twilio_load import (
    _analyse,
    _cpu_seconds,
    _drive,
    _settle,
    load_messages,
    running_stack,
    save_report,
)
from passerelle.settings import ROOT

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb(group: int) -> float:
    """Resident memory of every process of a process group, in MB (servers fork workers)."""
    pages = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            group_of = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2])
            if group_of == group:
                pages += int((entry / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
    return pages * PAGE / 1e6


class MemorySampler:
    """A thread that records (seconds since start, RSS of each group) every `every_s` seconds."""

    def __init__(self, groups: dict[str, int], every_s: float) -> None:
        self.groups = groups
        self.every_s = every_s
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = 0.0

    def __enter__(self) -> MemorySampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def elapsed(self) -> float:
        """Seconds since sampling started."""
        return time.monotonic() - self._started

    def _run(self) -> None:
        while True:
            moment = time.monotonic() - self._started
            self.samples.append((moment, {name: rss_mb(group) for name, group in self.groups.items()}))
            if self._stop.wait(self.every_s):
                return


def slope_per_10_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) points, in MB per 10 minutes."""
    if len(points) < 3:
        return None
    return round(statistics.linear_regression([t for t, _ in points], [v for _, v in points]).slope * 600, 1)


def memory_report(samples: list[tuple[float, dict[str, float]]], warmup_s: float,
                  load_end_s: float) -> dict[str, dict[str, float | None]]:
    """Per process: RSS after warm-up, at the end of the load, peak, drift and slope.

    "After warm-up" and "end" are medians of the samples in the minute that follows the warm-up
    and in the last minute of load, so one garbage-collection spike does not decide the figure.
    """
    steady = [(t, values) for t, values in samples if warmup_s <= t <= load_end_s]
    report: dict[str, dict[str, float | None]] = {}
    for name in samples[0][1] if samples else []:
        points = [(t, values[name]) for t, values in steady]
        if not points:
            continue
        start = statistics.median(v for t, v in points if t <= warmup_s + 60)
        end = statistics.median(v for t, v in points if t >= load_end_s - 60)
        report[name] = {"after_warmup_mb": round(start, 1), "end_mb": round(end, 1),
                        "peak_mb": round(max(v for _, v in points), 1), "drift_mb": round(end - start, 1),
                        "drift_pct": round(100 * (end - start) / start, 1) if start else None,
                        "slope_mb_per_10_min": slope_per_10_min(points)}
    return report


def main() -> int:
    """Run the soak, print and save the report; exit 1 if in != answered or anything was lost or doubled."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of steady load (default 10)")
    parser.add_argument("--rate", type=float, default=1.0, help="inbound messages per second (default 1)")
    parser.add_argument("--messages", choices=["questions", "keywords", "mixed"], default="mixed",
                        help="what people send (default: questions and AIDE/HELP alternating)")
    parser.add_argument("--port", type=int, default=8210, help="first of four ports: web, rasa, actions, fake")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between memory samples (default 5)")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before memory counts (default 60)")
    parser.add_argument("--settle", type=float, default=600.0, help="seconds to let a backlog drain (default 600)")
    args = parser.parse_args()
    duration = args.minutes * 60

    with running_stack(args.port, ROOT / "var" / "load-twilio") as running:
        cpu_before = {name: _cpu_seconds(pid) for name, pid in running.pids.items()}
        print(f"stack ready; soaking {args.minutes:g} min at {args.rate}/s", flush=True)
        with MemorySampler(running.pids, args.sample) as sampler:
            records = asyncio.run(_drive(running.webhook, args.rate, duration, 1, load_messages(args.messages)))
            load_end = sampler.elapsed()
            database = running.database
            _settle(database, len(records), timeout_s=args.settle)
            time.sleep(2)  # the last delivery callbacks
        cpu = {name: round(_cpu_seconds(pid) - cpu_before[name], 1) for name, pid in running.pids.items()}
        report: dict[str, Any] = _analyse(records, database, running.fake_messages(), args.rate, duration)
    messages_in, answered = report["acknowledged_200"], report["answered"]
    report = {"soak_minutes": args.minutes, "messages": args.messages, "messages_in": messages_in,
              "messages_answered": answered, "webhook_to_send_s": report["latency_s"]["webhook_to_send"],
              "memory": memory_report(sampler.samples, args.warmup, load_end), "cpu_seconds": cpu,
              "memory_samples_mb": [[round(t, 1), {k: round(v, 1) for k, v in values.items()}]
                                    for t, values in sampler.samples],
              "load_average_end": [round(v, 1) for v in os.getloadavg()], "cpus": os.cpu_count(),
              "details": report}
    save_report(report, f"soak-{args.minutes:g}min-{args.rate:g}per-s")
    details = report["details"]
    failures = sum(details["lost"].values()) + sum(details["duplicated"].values())
    return 1 if failures or answered != messages_in or messages_in != details["posted"] else 0


if __name__ == "__main__":
    sys.exit(main())
