"""The Rasa client against a Rasa that accepts connections and never answers (hung)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from channels.rasa_client import RasaClient, RasaUnavailable


@pytest.fixture()
def hung_rasa() -> Iterator[str]:
    listener = socket.create_server(("127.0.0.1", 0))  # the kernel accepts; nobody ever reads
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_the_handoff_note_gives_up_quickly_even_with_a_long_message_timeout(hung_rasa: str) -> None:
    # An emergency answer is stored after this note: it must not wait for the message timeout.
    client = RasaClient(hung_rasa, timeout_s=3600)
    outcome: list[BaseException] = []
    worker = threading.Thread(target=lambda: _capture(outcome, client.append_events, "c1", [{"event": "pause"}]))
    worker.start()
    worker.join(timeout=120)  # a liveness bound, far above the note's few seconds
    assert not worker.is_alive() and isinstance(outcome[0], RasaUnavailable) and "Timeout" in str(outcome[0])


def _capture(outcome: list[BaseException], call, *args) -> None:  # type: ignore[no-untyped-def]
    try:
        call(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
        outcome.append(exc)
