"""The part of the NLU measurements that has to run inside Rasa's own Python (.venv-rasa).

Run as a script by evaluation/nlu_eval.py, never imported by the app:

- `rasa SEED ARGS...` runs Rasa's command line (`rasa ARGS...`) with its cross-validation folds
  drawn by a seeded shuffle. Rasa's `generate_folds` builds `StratifiedKFold(shuffle=True)` with
  no seed, so two runs, or two configurations, would otherwise be scored on different folds.
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
from pathlib import Path

WARM_UP = 10


def run_rasa_seeded(seed: int, args: list[str]) -> None:
    """Rasa's CLI with every StratifiedKFold seeded (only cross-validation builds one)."""
    import sklearn.model_selection
    from rasa.__main__ import main

    sklearn.model_selection.StratifiedKFold = functools.partial(  # type: ignore[misc]
        sklearn.model_selection.StratifiedKFold, random_state=seed)
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
