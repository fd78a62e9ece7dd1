"""The loop behind the sender and the index publisher: woken early, ticking otherwise, surviving failures."""

from __future__ import annotations

import logging
import threading

import pytest

from channels.polling_loop import PollingLoop

LONG_S = 3600.0  # no tick during a test: only `wake()` makes a round run


def test_first_runs_once_then_a_round_per_wake_and_a_failing_round_does_not_stop_it(
        caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []
    ran = threading.Semaphore(0)

    def work() -> None:
        calls.append("round")
        ran.release()
        if len(calls) == 2:
            raise RuntimeError("database hiccup")

    loop = PollingLoop("test-loop", work, LONG_S, logging.getLogger("test-loop"), first=lambda: calls.append("first"))
    loop.start()
    try:
        for _ in range(3):
            loop.wake()
            assert ran.acquire(timeout=10)
    finally:
        loop.stop(timeout_s=10)
    assert calls == ["first", "round", "round", "round"]
    assert "test-loop: round failed" in caplog.text and "database hiccup" in caplog.text


def test_it_ticks_without_being_woken_and_stops_at_once() -> None:
    ticked = threading.Event()
    loop = PollingLoop("ticking", ticked.set, 0.05, logging.getLogger("ticking"))
    loop.start()
    assert ticked.wait(timeout=10)
    loop.stop(timeout_s=10)
    ticked.clear()
    assert not ticked.wait(timeout=0.2)  # stopped: no more rounds
