"""`passerelle eval all [--quick]`: every measurement in one run, one report folder.

Writes evaluation/reports/<date>/ (or <date>-quick/): report.md, figures.json (every number)
and the PNG pictures. Rasa's two trainings (the FAQ baseline, NLU cross-validation) run in the
background beside the sections that time nothing (retrieval quality, triage quality, plain
language); everything timed runs after them, one section at a time, so that no speed figure is
measured while something else trains. A section that fails is reported as failed and the others
still run (the gate then fails on the missing figures). Generated working files go under var/eval/.

Quick mode (CI; under 3 minutes once the index, the triage models and the Rasa model exist, 55 s
on a quiet machine here) skips what takes minutes: the Rasa FAQ baseline's training, the
sentence-transformers index, the NLU cross-validation, speed at 20 concurrent conversations and
the search scale benchmark. It keeps the triage test split: the gate reads its figures.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation import machine
from evaluation.eval_stack import Ports, process_peaks, running_stack
from evaluation.gate import check, load_targets
from evaluation.plots import draw_all
from evaluation.report import render, system_labels
from evaluation.retrieval_systems import SHIPPED_FAQ_LANGUAGES
from passerelle.settings import ROOT, Settings, get_settings

log = logging.getLogger(__name__)

DATA = ROOT / "evaluation" / "data"
REPORTS = ROOT / "evaluation" / "reports"
WORK = ROOT / "var" / "eval"  # indexes of other backends and knowledge bases, Rasa projects, the stack
SPEED_LEVELS = {1: 20, 5: 40, 20: 80}  # concurrent conversations -> messages sent
QUICK_SPEED_LEVELS = {1: 10, 5: 20}
# 100k entries (1.4 M vectors: ~6 min of index build and ~9 GB here) is issue 3's own benchmark,
# `python -m evaluation.search_benchmark`, not part of every report.
SCALES = (1_000, 10_000)
# The test split is never trained or tuned on: the report and the gate read it. The blind set
# is not part of any report: it is run once, by hand, for a final method (`eval triage --split <blind set>`).
TRIAGE_SPLITS = ("test",)
QUICK_TRIAGE_SPLITS = ("test",)
TRIAGE_SPEED_MESSAGES = 40
QUICK_SKIPS = ["Rasa FAQ baseline (training takes minutes)", "sentence-transformers backend (its own index)",
               "NLU cross-validation", "speed at 20 concurrent conversations",
               "search scale benchmark"]


@dataclass
class RunOptions:
    """What to run and where: caches (indexes, Rasa projects) in `work_dir`; the started stack's
    database and Rasa model in `stack_dir` (default `work_dir/stack`). The gate in `make test`
    points `stack_dir` at the end-to-end tests' folder to reuse their trained model, and uses
    ports of its own so that it can run beside `make run` and `make eval`."""

    quick: bool = False
    reports_dir: Path = REPORTS
    work_dir: Path = WORK
    stack_dir: Path | None = None
    ports: Ports = field(default_factory=Ports)
    date: str = field(default_factory=lambda: dt.date.today().isoformat())

    @property
    def stack_data_dir(self) -> Path:
        return self.stack_dir or self.work_dir / "stack"

    @property
    def out_dir(self) -> Path:
        return self.reports_dir / (self.date + ("-quick" if self.quick else ""))


class Sections:
    """Runs sections in order, timing each and recording (not raising) failures."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.seconds: dict[str, float] = {}
        self.errors: dict[str, str] = {}
        self.background: list[str] = []  # sections run beside others: their wall time overlaps theirs

    def run(self, name: str, work: Callable[[], Any]) -> Any:
        self.say(f"[eval] {name}...")
        started = time.perf_counter()
        try:
            return work()
        except Exception as exc:  # one broken section must not hide the others' figures
            log.exception("evaluation section %s failed", name)
            self.errors[name] = f"{type(exc).__name__}: {exc}"
            self.say(f"[eval] {name} FAILED: {self.errors[name]}")
            return None
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 1)
            self.say(f"[eval] {name} done in {self.seconds[name]:.0f} s")

    def start(self, name: str, work: Callable[[], Any]) -> Callable[[], Any]:
        """Run a section in a thread beside the next ones; the returned call waits for its result
        (None if it failed). Meant for work done in a child process (Rasa's trainings), which does
        not hold this process's interpreter."""
        result: dict[str, Any] = {}
        self.background.append(name)
        thread = threading.Thread(target=lambda: result.update(value=self.run(name, work)), name=name, daemon=True)
        thread.start()

        def join() -> Any:
            thread.join()
            return result.get("value")
        return join


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, set | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_outputs(figures: dict[str, Any], out_dir: Path) -> Path:
    """Pictures, figures.json and report.md into `out_dir`; returns the report's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pictures = draw_all(figures, system_labels(), out_dir)
    (out_dir / "figures.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1, default=_jsonable),
                                          encoding="utf-8")
    report = out_dir / "report.md"
    report.write_text(render(figures, pictures), encoding="utf-8")
    return report


def triage_splits(settings: Settings, splits: tuple[str, ...]) -> dict[str, Any]:
    """Urgency and myth figures per labelled split (evaluation/triage_splits.py's measures).

    Every message of the splits is embedded beforehand, in batches: the vectors are the same
    as one at a time (checked), in a fraction of the time on two cores. Per-message time is
    therefore not measured here but by `triage_speed`.
    """
    from evaluation.retrieval_systems import MemoEmbedder
    from evaluation.triage_eval import DATA_DIR, read_jsonl
    from evaluation.triage_splits import evaluate_splits
    from knowledge_base.embedders import get_embedder
    from knowledge_base.search import Searcher
    from passerelle.triage.service import Triage

    embedder = MemoEmbedder(get_embedder(settings.embedder, settings.embedder_model, settings.embedder_threads))
    embedder.prime([row["text"] for split in splits for task in ("urgency", "myth")
                    if (DATA_DIR / f"{task}_{split}.jsonl").exists()
                    for row in read_jsonl(DATA_DIR / f"{task}_{split}.jsonl")])
    report = evaluate_splits(Triage(settings, Searcher(settings, embedder=embedder)), splits)
    for part in report.values():
        part.pop("latency", None)  # embeddings were computed beforehand: see triage_speed
    return report


def triage_speed(settings: Settings, messages: int = TRIAGE_SPEED_MESSAGES) -> dict[str, Any]:
    """Triage time per message, embedding included, on the first test-split urgency messages."""
    from evaluation.triage_eval import DATA_DIR, Timed, read_jsonl
    from knowledge_base.search import Searcher
    from passerelle.triage.service import Triage

    timed = Timed(Triage(settings, Searcher(settings)))
    for row in read_jsonl(DATA_DIR / "urgency_test.jsonl")[:messages + 1]:  # Timed leaves out the first
        timed.assess(row["text"])
    return timed.latency()


def _meta(described: dict[str, Any] | None, sections: Sections, started: float, **about: Any) -> dict[str, Any]:
    """What the run was (machine, versions, commit, command, mode) and how it went (times, failures)."""
    unknown = {"cpu": "unknown", "cores": None, "memory_gib": None, "os": "unknown", "load_average_start": None}
    return {**(described or {"machine": unknown, "versions": {}, "commit": {"sha": "unknown"}}), **about,
            "section_seconds": sections.seconds, "background_sections": sections.background, "errors": sections.errors,
            "load_average_end": machine.load_average(), "total_seconds": round(time.perf_counter() - started, 1),
            "cpu_seconds": machine.cpu_seconds()}


def _speed_texts(settings: Settings) -> list[str]:
    from knowledge_base.loader import load_entries

    entries, _ = load_entries(settings.content_dir)
    answered = {e.topic for e in entries if e.kind.value in ("service", "health")}
    rows = [json.loads(line) for line in (DATA / "dev_queries.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [r["text"] for r in rows if r["gold"] in answered]


def _stack_sections(settings: Settings, options: RunOptions, figures: dict[str, Any], sections: Sections,
                    say: Callable[[str], None]) -> None:
    """Conversations and speed, through one started stack."""
    from evaluation.conversations import Expectations, load_journeys, play
    from evaluation.speed import load_level, search_alone
    from knowledge_base.loader import load_entries
    from knowledge_base.search import Searcher

    texts = _speed_texts(settings)
    levels = QUICK_SPEED_LEVELS if options.quick else SPEED_LEVELS
    with running_stack(settings, options.stack_data_dir, options.ports, log=say) as (stack, info):
        entries, _ = load_entries(settings.content_dir)
        conversations = sections.run("conversations", lambda: play(
            info["base_url"], load_journeys(), Expectations(entries, settings)))
        if conversations is not None:
            figures["conversations"] = conversations

        def measure() -> dict[str, Any]:
            load_level(info["base_url"], texts[:3], 1, 3)  # warm-up, not counted
            results = [load_level(info["base_url"], texts, c, n) for c, n in levels.items()]
            return {"cold_start_seconds": info["cold_start_seconds"], "rasa_train_seconds": info["train_seconds"],
                    "levels": results, "memory_mb": process_peaks(stack)}

        speed = sections.run("speed", measure)
    if speed is not None:
        asked = texts[:max(levels.values())]  # the questions the levels sent (texts[i % len(texts)])
        speed["search_alone"] = sections.run("search alone", lambda: search_alone(Searcher(settings), asked))
        figures["speed"] = speed


def run_retrieval(content_dir: Path, queries: Path, out_of_scope: Path | None, out_dir: Path, *, with_rasa: bool,
                  ports: Ports | None = None, work_dir: Path = WORK,
                  say: Callable[[str], None] = print) -> tuple[Path, dict[str, Any]]:
    """`passerelle eval retrieval`: the retrieval comparison alone, on any knowledge base.

    Unusable input files raise ValueError before anything is built or trained.
    """
    from evaluation.retrieval_systems import compare_systems, load_inputs

    load_inputs(content_dir, queries, out_of_scope)
    started = time.perf_counter()
    settings = get_settings()
    sections = Sections(say)
    meta = sections.run("machine", machine.describe)
    shipped = content_dir.resolve() == settings.content_dir.resolve()
    figures: dict[str, Any] = {}
    retrieval = sections.run("retrieval", lambda: compare_systems(
        settings, content_dir, queries, out_of_scope, work_dir, with_rasa=with_rasa,
        rasa_port=(ports or Ports()).rasa_faq, rasa_languages=SHIPPED_FAQ_LANGUAGES if shipped else None, log=say))
    if retrieval is not None:
        figures["retrieval"] = retrieval
    command = (f"passerelle eval retrieval --kb {content_dir} --queries {queries}"
               + (f" --out-of-scope {out_of_scope}" if out_of_scope else "") + ("" if with_rasa else " --no-rasa"))
    figures = {"meta": _meta(meta, sections, started, date=dt.date.today().isoformat(), mode="retrieval",
                             command=command, skipped=[] if with_rasa else ["Rasa FAQ baseline (--no-rasa)"]),
               **figures}
    return write_outputs(figures, out_dir), figures


def run_all(options: RunOptions, say: Callable[[str], None] = print) -> tuple[Path, dict[str, Any]]:
    """Every section; returns the report path and the figures."""
    from evaluation.plain_language import answer_rows, summarise
    from evaluation.retrieval_systems import add_rasa_baseline, compare_systems, train_rasa_baseline
    from evaluation.search_benchmark import run_benchmark
    from knowledge_base.loader import load_entries

    started = time.perf_counter()
    settings = get_settings()
    sections = Sections(say)
    figures: dict[str, Any] = {}
    meta = sections.run("machine", machine.describe)
    options.work_dir.mkdir(parents=True, exist_ok=True)

    def put(key: str, value: Any) -> None:
        if value is not None:
            figures[key] = value

    full = not options.quick
    queries, out_of_scope = DATA / "dev_queries.jsonl", DATA / "out_of_scope.jsonl"
    if full:
        # Rasa's two trainings (the FAQ baseline, NLU cross-validation) need nothing the other
        # sections make: they run in child processes beside the untimed sections below, so the two
        # cores are both busy. Every timed figure (triage speed, the baseline's parse time, the
        # stack) is measured after both have ended.
        from evaluation.nlu_eval import cross_validate

        options.out_dir.mkdir(parents=True, exist_ok=True)
        faq_training = sections.start("rasa faq training", lambda: train_rasa_baseline(
            settings.content_dir, SHIPPED_FAQ_LANGUAGES, options.work_dir))
        nlu = sections.start("nlu", lambda: cross_validate(settings.content_dir, options.work_dir / "nlu",
                                                            options.out_dir))
    put("retrieval", sections.run("retrieval", lambda: compare_systems(
        settings, settings.content_dir, queries, out_of_scope, options.work_dir,
        with_rasa=False, with_st=full, rasa_port=options.ports.rasa_faq, log=say)))
    splits = TRIAGE_SPLITS if full else QUICK_TRIAGE_SPLITS
    put("triage", sections.run("triage", lambda: triage_splits(settings, splits)))
    put("plain_language", sections.run("plain language", lambda: summarise(
        answer_rows(load_entries(settings.content_dir)[0], transliterate=settings.sms_transliterate_accents),
        settings)))
    if full:
        put("nlu", nlu())
        trained = faq_training()
        if trained is not None and "retrieval" in figures:
            sections.run("rasa faq", lambda: add_rasa_baseline(figures["retrieval"], trained, queries, out_of_scope,
                                                               options.ports.rasa_faq))
    put("triage_speed", sections.run("triage speed", lambda: triage_speed(settings)))
    sections.run("stack", lambda: _stack_sections(settings, options, figures, sections, say))
    if "speed" in figures and full:
        scale = sections.run("scale", lambda: run_benchmark(
            str(settings.index_dir), SCALES, settings.exact_index_max_vectors, _speed_texts(settings) * 2))
        if scale is not None:
            figures["speed"]["scale"] = scale

    figures["gate"] = [verdict.as_dict() for verdict in check(figures, load_targets())]
    figures = {"meta": _meta(meta, sections, started, date=options.date, mode="full" if full else "quick",
                             command="passerelle eval all" + ("" if full else " --quick"),
                             skipped=[] if full else QUICK_SKIPS),
               **figures}
    return write_outputs(figures, options.out_dir), figures
