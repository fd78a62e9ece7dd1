"""The part of the NLU measurements that has to run inside Rasa's own Python (.venv-rasa).

Run as a script by evaluation/nlu_eval.py, never imported by the app:

- `rasa SEED ARGS...` runs Rasa's command line (`rasa ARGS...`) with its cross-validation folds
  drawn by a seeded shuffle. Rasa's `generate_folds` builds `StratifiedKFold(shuffle=True)` with
  no seed, so two runs, or two configurations, would otherwise be scored on different folds.
  Rasa's cross-validation also parses each fold's whole training part with the model trained on
  it, for a "train" accuracy it only logs (intent_report.json and the confusion matrix come from
  the test folds): that is two messages parsed for every one tested, about a third of the run,
  so it is skipped here. The test folds' figures are the same (checked).
- `parse MODEL TEXTS OUT` loads a trained model the way `rasa shell nlu` and the Rasa server do
  (`Agent.load`, then `parse_message` per message) and writes the time each parse took, wall and
  CPU, to OUT (JSON). Loading and a short warm-up are left out: the figure is the steady cost of
  one message, which is what every citizen's SMS pays.
"""

from __future__ import annotations

import asyncio
import functools
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

WARM_UP = 10


def _test_folds_only(combine_result: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Rasa's `combine_result` for the test folds; for a training part (called without a list to
    collect results in) the metrics are returned unchanged, without parsing anything."""
    @functools.wraps(combine_result)
    async def scored(intent_metrics: Any, entity_metrics: Any, response_selection_metrics: Any, processor: Any,
                     data: Any, intent_results: Any = None, *rest: Any) -> Any:
        if intent_results is None and not rest:
            return intent_metrics, entity_metrics, response_selection_metrics
        return await combine_result(intent_metrics, entity_metrics, response_selection_metrics, processor, data,
                                    intent_results, *rest)
    return scored


def run_rasa_seeded(seed: int, args: list[str]) -> None:
    """Rasa's CLI with every StratifiedKFold seeded (only cross-validation builds one) and the
    cross-validation's training parts not scored."""
    import rasa.nlu.test
    import sklearn.model_selection
    from rasa.__main__ import main

    sklearn.model_selection.StratifiedKFold = functools.partial(
        sklearn.model_selection.StratifiedKFold, random_state=seed)
    rasa.nlu.test.combine_result = _test_folds_only(rasa.nlu.test.combine_result)
    sys.argv = ["rasa", *args]
    main()


async def _time_parses(model: Path, texts: list[str]) -> dict[str, float | int]:
    from rasa.core.agent import Agent

    loading = time.perf_counter()
    agent = Agent.load(model_path=str(model))
    load_seconds = time.perf_counter() - loading
    for text in texts[:WARM_UP]:
        await agent.parse_message(text)
    walls: list[float] = []
    cpu_start = time.process_time()
    for text in texts:
        started = time.perf_counter()
        await agent.parse_message(text)
        walls.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu_start) * 1000 / len(texts)
    return {"messages": len(texts), "load_seconds": round(load_seconds, 2),
            "wall_ms_median": round(statistics.median(walls), 2),
            "wall_ms_p95": round(sorted(walls)[int(0.95 * (len(walls) - 1))], 2),
            "cpu_ms_mean": round(cpu_ms, 2)}


def main(argv: list[str]) -> None:
    """Dispatch `rasa SEED ARGS...` or `parse MODEL TEXTS OUT`."""
    command, *rest = argv
    if command == "rasa":
        run_rasa_seeded(int(rest[0]), rest[1:])
    elif command == "parse":
        model, texts, out = (Path(arg) for arg in rest)
        timing = asyncio.run(_time_parses(model, json.loads(texts.read_text(encoding="utf-8"))))
        out.write_text(json.dumps(timing), encoding="utf-8")
    else:
        raise SystemExit(f"unknown command {command!r}: expected `rasa` or `parse`")


if __name__ == "__main__":
    main(sys.argv[1:])
