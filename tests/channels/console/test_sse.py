"""Live updates: the watcher notices arrivals, changes and departures, and names new urgent conversations."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from channels import handoff
from channels.console.sse import QueueChange, QueueWatcher, compare, held_fingerprints
from channels.db import Database
from channels.gateway import Gateway
from channels.models import Conversation
from tests.channels.console.conftest import bring_in


def test_compare_names_what_changed_and_which_urgent_ones_are_new() -> None:
    before = {"a": ("waiting", 1, "t1"), "b": ("waiting", 2, "t1"), "c": ("with_mediator", 1, "t1")}
    after = {"a": ("waiting", 2, "t2"), "b": ("waiting", 2, "t1"), "d": ("waiting", 2, "t3")}
    change = compare(before, after)
    assert change == QueueChange(changed=["a", "c", "d"], urgent_arrived=["a", "d"])
    assert compare(after, after) == QueueChange(changed=[], urgent_arrived=[])


def test_fingerprints_cover_held_conversations_only(db: Database, gateway: Gateway) -> None:
    held = bring_in(gateway, "alice", "HUMAIN")
    bring_in(gateway, "bob", "AIDE")  # the bot holds it
    prints = held_fingerprints(db)
    assert list(prints) == [held] and prints[held][:2] == ("waiting", 1)
    bring_in(gateway, "alice", "vous êtes là ?")  # a new message changes the fingerprint
    assert held_fingerprints(db)[held] != prints[held]


def test_the_watcher_tells_every_listener_about_a_new_urgent_conversation(db: Database, gateway: Gateway) -> None:
    def make_urgent() -> str:
        conversation_id = bring_in(gateway, "carol", "AIDE")
        with db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            assert conversation is not None
            handoff.request_handoff(conversation, "urgent", rasa=None, priority=handoff.PRIORITY_URGENT,
                                    category="cardiac")
        return conversation_id

    async def scenario() -> tuple[str, QueueChange, QueueChange]:
        watcher = QueueWatcher(db, interval_s=0.02)
        first, second = watcher.changes(), watcher.changes()
        pending = [asyncio.ensure_future(anext(first)), asyncio.ensure_future(anext(second))]
        await asyncio.sleep(0.1)  # both listening, the watcher has its first look
        conversation_id = await asyncio.to_thread(make_urgent)
        one, two = await asyncio.wait_for(asyncio.gather(*pending), timeout=30)
        await first.aclose()
        await second.aclose()
        return conversation_id, one, two

    # Its own thread and loop: pytest-playwright's session-wide sync API keeps a loop running in the
    # main thread once a browser test has run, and asyncio.run() refuses to nest in it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        conversation_id, one, two = pool.submit(asyncio.run, scenario()).result(timeout=60)
    assert one == two and one.urgent_arrived == [conversation_id] and conversation_id in one.changed
