"""A Redis lock store that stays correct when several Rasa servers share it.

Rasa's `RedisLockStore` updates a conversation's ticket lock by read-modify-write (read the
JSON, add or remove a ticket, write it back). Two servers doing this at the same moment both
read the same lock, both issue the same ticket number and both process a message of the same
conversation at once; the SQL tracker store then keeps only one of the two turns (measured
here: 3 of 5 concurrent messages missing from the tracker). Rasa's fix (ConcurrentRedisLockStore,
RasaHQ/rasa#11256) was reverted from Rasa Open Source, so we serialise every read-modify-write
of a lock behind a short Redis mutex (SET NX with an expiry, via redis-py's `Lock`). The ticket
algorithm itself is Rasa's, unchanged.

Used by `bot/endpoints.scale.yml` (`type: bot.lock_store.AtomicRedisLockStore`); runs inside the
Rasa server process (Python 3.10 environment).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)

# The mutex guards a few Redis round trips; if its holder dies, it frees itself after this.
MUTEX_EXPIRY_S = 10.0
MUTEX_WAIT_S = 30.0


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's ticket lock in Redis, with each lock update made atomic across servers."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)

    @contextmanager
    def _mutex(self, conversation_id: str) -> Iterator[None]:
        mutex = self.red.lock(f"{self.key_prefix}{conversation_id}:mutex", timeout=MUTEX_EXPIRY_S,
                              blocking_timeout=MUTEX_WAIT_S)
        if not mutex.acquire():
            raise LockError(f"Could not update the lock of conversation '{conversation_id}'.")
        try:
            yield
        finally:
            try:
                mutex.release()
            except redis.exceptions.LockNotOwnedError:  # expired while held: already free
                log.warning("lock store mutex expired before release")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # Finishing and deleting must be one step: otherwise a ticket issued in between by
        # another server would be deleted with the lock.
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)
