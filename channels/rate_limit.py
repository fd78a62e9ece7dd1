"""A token bucket per phone number, so that no one receives a flood of messages.

A person's phone should never get dozens of texts in a minute, whatever goes wrong upstream (a
loop with another automated number, a mediator pasting in bursts). Messages over the limit are
not dropped: the sender keeps them queued and tries again a moment later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MAX_TRACKED = 10_000


class RecipientLimiter:
    """At most `burst` messages back to back per number, refilled at `per_minute`."""

    def __init__(self, burst: int, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = float(max(1, burst))
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # number -> (tokens, at)
        self._lock = threading.Lock()

    def _tokens(self, number: str, now: float) -> float:
        tokens, at = self._buckets.get(number, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def try_take(self, number: str) -> bool:
        """Take one token for `number`; False when its bucket is empty (send later)."""
        with self._lock:
            now = self._clock()
            tokens = self._tokens(number, now)
            if tokens < 1.0:
                return False
            self._buckets[number] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_TRACKED:
                self._forget_full(now)
            return True

    def _forget_full(self, now: float) -> None:
        """Drop numbers whose bucket has refilled: they behave as new ones."""
        full = [n for n in self._buckets if self._tokens(n, now) >= self.burst]
        for number in full:
            del self._buckets[number]
