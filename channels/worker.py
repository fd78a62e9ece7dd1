"""Processing inbound messages off the request path, so a webhook answers Twilio at once.

The webhook stores the message and hands its id here. Threads run `Gateway.process`; each
person's messages go to the same thread (sharded by address), so they are processed in the
order they arrived. A sweep re-queues whatever is stored but not done: at start-up (a crash or
a kill mid-way left it `received`/`processing`; processing is one transaction, so nothing of a
half-run is kept) and every few seconds (messages deferred while Rasa was down).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import zlib
from collections.abc import Callable

from sqlalchemy import select

from channels.gateway import Gateway
from channels.models import Conversation, Message
from knowledge_base.search import Searcher

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 5.0
# A message younger than this may still be on its way through the inline path (`/api/simulate`).
SWEEP_MIN_AGE = dt.timedelta(seconds=SWEEP_EVERY_S)


class Workers:
    """Threads that process stored inbound messages, one queue per thread."""

    def __init__(self, gateway: Gateway, threads: int, searcher: Searcher | None = None,
                 on_processed: Callable[[], None] = lambda: None) -> None:
        self.gateway = gateway
        self.searcher = searcher
        self.on_processed = on_processed
        self._queues: list[queue.Queue[str | None]] = [queue.Queue() for _ in range(max(1, threads))]
        self._pending: set[str] = set()  # queued or running here: never twice at once
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Queue what an earlier run left unfinished, then start the threads and the sweep."""
        threading.Thread(target=self._warm_up, name="gateway-warm-up", daemon=True).start()
        self.sweep(min_age=dt.timedelta(0))
        for index, jobs in enumerate(self._queues):
            thread = threading.Thread(target=self._work, args=(jobs,), name=f"gateway-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        sweeper = threading.Thread(target=self._sweep_loop, name="gateway-sweep", daemon=True)
        sweeper.start()
        self._threads.append(sweeper)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Let running messages finish; the ones still queued are picked up by the next start."""
        self._stop.set()
        for jobs in self._queues:
            jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=timeout_s)

    def submit(self, message_id: str, address: str) -> bool:
        """Queue a stored message; False if it is already queued or running here."""
        with self._lock:
            if message_id in self._pending:
                return False
            self._pending.add(message_id)
        self._queues[zlib.crc32(address.encode()) % len(self._queues)].put(message_id)
        return True

    def process_now(self, message_id: str) -> list[str]:
        """Process a stored message in the calling thread (the simulator answers in its response),
        marked as running here meanwhile, so that the sweep does not start it a second time:
        processing may outlast the sweep's age limit (the first answer after a publication waited
        ~50 s for triage to retrain, and was sent twice)."""
        with self._lock:
            self._pending.add(message_id)
        try:
            return self.gateway.process(message_id)
        finally:
            with self._lock:
                self._pending.discard(message_id)

    def idle(self) -> bool:
        """Whether nothing is queued or running (tests and the load script wait on it)."""
        with self._lock:
            return not self._pending

    def sweep(self, min_age: dt.timedelta = SWEEP_MIN_AGE) -> int:
        """Queue every stored message not done yet; returns how many were queued."""
        ids = self.gateway.pending_messages(older_than=min_age)
        if not ids:
            return 0
        with self.gateway.db.session() as session:
            addresses = dict(session.execute(select(Message.id, Conversation.address)
                                             .join(Message.conversation).where(Message.id.in_(ids))).all())
        return sum(self.submit(message_id, addresses[message_id]) for message_id in ids if message_id in addresses)

    def _work(self, jobs: queue.Queue[str | None]) -> None:
        while (message_id := jobs.get()) is not None and not self._stop.is_set():
            try:
                self.gateway.process(message_id)
            except Exception:  # noqa: BLE001 - the message stays pending and is swept again
                log.exception("processing %s failed", message_id)
            finally:
                with self._lock:
                    self._pending.discard(message_id)
            self.on_processed()

    def _warm_up(self) -> None:
        try:
            self.gateway.warm_up()
        except Exception:  # noqa: BLE001 - the first message loads what failed here, or says why
            log.exception("warm-up failed")

    def _sweep_loop(self) -> None:
        while not self._stop.wait(SWEEP_EVERY_S):
            try:
                if self.searcher is not None:
                    self.searcher.reload_if_changed()
                self.sweep()
            except Exception:  # noqa: BLE001 - the loop must survive; the cause is logged
                log.exception("sweep failed")
