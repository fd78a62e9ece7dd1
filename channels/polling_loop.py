"""A background thread that does one round of work every few seconds, or at once when woken.

The sender (`channels/outbox.py`) and the index publisher (`channels/editor/publisher.py`) both
poll the database, because another process (a second web app, the CLI) may have written what
they act on, and are woken early by their own process when it just wrote something. A round
that fails is logged and the loop goes on: a database hiccup must not stop sending or publishing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class PollingLoop:
    """Runs `round_of_work` every `every_s` seconds, or sooner after `wake()`, until `stop()`."""

    def __init__(self, name: str, round_of_work: Callable[[], object], every_s: float, log: logging.Logger,
                 first: Callable[[], object] | None = None) -> None:
        """`first` runs once in the thread before the first wait (catching up after a restart)."""
        self.name = name
        self.every_s = every_s
        self._round = round_of_work
        self._first = first
        self._log = log
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (again after a `stop`); a second call while it runs does nothing."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Run a round now rather than at the next tick (harmless when not started)."""
        self._wake.set()

    def stop(self, timeout_s: float) -> None:
        """Stop after the round in progress, waiting at most `timeout_s` for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            self._thread = None

    def _run(self) -> None:
        if self._first is not None:
            self._guarded(self._first)
        while not self._stop.is_set():
            self._wake.wait(self.every_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            self._guarded(self._round)

    def _guarded(self, work: Callable[[], object]) -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 - the loop must survive; the cause is logged
            self._log.exception("%s: round failed", self.name)
