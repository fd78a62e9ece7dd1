"""`passerelle eval ...`: measurements printed as tables; `all` and `retrieval` also write a report folder."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

eval_app = typer.Typer(help="Evaluation: measure the assistant on labelled data.", no_args_is_help=True)


class Split(StrEnum):
    """Which labelled files to measure on: `tune`, `holdout` and `blind` to `blind6` train the learned
    triage (their figures are training-set figures; blind6 since triage v9); `test` measures; the
    next blind set, written apart, is run once at the end of a piece of tuning work
    (evaluation/data/README.md); blind8 has a myth file only (it measures the myth triage v10)."""

    tune = "tune"
    test = "test"
    holdout = "holdout"
    blind = "blind"
    blind2 = "blind2"
    blind3 = "blind3"
    blind4 = "blind4"
    blind5 = "blind5"
    blind6 = "blind6"
    blind7 = "blind7"
    blind8 = "blind8"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _print_urgency(console: Console, title: str, urgency: dict[str, Any]) -> None:
    table = Table(title=f"{title}: urgency (recall {_pct(urgency['recall'])}, "
                        f"false alarms {_pct(urgency['false_alarm_rate'])})")
    for column in ("category / group", "n", "recall", "category right", "false alarms"):
        table.add_column(column)
    for category, row in urgency["categories"].items():
        table.add_row(category, str(row["n"]), _pct(row["recall"]), _pct(row["category_accuracy"]), "")
    for group, row in urgency["groups"].items():
        table.add_row(group, str(row["n"]), "", "", f"{row['false_alarms']} ({_pct(row['false_alarm_rate'])})")
    console.print(table)
    predicted = sorted({p for row in urgency["confusion"].values() for p in row})
    confusion = Table(title=f"{title}: urgency confusion (gold rows, predicted columns)")
    confusion.add_column("gold")
    for name in predicted:
        confusion.add_column(name[:8])
    for gold, row in urgency["confusion"].items():
        confusion.add_row(gold, *[str(row.get(name, "")) for name in predicted])
    console.print(confusion)
    for miss in urgency["misses"]:
        console.print(f"  missed [{miss['category']}] {miss['text']}  ({miss['reason']})")
    for alarm in urgency["false_alarms"]:
        console.print(f"  false alarm [{alarm['group']} -> {alarm['category']}] {alarm['text']}  "
                      f"({alarm['reason']})")


def _print_myth(console: Console, title: str, myth: dict[str, Any]) -> None:
    table = Table(title=f"{title}: myth (precision {_pct(myth['precision'])}, "
                        f"recall {_pct(myth['recall'])}, {myth['flagged']} flagged / "
                        f"{myth['positives']} myths)")
    for column in ("group", "correct", "possible", "none"):
        table.add_column(column)
    for group, levels in myth["levels"].items():
        table.add_row(group, *[str(levels.get(level, 0)) for level in ("correct", "possible", "none")])
    console.print(table)
    for miss in myth["misses"]:
        console.print(f"  missed [{miss['myth']}] {miss['text']}  ({miss['level']}, {miss['topic']}, "
                      f"{miss['score']})")
    for flag in myth["false_flags"]:
        console.print(f"  false flag [{flag['gold']} -> {flag['topic']}] {flag['text']}  ({flag['score']})")


@eval_app.command("triage")
def eval_triage(
    split: Annotated[Split, typer.Option("--split", help="Labelled files to use.")] = Split.tune,
    json_out: Annotated[Path | None, typer.Option("--json-out", help="Also save the report here.")] = None,
) -> None:
    """Urgency recall and false alarms, myth precision and recall, latency; plus the dev set."""
    from evaluation.triage_eval import DATA_DIR, evaluate_dev, evaluate_triage, split_files
    from knowledge_base.build import ensure_index
    from knowledge_base.search import Searcher
    from passerelle.settings import get_settings
    from passerelle.triage.service import Triage

    settings = get_settings()
    report_index = ensure_index(settings.content_dir, settings, progress=False)
    triage = Triage(settings, Searcher(settings, index_root=report_index.index_root))
    report = evaluate_triage(triage, *split_files(split.value))
    report["dev"] = evaluate_dev(triage, DATA_DIR / "dev_queries.jsonl")
    console = Console()
    if "urgency" in report:
        _print_urgency(console, split.value, report["urgency"])
    _print_myth(console, split.value, report["myth"])
    _print_urgency(console, "dev", report["dev"]["urgency"])
    _print_myth(console, "dev", report["dev"]["myth"])
    console.print(f"latency per message: {report['latency']}")
    if json_out is not None:
        json_out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")


def _print_gate(console: Console, gate: list[dict[str, Any]]) -> None:
    from evaluation.report import gate_state

    table = Table(title="quality gate (evaluation/targets.yaml)")
    for column in ("figure", "target", "measured", ""):
        table.add_column(column)
    for row in gate:
        table.add_row(row["label"], row["target"], _pct(row["value"]), gate_state(row))
    console.print(table)


def _print_retrieval(console: Console, retrieval: dict[str, Any]) -> None:
    from evaluation.report import system_labels

    labels = system_labels()
    systems = retrieval["systems"]
    table = Table(title=f"retrieval: {retrieval['queries']} queries, {retrieval['out_of_scope']} out of scope")
    table.add_column("figure")
    for name in systems:
        table.add_column(labels.get(name, name))
    for key in ("recall@1", "recall@3", "mrr", "answered_right", "answered_wrong"):
        table.add_row(key, *[f"{systems[n]['overall'][key]:.3f}" if key == "mrr" else _pct(systems[n]["overall"][key])
                             for n in systems])
    table.add_row("out-of-scope rejected", *[_pct(systems[n]["out_of_scope_rejected"]) for n in systems])
    table.add_row("answer precision", *[_pct(systems[n].get("answer_precision")) for n in systems])
    console.print(table)


@eval_app.command("all")
def eval_all(
    quick: Annotated[bool, typer.Option("--quick", help="CI mode: skip the parts that take minutes.")] = False,
) -> None:
    """Every measurement side by side: report.md, figures.json and plots in evaluation/reports/<date>/."""
    from evaluation.run_all import RunOptions, run_all

    console = Console(stderr=True, width=160)
    from evaluation.eval_stack import Ports
    from passerelle.settings import get_settings

    options = RunOptions(quick=quick, ports=Ports.configured(get_settings()))
    report, figures = run_all(options, say=lambda m: console.print(m, markup=False, highlight=False))
    if "retrieval" in figures:
        _print_retrieval(console, figures["retrieval"])
    _print_gate(console, figures["gate"])
    typer.echo(str(report))
    errors = figures["meta"]["errors"]
    if errors:
        console.print(f"sections failed: {', '.join(errors)}")
        raise typer.Exit(1)


@eval_app.command("retrieval")
def eval_retrieval(
    kb: Annotated[Path | None, typer.Option("--kb", help="Knowledge-base directory, or a JSON Lines FAQ in the "
                                                         "`kb import` format (imported first); default: ours.")] = None,
    queries: Annotated[Path | None, typer.Option("--queries", help='JSON Lines {"text", "gold", "also"?, "lang"?} '
                                                                   "(gold: a topic); default: the dev set.")] = None,
    out_of_scope: Annotated[Path | None, typer.Option("--out-of-scope", help='JSON Lines {"text"} the FAQ must not '
                                                      "answer; default: ours for the shipped knowledge base, "
                                                      "none otherwise.")] = None,
    rasa: Annotated[bool, typer.Option("--rasa/--no-rasa", help="Train and compare the Rasa FAQ baseline.")] = True,
    rasa_port: Annotated[int | None, typer.Option("--rasa-port", help="127.0.0.1 port of the Rasa FAQ "
                                                                      "baseline's server; default: the last of "
                                                                      "eval_ports (5502).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Report folder; default evaluation/reports/"
                                                           "<date>-retrieval-<kb name>/.")] = None,
) -> None:
    """Retrieval side by side (our search, each part alone, Rasa's FAQ) on any knowledge base."""
    import dataclasses
    import datetime as dt

    from evaluation.eval_stack import Ports
    from evaluation.retrieval_systems import imported_kb
    from evaluation.run_all import DATA, REPORTS, WORK, run_retrieval
    from passerelle.settings import get_settings

    settings = get_settings()
    content_dir = kb or settings.content_dir
    shipped = content_dir.resolve() == settings.content_dir.resolve()
    queries = queries or DATA / "dev_queries.jsonl"
    if out_of_scope is None and shipped:
        out_of_scope = DATA / "out_of_scope.jsonl"
    for path in (content_dir, queries, out_of_scope):
        if path is not None and not path.exists():
            typer.echo(f"error: {path}: not found", err=True)
            raise typer.Exit(2)
    name = content_dir.resolve().stem
    if content_dir.is_file():
        content_dir, rejected = imported_kb(content_dir, WORK)
        for line in rejected:
            typer.echo(f"{kb}: {line} (left out)", err=True)
    out = out or REPORTS / f"{dt.date.today().isoformat()}-retrieval-{name}"
    console = Console(stderr=True, width=160)
    ports = Ports.configured(settings)
    if rasa_port is not None:
        ports = dataclasses.replace(ports, rasa_faq=rasa_port)
    try:
        report, figures = run_retrieval(content_dir, queries, out_of_scope, out, with_rasa=rasa, ports=ports,
                                        say=lambda m: console.print(m, markup=False, highlight=False))
    except ValueError as exc:  # unusable input files: one line, no traceback
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if "retrieval" in figures:
        _print_retrieval(console, figures["retrieval"])
    typer.echo(str(report))
    if figures["meta"]["errors"]:
        raise typer.Exit(1)
