"""Side-by-side measurement of NLU pipelines: which config.yml should the assistant ship?

`python -m evaluation.nlu_compare` takes the assistant's config.yml and every alternative kept in
evaluation/data/nlu_configs/, and for each one, on the same data (hand-written examples plus the
knowledge base's generated questions) and the same seeded folds:

- cross-validates it (`rasa test nlu --cross-validation`): accuracy, macro and weighted F1, and
  the F1 of every small intent (the ones drowned by `ask_question`);
- trains it on all the data (`rasa train nlu`), timed wall and CPU;
- loads the trained model in a Rasa process and times one parse per message over a fixed sample
  of the examples (evaluation/nlu_rasa_side.py).

It writes nlu_compare.json and nlu_compare.md under evaluation/reports/nlu-compare-<date>/.
Wall times on a shared machine are upper bounds, so the load average is recorded beside them,
with CPU times, which the load barely moves.
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

from evaluation.nlu_eval import CONFIG, FOLD_SEED, FOLDS, cross_validate_data, prepare_data, run_rasa_side
from evaluation.report import table
from passerelle.settings import ROOT, get_settings

CONFIGS_DIR = Path(__file__).resolve().parent / "data" / "nlu_configs"
REPORTS = Path(__file__).resolve().parent / "reports"
PARSE_SAMPLE = 300
# An intent is "small" when it has under this share of the examples: `ask_question` has ~80%.
SMALL_SHARE = 0.1


def default_configs() -> list[Path]:
    """The shipped config first, then the alternatives in name order."""
    return [CONFIG, *sorted(CONFIGS_DIR.glob("*.yml"))]


def config_label(config: Path) -> str:
    """A short name for tables: the file's stem, or `config.yml (shipped)`."""
    return "config.yml (shipped)" if config.resolve() == CONFIG.resolve() else config.stem


def config_summary(config: Path) -> str:
    """The pipeline's component names, in order (`SpacyNLP > ... > FallbackClassifier`)."""
    pipeline = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("pipeline") or []
    return " > ".join(str(step["name"]) for step in pipeline)


def nlu_texts(data: Path) -> list[str]:
    """Every example text in the NLU files of `data`, in file order."""
    texts: list[str] = []
    for path in sorted(data.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            texts += [line.strip()[2:] for line in str(block.get("examples", "")).splitlines()
                      if line.strip().startswith("- ")]
    return texts


def parse_sample(texts: list[str], size: int = PARSE_SAMPLE) -> list[str]:
    """Every k-th text, so short small-talk and long questions are both timed, in the same proportion."""
    step = max(1, len(texts) // size)
    return texts[::step][:size]


def small_intents(intents: dict[str, dict[str, Any]], share: float = SMALL_SHARE) -> list[str]:
    """Intents with under `share` of the examples, by name."""
    total = sum(row["support"] for row in intents.values()) or 1
    return sorted(name for name, row in intents.items() if row["support"] / total < share)


def measure(config: Path, data: Path, texts_file: Path, work: Path, folds: int, seed: int) -> dict[str, Any]:
    """Cross-validation, a full training and parse timing of one config."""
    work.mkdir(parents=True, exist_ok=True)
    cv = cross_validate_data(data, work / "cv", config, folds, seed)
    started = time.perf_counter()
    train_cpu = run_rasa_side(["rasa", str(seed), "train", "nlu", "--config", str(config), "--nlu", str(data),
                               "--out", str(work / "model"), "--fixed-model-name", "nlu"],
                              work / "rasa-train.log", work)
    train_seconds = round(time.perf_counter() - started, 1)
    run_rasa_side(["parse", str(work / "model" / "nlu.tar.gz"), str(texts_file), str(work / "parse.json")],
                  work / "parse.log", work)
    return {"config": config_label(config), "file": str(config.relative_to(ROOT)), "pipeline": config_summary(config),
            "accuracy": cv["accuracy"], "macro_f1": cv["macro_f1"], "weighted_f1": cv["weighted_f1"],
            "intents": cv["intents"], "cv_seconds": cv["seconds"], "cv_cpu_seconds": cv["cpu_seconds"],
            "train_seconds": train_seconds, "train_cpu_seconds": train_cpu,
            "parse": json.loads((work / "parse.json").read_text(encoding="utf-8")),
            "load_average_after": round(os.getloadavg()[0], 1)}


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render(result: dict[str, Any]) -> str:
    """The Markdown report: one row per config, then the small intents' F1 per config."""
    rows = result["configs"]
    small = result["small_intents"]
    main = table(["config", "accuracy", "macro F1", "weighted F1", "train all data: wall s (CPU s)",
                  "parse per message: median wall ms (mean CPU ms)"],
                 [[row["config"], f"{row['accuracy']:.1%}", _num(row["macro_f1"]), _num(row["weighted_f1"]),
                   f"{row['train_seconds']:.0f} ({row['train_cpu_seconds']:.0f})",
                   f"{row['parse']['wall_ms_median']:.1f} ({row['parse']['cpu_ms_mean']:.1f})"] for row in rows])
    per_intent = table(["intent (support)", *[row["config"] for row in rows]],
                       [[f"{name} ({int(rows[0]['intents'][name]['support'])})",
                         *[_num(row["intents"].get(name, {}).get("f1"), 2) for row in rows]] for name in small])
    pipelines = "\n".join(f"- `{row['config']}` ({row['file']}): {row['pipeline']}" for row in rows)
    meta = result["meta"]
    return (f"# NLU pipelines compared ({meta['date']})\n\n"
            f"`python -m evaluation.nlu_compare`: {meta['examples']} examples, {meta['folds']}-fold "
            f"cross-validation on the same folds (seed {meta['fold_seed']}), full training on all the data, "
            f"parse time over {meta['parse_messages']} examples in a loaded Rasa model. "
            f"{meta['cores']} cores, load average {meta['load_average_before']} at the start (other jobs "
            f"share the machine: wall times are upper bounds, CPU times are steadier); "
            f"total {meta['seconds'] / 60:.0f} min.\n\n"
            f"{main}\n\nF1 of the small intents (under {SMALL_SHARE:.0%} of the examples):\n\n{per_intent}\n\n"
            f"Pipelines:\n\n{pipelines}\n")


def compare(configs: list[Path], out_dir: Path, work: Path, folds: int = FOLDS, seed: int = FOLD_SEED,
            log: Any = print) -> dict[str, Any]:
    """Measure every config on the same data and folds; write the JSON and Markdown report."""
    started = time.perf_counter()
    load_before = round(os.getloadavg()[0], 1)
    data = prepare_data(get_settings().content_dir, work)
    texts = parse_sample(nlu_texts(data))
    texts_file = work / "parse_texts.json"
    texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    result: dict[str, Any] = {}
    for config in configs:
        log(f"[nlu-compare] {config_label(config)} ...")
        rows.append(measure(config, data, texts_file, work / config.stem, folds, seed))
        log(f"[nlu-compare] {config_label(config)}: accuracy {rows[-1]['accuracy']:.3f}, "
            f"macro F1 {rows[-1]['macro_f1']:.3f}, trained in {rows[-1]['train_seconds']} s")
        # Written after every config: a long run that stops half-way still leaves what it measured.
        result = {"meta": {"date": date.today().isoformat(), "folds": folds, "fold_seed": seed,
                           "examples": sum(int(r["support"]) for r in rows[0]["intents"].values()),
                           "parse_messages": len(texts), "cores": os.cpu_count(),
                           "load_average_before": load_before, "seconds": round(time.perf_counter() - started, 1)},
                  "small_intents": small_intents(rows[0]["intents"]), "configs": rows}
        (out_dir / "nlu_compare.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
        (out_dir / "nlu_compare.md").write_text(render(result), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> None:
    """`python -m evaluation.nlu_compare [--config FILE ...] [--out DIR]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, action="append", dest="configs",
                        help="a Rasa config to measure (repeat); default: config.yml and evaluation/data/nlu_configs/*")
    parser.add_argument("--out", type=Path, default=None,
                        help="report folder (default evaluation/reports/nlu-compare-DATE)")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "eval" / "nlu-compare")
    parser.add_argument("--folds", type=int, default=FOLDS)
    args = parser.parse_args(argv)
    out = args.out or REPORTS / f"nlu-compare-{date.today().isoformat()}"
    result = compare([p.resolve() for p in args.configs or default_configs()], out, args.work.resolve(), args.folds)
    print(render(result))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
