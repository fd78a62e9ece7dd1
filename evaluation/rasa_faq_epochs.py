"""How many training epochs the Rasa FAQ baseline needs: trained at several, scored as the report does.

`python -m evaluation.rasa_faq_epochs --epochs 100 50 30` trains the baseline of the report
(evaluation/rasa_faq.py, evaluation/data/rasa_faq_config.yml) once per epoch count, same seed, same
data, times each training (wall and CPU), serves each model and scores it on the development set
and the out-of-scope messages exactly as the report's retrieval section does (recall@1/@3, MRR,
answered right / wrong at the calibrated threshold, out-of-scope declined, answer precision).
Each count is then compared with the first one query by query: which queries changed rank.

Training is most of a first full report's time, so this is how the report's epoch count was chosen;
it writes rasa_faq_epochs.json and .md under evaluation/reports/rasa-faq-epochs-<date>/.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from evaluation import rasa_faq
from evaluation.report import table
from evaluation.retrieval import rank_queries, score_system, top_scores
from evaluation.retrieval_systems import SHIPPED_FAQ_LANGUAGES, load_inputs
from passerelle.settings import ROOT, get_settings

DATA = Path(__file__).resolve().parent / "data"
REPORTS = Path(__file__).resolve().parent / "reports"
FIGURES = ("recall@1", "recall@3", "mrr", "answered_right", "answered_wrong")


def config_with_epochs(epochs: int) -> str:
    """The report's baseline config with the ResponseSelector's epoch count replaced."""
    config = yaml.safe_load(rasa_faq.CONFIG.read_text(encoding="utf-8"))
    selectors = [step for step in config["pipeline"] if step["name"] == "ResponseSelector"]
    if len(selectors) != 1:
        raise ValueError(f"{rasa_faq.CONFIG}: expected one ResponseSelector")
    selectors[0]["epochs"] = epochs
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)


def measure(epochs: int, work: Path, port: int) -> dict[str, Any]:
    """Train the baseline at `epochs` (always afresh), serve it and score it."""
    settings = get_settings()
    entries, queries, out_of_scope = load_inputs(settings.content_dir, DATA / "dev_queries.jsonl",
                                                 DATA / "out_of_scope.jsonl")
    project = rasa_faq.write_project(entries, SHIPPED_FAQ_LANGUAGES, work, config_with_epochs(epochs))
    project.model.unlink(missing_ok=True)
    load_before = [round(x, 2) for x in os.getloadavg()]
    training = rasa_faq.train(project)
    load_after = [round(x, 2) for x in os.getloadavg()]
    if training is None:
        raise RuntimeError(f"{project.root}: the model was reused, not trained")
    with rasa_faq.served(project, port) as (rank, _server):
        rows = rank_queries(rank, queries)
        scores = top_scores(rank, out_of_scope)
    figures = score_system(rows, scores)
    return {"epochs": epochs, "train_seconds": training.wall_seconds, "train_cpu_seconds": training.cpu_seconds,
            "load_average_before": load_before, "load_average_after": load_after,
            "topics": project.topics, "examples": project.examples,
            **{key: figures["overall"][key] for key in FIGURES},
            "threshold": figures["threshold"], "out_of_scope_rejected": figures["out_of_scope_rejected"],
            "answer_precision": figures["answer_precision"],
            "ranks": [{"text": r["text"], "gold": r["gold"], "rank": r["rank"], "got": r["got"]} for r in rows]}


def rank_changes(reference: dict[str, Any], other: dict[str, Any]) -> list[dict[str, Any]]:
    """The queries whose rank of the right topic differs (0 = not in the top 3)."""
    return [{"text": a["text"], "gold": a["gold"], "rank_reference": a["rank"], "rank": b["rank"], "got": b["got"]}
            for a, b in zip(reference["ranks"], other["ranks"], strict=True) if a["rank"] != b["rank"]]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def render(result: dict[str, Any]) -> str:
    """The Markdown report: one row per epoch count, then the per-query differences with the first."""
    runs = result["runs"]
    reference = runs[0]
    main = table(["epochs", "recall@1", "recall@3", "MRR", "answered right / wrong", "out-of-scope declined",
                  "answer precision", "training wall s (CPU s)", "load average before -> after"],
                 [[str(r["epochs"]), _pct(r["recall@1"]), _pct(r["recall@3"]), f"{r['mrr']:.3f}",
                   f"{_pct(r['answered_right'])} / {_pct(r['answered_wrong'])}", _pct(r["out_of_scope_rejected"]),
                   _pct(r["answer_precision"]), f"{r['train_seconds']:.0f} ({r['train_cpu_seconds']:.0f})",
                   f"{r['load_average_before'][0]} -> {r['load_average_after'][0]}"] for r in runs])
    parts = [f"# Rasa FAQ baseline: epochs ({result['meta']['date']})\n",
             f"`python -m evaluation.rasa_faq_epochs`: the report's baseline ({reference['topics']} topics, "
             f"{reference['examples']} fr + en questions, seed 42) trained at each epoch count and scored on the "
             f"development set ({len(reference['ranks'])} queries) and the out-of-scope messages as the report "
             f"does. {result['meta']['cores']} cores shared with other jobs: wall times are upper bounds, CPU "
             f"times are steadier.\n", main]
    for run in runs[1:]:
        changes = rank_changes(reference, run)
        parts.append(f"\n{run['epochs']} epochs against {reference['epochs']}: {len(changes)} of "
                     f"{len(run['ranks'])} queries changed rank (0 = not in the top 3).\n")
        if changes:
            parts.append(table(["query", "right topic", f"rank at {reference['epochs']}", f"rank at {run['epochs']}"],
                               [[c["text"], c["gold"], str(c["rank_reference"]), str(c["rank"])] for c in changes]))
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    """`python -m evaluation.rasa_faq_epochs [--epochs N ...] [--port P] [--out DIR]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[100, 50, 30],
                        help="epoch counts, the first is the reference (default 100 50 30)")
    parser.add_argument("--port", type=int, default=5502, help="127.0.0.1 port of the served models")
    parser.add_argument("--out", type=Path, default=None, help="default evaluation/reports/rasa-faq-epochs-DATE")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "eval" / "rasa-faq-epochs")
    args = parser.parse_args(argv)
    out = args.out or REPORTS / f"rasa-faq-epochs-{date.today().isoformat()}"
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runs: list[dict[str, Any]] = []
    for number, epochs in enumerate(args.epochs):
        print(f"[rasa-faq-epochs] {epochs} epochs ...", flush=True)
        runs.append(measure(epochs, args.work.resolve() / f"{number}-e{epochs}", args.port))
        print(f"[rasa-faq-epochs] {epochs} epochs: recall@1 {runs[-1]['recall@1']:.3f}, recall@3 "
              f"{runs[-1]['recall@3']:.3f}, trained in {runs[-1]['train_seconds']} s "
              f"({runs[-1]['train_cpu_seconds']} s CPU)", flush=True)
        # Written after every count: a run stopped half-way still leaves what it measured.
        result = {"meta": {"date": date.today().isoformat(), "cores": os.cpu_count(),
                           "seconds": round(time.perf_counter() - started, 1)}, "runs": runs}
        (out / "rasa_faq_epochs.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
        (out / "rasa_faq_epochs.md").write_text(render(result), encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
