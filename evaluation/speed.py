"""Reply latency and throughput through the whole stack, against the knowledge-base search alone.

Closed-loop load on 127.0.0.1: `concurrency` simulated people each hold one conversation and send
their next question as soon as the previous reply arrives, until the level's message budget is
spent (or its time cap passes), so every run is bounded and stops by itself. The questions are
the development set's service and health questions (an urgent or myth message would hand the
conversation to a mediator and make the rest of it silent, which is faster and says nothing).

The baseline, in the same run on the same questions: the knowledge-base search alone, in
process (what a reply costs without the gateway, triage, Rasa and the action server).
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from knowledge_base.search import Searcher

REQUEST_TIMEOUT_S = 60.0
LEVEL_TIME_CAP_S = 180.0


def percentile(values: list[float], q: float) -> float:
    """The q-quantile by nearest rank (values need not be sorted)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def latency_figures(ms: list[float]) -> dict[str, float | None]:
    """p50 / p95 / max of a list of milliseconds."""
    if not ms:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    return {"p50_ms": round(percentile(ms, 0.5), 1), "p95_ms": round(percentile(ms, 0.95), 1),
            "max_ms": round(max(ms), 1)}


def load_level(base_url: str, texts: list[str], concurrency: int, messages: int,
               time_cap_s: float = LEVEL_TIME_CAP_S) -> dict[str, Any]:
    """Send `messages` questions over `concurrency` concurrent conversations; latency and rate."""
    lock = threading.Lock()
    budget = iter(range(messages))
    latencies: list[float] = []
    failures = [0]
    deadline = time.monotonic() + time_cap_s

    def next_index() -> int | None:
        with lock:
            return next(budget, None) if time.monotonic() < deadline else None

    def conversation(worker: int) -> None:
        sender = f"speed-{concurrency}-{worker}-{uuid.uuid4().hex[:8]}"
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
            while (index := next_index()) is not None:
                started = time.perf_counter()
                try:
                    response = client.post("/api/simulate", json={"sender": sender,
                                                                  "text": texts[index % len(texts)]})
                    answered = response.status_code == 200 and bool(response.json().get("replies"))
                except httpx.HTTPError:
                    answered = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    failures[0] += not answered

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(conversation, range(concurrency)))
    wall = time.perf_counter() - started
    return {"concurrency": concurrency, "messages": len(latencies), "seconds": round(wall, 2),
            "throughput_per_s": round(len(latencies) / wall, 2) if wall else None,
            "unanswered": failures[0], **latency_figures(latencies)}


def search_alone(searcher: Searcher, texts: list[str]) -> dict[str, Any]:
    """The baseline: one knowledge-base search per question, in process, one at a time."""
    searcher.search("échauffement")  # the first call pays one-off costs
    ms = []
    started = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        searcher.search(text, language="fr")
        ms.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - started
    return {"messages": len(ms), "throughput_per_s": round(len(ms) / wall, 2), **latency_figures(ms),
            "mean_ms": round(statistics.fmean(ms), 1)}
