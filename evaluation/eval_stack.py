"""The whole assistant started for the evaluation, on ports and a data folder of its own.

A running `make run` (8000/5005/5055) or end-to-end test is not disturbed: the evaluation uses
ports 8400-8499 / 5400-5499 and a data folder under its work folder (var/eval/...), with a fresh
conversation database each time. The knowledge-base index is the one `make run` uses (linked, never rebuilt twice);
the Rasa model is trained there once and reused while its inputs do not change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.processes import peak_rss_mb
from knowledge_base.build import ensure_index
from passerelle.settings import Settings
from passerelle.stack import Stack, train_if_needed


@dataclass(frozen=True)
class Ports:
    """127.0.0.1 ports of one evaluation run (web app, Rasa, action server, Rasa FAQ baseline)."""

    web: int = 8400
    rasa: int = 5400
    actions: int = 5401
    rasa_faq: int = 5402


def stack_settings(base: Settings, data_dir: Path, ports: Ports) -> Settings:
    """`base` with its own data folder and ports."""
    return base.model_copy(update={"data_dir": data_dir, "web_port": ports.web, "action_port": ports.actions,
                                   "rasa_url": f"http://127.0.0.1:{ports.rasa}", "database_url": ""})


def _fresh_state(settings: Settings) -> None:
    for name in ("passerelle.db", "passerelle.db-wal", "passerelle.db-shm"):
        (settings.data_dir / name).unlink(missing_ok=True)
    (settings.data_dir / "rasa" / "tracker.db").unlink(missing_ok=True)


def _share_index(settings: Settings, main_index: Path) -> None:
    """Point the stack at the main index rather than embedding the whole content again."""
    link = settings.index_dir
    if not link.exists() and not link.is_symlink() and main_index.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(main_index.resolve(), target_is_directory=True)


@contextmanager
def running_stack(base: Settings, data_dir: Path, ports: Ports,
                  log: Callable[[str], None] = print) -> Iterator[tuple[Stack, dict[str, Any]]]:
    """Prepare (index, Rasa model), start, wait for /healthz, yield; always stop everything."""
    settings = stack_settings(base, data_dir, ports)
    _fresh_state(settings)
    _share_index(settings, base.index_dir)
    ensure_index(settings.content_dir, settings, progress=False)
    started = time.perf_counter()
    trained = train_if_needed(settings, log=log)
    train_s = time.perf_counter() - started
    stack = Stack(settings)
    try:
        started = time.perf_counter()
        stack.start()
        stack.wait_ready()
        info = {"cold_start_seconds": round(time.perf_counter() - started, 1), "trained": trained,
                "train_seconds": round(train_s, 1) if trained else None,
                "base_url": f"http://127.0.0.1:{ports.web}"}
        yield stack, info
    finally:
        stack.stop()


def process_peaks(stack: Stack) -> dict[str, float]:
    """Peak memory (MiB) of each running process of the stack, children included."""
    return {name: peak_rss_mb(process.pid) for name, process in stack.processes.items()}
