"""The whole assistant started for the evaluation, on ports and a data folder of its own.

A running `make run` (8000/5005/5055) or end-to-end test is not disturbed: the evaluation uses
ports of its own (8500 and 5500-5502 by default, `eval_ports` in the settings) and a data folder
of its own, with a fresh conversation database each time. The knowledge-base index is the one `make run` uses (never
built twice); the Rasa model is trained in the data folder once and reused while its inputs do
not change.
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

    web: int = 8500
    rasa: int = 5500
    actions: int = 5501
    rasa_faq: int = 5502

    @classmethod
    def configured(cls, settings: Settings) -> Ports:
        """The ports of `settings.eval_ports` (PASSERELLE_EVAL_PORTS, e.g. '[18700,18701,18702,18703]')."""
        web, rasa, actions, rasa_faq = settings.eval_ports
        return cls(web=web, rasa=rasa, actions=actions, rasa_faq=rasa_faq)


def stack_settings(base: Settings, data_dir: Path, ports: Ports) -> Settings:
    """`base` with its own data folder and ports, reading `base`'s index."""
    return base.model_copy(update={"data_dir": data_dir, "index_root": base.index_dir, "web_port": ports.web,
                                   "action_port": ports.actions, "rasa_url": f"http://127.0.0.1:{ports.rasa}",
                                   "database_url": ""})


def _fresh_state(settings: Settings) -> None:
    for name in ("passerelle.db", "passerelle.db-wal", "passerelle.db-shm"):
        (settings.data_dir / name).unlink(missing_ok=True)
    (settings.data_dir / "rasa" / "tracker.db").unlink(missing_ok=True)


@contextmanager
def running_stack(base: Settings, data_dir: Path, ports: Ports,
                  log: Callable[[str], None] = print) -> Iterator[tuple[Stack, dict[str, Any]]]:
    """Prepare (index, Rasa model), start, wait for /healthz, yield; always stop everything."""
    settings = stack_settings(base, data_dir, ports)
    _fresh_state(settings)
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
