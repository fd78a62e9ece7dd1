"""Search speed and scale: latency, build time, memory and approximate-index recall at 1k-100k entries.

Synthetic entries are variants of the real ones at the vector level: each real entry's vectors
plus small Gaussian noise, re-normalised. Embedding 100k entries' texts would take hours on two
cores and measure the embedder, not the index; the embedder's own throughput is measured
separately on real texts, so the text-level build time at any scale can be read off it.
Each scale runs in a child process so that its peak memory is its own.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import statistics
import time
from typing import Any

import numpy as np

from evaluation.processes import self_peak_rss_mb
from knowledge_base.index import IVF_PROBES, IndexSnapshot, make_faiss_index
from knowledge_base.schema import Entry
from knowledge_base.search import LexicalIndex

NOISE = 0.05
QUERIES = 200


def synthetic_snapshot(base: IndexSnapshot, n_entries: int, exact_max: int, seed: int = 0) -> tuple[
        list[Entry], np.ndarray, np.ndarray, Any, str, float]:
    """`n_entries` noisy copies of the base entries' vectors, and the FAISS index built on them."""
    rng = np.random.default_rng(seed)
    entries: list[Entry] = []
    blocks: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    for i in range(n_entries):
        src = i % len(base.entries)
        start, end = base.offsets[src], base.offsets[src + 1]
        vectors = base.vectors[start:end] + rng.normal(0, NOISE, (end - start, base.vectors.shape[1]))
        blocks.append((vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32))
        owners.append(np.full(end - start, i, dtype=np.int32))
        entries.append(base.entries[src].model_copy(update={"id": f"{base.entries[src].id}-{i}"}))
    matrix = np.vstack(blocks)
    del blocks
    started = time.perf_counter()
    index, kind = make_faiss_index(matrix, exact_max)
    return entries, matrix, np.concatenate(owners), index, kind, time.perf_counter() - started


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _run_scale(base_path: str, n_entries: int, exact_max: int, queries: list[str], out: Any) -> None:
    """Child process: build one scale and measure it; sends a dict back through `out`."""
    from pathlib import Path

    from knowledge_base.embedders import get_embedder
    from knowledge_base.index import load_snapshot

    base = load_snapshot(Path(base_path))
    embedder = get_embedder("e5")
    entries, matrix, owners, index, kind, faiss_build_s = synthetic_snapshot(base, n_entries, exact_max)
    started = time.perf_counter()
    lexical = LexicalIndex(entries)
    bm25_build_s = time.perf_counter() - started
    exact = make_faiss_index(matrix, len(matrix) + 1)[0] if kind != "flat" else None

    latencies, cpu_times, overlap = [], [], []
    stages: dict[str, list[float]] = {"embed": [], "faiss": [], "lexical": [], "faiss_exact": []}
    for text in queries:
        c0 = time.process_time()
        t0 = time.perf_counter()
        qv = embedder.embed_queries([text])[0]
        t1 = time.perf_counter()
        _, ids = index.search(qv[None, :], 256)
        found = ids[0][ids[0] >= 0]
        matrix[found] @ qv  # search rescores the candidates with their float vectors
        t2 = time.perf_counter()
        lexical.scores(text)
        t3 = time.perf_counter()
        cpu_times.append((time.process_time() - c0) * 1000)
        latencies.append((t3 - t0) * 1000)
        for stage, seconds in (("embed", t1 - t0), ("faiss", t2 - t1), ("lexical", t3 - t2)):
            stages[stage].append(seconds * 1000)
        if exact is not None:
            t4 = time.perf_counter()
            exact.search(qv[None, :], 256)  # the exact index's speed, beside the approximate one's
            stages["faiss_exact"].append((time.perf_counter() - t4) * 1000)
            # Synthetic copies of one real entry are near-ties, so recall is judged on the real
            # entry behind the best vector: does the approximate top-10 contain it?
            _, exact_ids = exact.search(qv[None, :], 1)
            real = len(base.entries)
            got = {int(owners[i]) % real for i in ids[0][:10] if i >= 0}
            overlap.append(float(int(owners[exact_ids[0][0]]) % real in got))
    peak_mb = self_peak_rss_mb()  # not ru_maxrss: Linux carries the parent's peak over into it
    out.send({
        "entries": n_entries, "vectors": int(len(matrix)), "index": kind,
        "faiss_build_s": round(faiss_build_s, 2), "bm25_build_s": round(bm25_build_s, 2),
        "p50_ms": round(statistics.median(latencies), 2), "p95_ms": round(_percentile(latencies, 0.95), 2),
        # CPU time of the query in this process (all its threads): what the query costs, which a
        # shared machine cannot inflate; wall time above also counts waiting for a core.
        "cpu_p50_ms": round(statistics.median(cpu_times), 2), "cpu_p95_ms": round(_percentile(cpu_times, 0.95), 2),
        "approx_hit_at_10": round(float(np.mean(overlap)), 3) if overlap else 1.0,
        # where a query's time goes (p50, ms); faiss_exact: the exact index at the same scale
        "stage_p50_ms": {stage: round(statistics.median(times), 2) for stage, times in stages.items() if times},
        "peak_rss_mb": round(peak_mb, 1),
        "vector_bytes_per_entry": int(matrix.nbytes / n_entries),
        "ivf_probes": IVF_PROBES if kind == "ivf" else None,
    })


def embedder_throughput(texts: list[str]) -> dict[str, float]:
    """Real e5 throughput: single queries (latency) and batches (index build)."""
    from knowledge_base.embedders import get_embedder

    embedder = get_embedder("e5")
    embedder.embed_queries(texts[:8])  # warm-up
    single = []
    for text in texts[:100]:
        t0 = time.perf_counter()
        embedder.embed_queries([text])
        single.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    embedder.embed_queries(texts)
    batch_s = time.perf_counter() - t0
    return {"query_p50_ms": round(statistics.median(single), 2),
            "query_p95_ms": round(_percentile(single, 0.95), 2),
            "batch_texts_per_s": round(len(texts) / batch_s, 1)}


def run_benchmark(base_index_root: str, scales: tuple[int, ...], exact_max: int, queries: list[str]) -> dict[str, Any]:
    """All scales, each in its own process, plus the embedder's throughput."""
    context = mp.get_context("spawn")
    results = []
    for n in scales:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_run_scale, args=(base_index_root, n, exact_max, queries[:QUERIES], send))
        child.start()
        send.close()  # only the child writes: if it dies, recv() ends instead of waiting forever
        try:
            results.append(receive.recv())
        except EOFError:
            raise RuntimeError(f"scale {n}: benchmark process died (exit code {child.exitcode})") from None
        finally:
            child.join()
    return {"scales": results, "embedder": embedder_throughput(queries), "noise": NOISE}


if __name__ == "__main__":  # pragma: no cover - manual run: python -m evaluation.search_benchmark
    import datetime as dt
    import os

    from passerelle.settings import ROOT, get_settings

    texts = [json.loads(line)["text"] for line in
             (ROOT / "evaluation" / "data" / "dev_queries.jsonl").read_text(encoding="utf-8").splitlines()]
    result = run_benchmark(str(get_settings().index_dir), (1_000, 10_000, 100_000),
                           get_settings().exact_index_max_vectors, texts * 2)
    result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]  # a busy machine inflates every time
    out = ROOT / "evaluation" / "reports" / f"scale-{dt.date.today().isoformat()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
