"""The queue: urgent first then the longest waiting, lateness against the target, triage flags."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from channels import handoff
from channels.console import service
from channels.console.queue import Flag, open_queue, triage_flags
from channels.db import Database
from channels.gateway import Gateway
from channels.models import Conversation, Message, utcnow
from tests.channels.console.conftest import add_account, bring_in


def backdate(db: Database, conversation_id: str, minutes: int) -> None:
    with db.session() as session:
        session.execute(update(Conversation).where(Conversation.id == conversation_id)
                        .values(waiting_since=utcnow() - dt.timedelta(minutes=minutes)))


def make_urgent(db: Database, conversation_id: str, category: str) -> None:
    with db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        handoff.request_handoff(conversation, "urgent", rasa=None, priority=handoff.PRIORITY_URGENT, category=category)


def test_urgent_first_then_longest_waiting_with_lateness(db: Database, gateway: Gateway) -> None:
    mona = add_account(db, "mona@example.org", ["mediator"], name="Mona")
    old = bring_in(gateway, "old", "HUMAIN")
    recent = bring_in(gateway, "recent", "HUMAIN")
    urgent_recent = bring_in(gateway, "urgent-recent", "HUMAIN")
    urgent_old = bring_in(gateway, "urgent-old", "HUMAIN")
    for cid, minutes in ((old, 40), (recent, 2), (urgent_recent, 1), (urgent_old, 20)):
        backdate(db, cid, minutes)
    make_urgent(db, urgent_recent, "cardiac")
    make_urgent(db, urgent_old, "suicide")
    bring_in(gateway, "bot-only", "AIDE")  # answered by the gateway, the bot holds it: not in the queue
    with db.session() as session:
        items = open_queue(session, target_minutes=15, viewer_id=mona.user_id)
    assert [i.id for i in items] == [urgent_old, urgent_recent, old, recent]
    assert [(i.urgent, i.late) for i in items] == [(True, True), (True, False), (False, True), (False, False)]
    assert items[0].urgency_category == "suicide" and items[2].waiting_minutes == 40
    assert items[2].reason == "asked" and items[2].channel == "web" and items[2].preview == "HUMAIN"


def test_a_claimed_conversation_is_never_late_and_views_filter(db: Database, gateway: Gateway) -> None:
    mona = add_account(db, "mona@example.org", ["mediator"], name="Mona")
    mine = bring_in(gateway, "mine", "HUMAIN")
    other = bring_in(gateway, "other", "HUMAIN")
    backdate(db, mine, 60)
    service.claim(db, mona, mine)
    with db.session() as session:
        everything = open_queue(session, 15, mona.user_id)
        waiting = open_queue(session, 15, mona.user_id, view="waiting")
        own = open_queue(session, 15, mona.user_id, view="mine")
    claimed = next(i for i in everything if i.id == mine)
    assert not claimed.late and claimed.mine and claimed.assigned_name == "Mona"
    assert [i.id for i in waiting] == [other] and [i.id for i in own] == [mine]


def test_flags_and_preview_come_from_the_messages_since_the_handoff(db: Database, gateway: Gateway) -> None:
    cid = bring_in(gateway, "alice", "AIDE")  # before the handoff: not counted
    bring_in(gateway, "alice", "HUMAIN")
    bring_in(gateway, "alice", "x" * 500)
    with db.session() as session:
        session.add(Message(conversation_id=cid, direction="in", author="person", body="on m'a dit que...", seq=99,
                            meta={"triage": {"urgent": False, "myth": "mythe-vaccin", "myth_level": "correct"}}))
    with db.session() as session:
        (item,) = open_queue(session, 15, "nobody")
    assert item.preview == "on m'a dit que..." and item.messages_waiting == 3
    assert item.flags == [Flag("myth", "mythe-vaccin")]


def test_triage_flags_are_distinct_and_ordered() -> None:
    metas = [{"triage": {"urgent": True, "category": "stroke"}},
             {"triage": {"urgent": False, "myth": "m1", "myth_level": "possible", "rumour_cue": True}},
             {"triage": {"urgent": True, "category": "stroke"}},
             {"triage": {"urgent": False, "rumour_cue": True}}, {}, {"triage": None}]
    assert triage_flags(metas) == [Flag("urgent", "stroke"), Flag("myth_possible", "m1"), Flag("rumour")]
