"""The retrieval comparison: our default search against each of its parts and against Rasa's FAQ.

Systems, all on the same knowledge base, queries and out-of-scope messages:
- `fused`: the default (e5 dense + 0.2 x BM25), at the configured answer threshold;
- `dense_e5`: multilingual-e5-small alone;
- `dense_st`: the sentence-transformers backend alone (the packaged all-MiniLM-L6-v2, or the
  model directory `PASSERELLE_EMBEDDER_MODEL` names), with its own index;
- `lexical`: BM25 alone;
- `rasa_faq`: retrieval intents + ResponseSelector trained on the entries' questions
  (evaluation/rasa_faq.py).
Quick mode leaves out the two that take minutes the first time: the Rasa baseline (training)
and the sentence-transformers index (embedding every entry again). Works for any
knowledge-base directory, or a JSON Lines FAQ in the `kb import` format, which is what
`passerelle eval retrieval --kb` uses.
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from evaluation import rasa_faq
from evaluation.processes import Finished
from evaluation.retrieval import Query, evaluate_system, load_queries, load_texts, searcher_ranker, suggestion_figures
from knowledge_base.build import ensure_index
from knowledge_base.embedders import Embedder, get_embedder
from knowledge_base.importer import import_jsonl
from knowledge_base.loader import load_entries
from knowledge_base.schema import Entry
from knowledge_base.search import Searcher
from passerelle.settings import Settings

SYSTEMS = ("fused", "dense_e5", "dense_st", "lexical", "rasa_faq")
SHIPPED_FAQ_LANGUAGES = ("fr", "en")


class MemoEmbedder:
    """An embedder that remembers query vectors: the fused and dense runs embed the same texts.

    Batch and single embeddings are identical with both backends (checked), so embedding all
    evaluation texts once in batches changes no figure and divides the run time.
    """

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._memo: dict[str, np.ndarray] = {}

    def prime(self, texts: list[str], batch: int = 64) -> None:
        """Embed `texts` in batches ahead of the searches."""
        todo = list(dict.fromkeys(t.strip() for t in texts if t.strip() not in self._memo))
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            for text, vector in zip(chunk, self.inner.embed_queries(chunk), strict=True):
                self._memo[text] = vector

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self._memo]
        if missing:
            for text, vector in zip(missing, self.inner.embed_queries(missing), strict=True):
                self._memo[text] = vector
        return np.vstack([self._memo[t] for t in texts]) if texts else self.inner.embed_queries([])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)


def _searcher(settings: Settings, content_dir: Path, texts: list[str]) -> tuple[Searcher, dict[str, Any]]:
    started = time.perf_counter()
    report = ensure_index(content_dir, settings, progress=False)
    build_s = time.perf_counter() - started
    embedder = MemoEmbedder(get_embedder(settings.embedder, settings.embedder_model, settings.embedder_threads))
    embedder.prime(texts)
    searcher = Searcher(settings, index_root=report.index_root, embedder=embedder)
    return searcher, {"embedder": embedder.name, "entries": report.entries, "index_rebuilt": report.rebuilt,
                      "index_seconds": round(build_s, 1), "vectors": len(searcher.snapshot.vectors)}


def _work_key(content_dir: Path) -> str:
    return hashlib.sha256(str(content_dir.resolve()).encode()).hexdigest()[:10]


def imported_kb(faq: Path, work_dir: Path) -> tuple[Path, list[str]]:
    """A JSON Lines FAQ (`kb import` format) imported afresh under `work_dir`; its folder and the
    lines that were left out, each with its reason."""
    out = work_dir / f"kb-{faq.stem}-{_work_key(faq)}"
    if out.exists():
        shutil.rmtree(out)
    report = import_jsonl(faq, out)
    return out, report.rejected


def load_inputs(content_dir: Path, queries_file: Path,
                out_of_scope_file: Path | None) -> tuple[list[Entry], list[Query], list[str]]:
    """The live entries, labelled queries and out-of-scope messages, checked before anything is built.

    A query whose right topic is not in the knowledge base could never be found: that is a
    mistake in the files, reported as a ValueError, not a lower recall.
    """
    entries = [e for e in load_entries(content_dir)[0] if e.is_live]
    if not entries:
        raise ValueError(f"{content_dir}: no published entry")
    kinds = {e.topic: e.kind.value for e in entries}
    queries = load_queries(queries_file, kinds)
    if not queries:
        raise ValueError(f"{queries_file}: no labelled query")
    unknown = sorted({q.gold for q in queries} - set(kinds))
    if unknown:
        raise ValueError(f"{queries_file}: gold topics not in {content_dir}: {', '.join(unknown)}")
    out_of_scope = load_texts(out_of_scope_file) if out_of_scope_file is not None else []
    return entries, queries, out_of_scope


def compare_systems(settings: Settings, content_dir: Path, queries_file: Path, out_of_scope_file: Path | None,
                    work_dir: Path, *, with_rasa: bool, with_st: bool = True, rasa_port: int,
                    rasa_languages: tuple[str, ...] | None = None,
                    log: Callable[[str], None] = print) -> dict[str, Any]:
    """Every system's figures on one knowledge base, plus what each system was built from."""
    _, queries, out_of_scope = load_inputs(content_dir, queries_file, out_of_scope_file)
    texts = [q.text for q in queries] + out_of_scope
    e5_settings = settings.model_copy(update={"embedder": "e5"})
    st_settings = settings.model_copy(update={"embedder": "sentence-transformers", "content_dir": content_dir,
                                              "data_dir": work_dir / f"st-{_work_key(content_dir)}"})
    systems: dict[str, Any] = {}
    built: dict[str, Any] = {}

    log("retrieval: e5 index and searches")
    e5, built["e5"] = _searcher(e5_settings, content_dir, texts)
    threshold = settings.answer_threshold  # what the assistant would use on this knowledge base
    systems["fused"] = evaluate_system(searcher_ranker(e5, "fused"), queries, out_of_scope, threshold)
    systems["dense_e5"] = evaluate_system(searcher_ranker(e5, "dense"), queries, out_of_scope)
    systems["lexical"] = evaluate_system(searcher_ranker(e5, "lexical"), queries, out_of_scope)
    if with_st:
        log("retrieval: sentence-transformers index and searches")
        st, built["st"] = _searcher(st_settings, content_dir, texts)
        systems["dense_st"] = evaluate_system(searcher_ranker(st, "dense"), queries, out_of_scope)
    result: dict[str, Any] = {"systems": systems, "built": built, "queries": len(queries),
                              "out_of_scope": len(out_of_scope), "content_dir": str(content_dir),
                              "queries_file": str(queries_file), "fused_threshold": threshold,
                              "suggestions": suggestion_figures(e5, queries, out_of_scope)}
    if with_rasa:
        log("retrieval: Rasa FAQ baseline (write, train, serve)")
        trained = train_rasa_baseline(content_dir, rasa_languages, work_dir)
        add_rasa_baseline(result, trained, queries_file, out_of_scope_file, rasa_port)
    result["systems"] = {name: result["systems"][name] for name in SYSTEMS if name in result["systems"]}
    return result


TrainedFaq = tuple[rasa_faq.FaqProject, Finished | None]
"""The Rasa FAQ baseline's project and how its training went (None: the model was reused)."""


def train_rasa_baseline(content_dir: Path, languages: tuple[str, ...] | None, work_dir: Path) -> TrainedFaq:
    """The Rasa FAQ baseline's project, trained or reused.

    Only the knowledge base goes into it, so `passerelle eval all` starts it in the background
    while the sections that do not need it run."""
    entries = [e for e in load_entries(content_dir)[0] if e.is_live]
    project = rasa_faq.write_project(entries, languages, work_dir / "rasa-faq")
    return project, rasa_faq.train(project)


def add_rasa_baseline(retrieval: dict[str, Any], trained: TrainedFaq, queries_file: Path,
                      out_of_scope_file: Path | None, port: int) -> None:
    """Serve the trained baseline, score it on the same messages and add it to `retrieval` (the
    figures of `compare_systems`), in the systems' usual order."""
    content_dir = Path(retrieval["content_dir"])
    _, queries, out_of_scope = load_inputs(content_dir, queries_file, out_of_scope_file)
    figures, built = _rasa_baseline(*trained, port, queries, out_of_scope)
    systems = {**retrieval["systems"], "rasa_faq": figures}
    retrieval["systems"] = {name: systems[name] for name in SYSTEMS if name in systems}
    retrieval["built"]["rasa_faq"] = built


def _rasa_baseline(project: rasa_faq.FaqProject, training: Finished | None, port: int, queries: list[Query],
                   out_of_scope: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    latencies: list[float] = []
    with rasa_faq.served(project, port) as (rank, server):
        def timed(text: str) -> list[tuple[str, float]]:
            started = time.perf_counter()
            ranked = rank(text)
            latencies.append((time.perf_counter() - started) * 1000)
            return ranked
        figures = evaluate_system(timed, queries, out_of_scope)
        peak = server.peak_rss_mb()
    latencies.sort()
    return figures, {"topics": project.topics, "examples": project.examples,
                     "languages": project.languages or "all", **project.selector(),
                     "train_seconds": None if training is None else training.wall_seconds,
                     "train_cpu_seconds": None if training is None else training.cpu_seconds,
                     "server_start_seconds": round(server.ready_s or 0.0, 1),
                     "parse_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
                     "parse_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
                     "server_peak_rss_mb": peak}
