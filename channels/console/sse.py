"""Live updates: one watcher per process polls the held conversations and tells every open page.

The database is the only channel between the gateway and the console (they may run in different
processes), so the watcher compares a small fingerprint of the queue (id, state, priority, last
change of each held conversation) every `console_poll_seconds`. One query per interval serves
all open pages; each page then fetches the fragment it shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import anyio
from sqlalchemy import select

from channels.db import Database
from channels.handoff import HELD_STATES, PRIORITY_URGENT
from channels.models import Conversation, ConversationState

log = logging.getLogger(__name__)
SUBSCRIBER_BACKLOG = 32

Fingerprint = tuple[str, int, str]  # state, priority, updated_at


@dataclass(frozen=True)
class QueueChange:
    """What changed since the previous look: conversations to refresh, urgent ones that just arrived."""

    changed: list[str] = field(default_factory=list)
    urgent_arrived: list[str] = field(default_factory=list)


def held_fingerprints(db: Database) -> dict[str, Fingerprint]:
    """The fingerprint of every held conversation."""
    with db.session() as session:
        rows = session.execute(select(Conversation.id, Conversation.state, Conversation.priority,
                                      Conversation.updated_at).where(Conversation.state.in_(HELD_STATES)))
        return {cid: (state, priority or 0, _stamp(updated)) for cid, state, priority, updated in rows}


def _stamp(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def _urgent_waiting(prints: dict[str, Fingerprint]) -> set[str]:
    return {cid for cid, (state, priority, _) in prints.items()
            if priority >= PRIORITY_URGENT and state == ConversationState.waiting.value}


def compare(before: dict[str, Fingerprint], after: dict[str, Fingerprint]) -> QueueChange:
    """The conversations that appeared, left or changed, and the urgent ones new to the queue."""
    changed = sorted(cid for cid in before.keys() | after.keys() if before.get(cid) != after.get(cid))
    arrived = sorted(_urgent_waiting(after) - _urgent_waiting(before))
    return QueueChange(changed=changed, urgent_arrived=arrived)


class QueueWatcher:
    """Polls while at least one page listens; stops by itself when the last one leaves."""

    def __init__(self, db: Database, interval_s: float) -> None:
        self.db = db
        self.interval_s = interval_s
        self._subscribers: set[asyncio.Queue[QueueChange]] = set()
        self._task: asyncio.Task[None] | None = None

    async def changes(self) -> AsyncIterator[QueueChange]:
        """Every change from now on, for one listener, until it stops iterating."""
        inbox: asyncio.Queue[QueueChange] = asyncio.Queue(maxsize=SUBSCRIBER_BACKLOG)
        self._subscribers.add(inbox)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        try:
            while True:
                yield await inbox.get()
        finally:
            self._subscribers.discard(inbox)

    async def _poll(self) -> None:
        previous = await anyio.to_thread.run_sync(held_fingerprints, self.db)
        while self._subscribers:
            await asyncio.sleep(self.interval_s)
            try:
                current = await anyio.to_thread.run_sync(held_fingerprints, self.db)
            except Exception:  # noqa: BLE001 - a database hiccup must not end live updates; logged
                log.exception("queue watcher could not read the queue")
                continue
            change = compare(previous, current)
            previous = current
            if not change.changed:
                continue
            for inbox in list(self._subscribers):
                with contextlib.suppress(asyncio.QueueFull):  # a stalled page refetches on the next change
                    inbox.put_nowait(change)
