"""The sender: outbound SMS and WhatsApp rows of the database, sent through Twilio, each at most once.

The database is the contract. Any row with direction "out" and status "queued" on an sms or
whatsapp conversation is to be sent, whoever wrote it (the gateway's replies, a mediator's
answer from the console). A row moves

    queued -> sending -> sent -> delivered | failed     (Twilio's status callbacks)
    queued -> awaiting_window   (WhatsApp, 24 h window closed: the approved template was sent;
                                 queued again as soon as the person writes)
    queued | sending -> failed  (opted out, refused by Twilio, retries exhausted; meta["reason"];
                                 the last two put the conversation in the mediators' queue)

Claims are conditional updates (`queued` -> `sending`), so two threads or processes never send
the same row. A row left in `sending` (a timeout after which Twilio may have accepted it, or a
crash) is looked up among Twilio's recent messages before it is ever sent again. One row per
conversation is in flight at a time, lowest `seq` first, so replies arrive in order.
Long texts are paged (`channels/sms.py`); the pages not yet asked for wait in meta["more"]
until the person replies SUITE / MORE (see the gateway).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from channels import handoff
from channels.db import Database
from channels.models import Conversation, Message, utcnow
from channels.polling_loop import PollingLoop
from channels.rate_limit import RecipientLimiter
from channels.sms import fits_chars, fits_sms, normalise, paginate
from channels.twilio.addresses import address_for, number_of, our_numbers
from channels.twilio.rest import UNSUBSCRIBED, TwilioRejected, TwilioRest, TwilioRetryable, TwilioUncertain
from passerelle.messages import text
from passerelle.settings import Settings

log = logging.getLogger(__name__)

POLL_S = 1.0  # rows written by other processes (the console) are seen within this delay
BATCH = 500
UNCERTAIN_WAIT = dt.timedelta(seconds=2)  # let Twilio's list API catch up before looking
LOOKUP_SLACK = dt.timedelta(minutes=2)  # clock difference tolerated when matching Twilio's dates
CHANNELS = ("sms", "whatsapp")
SEND_FAILED = "send_failed"  # the handoff reason mediators see


class OutboundStatus(StrEnum):
    """Where an outbound SMS/WhatsApp row stands (web replies are `sent` at once)."""

    queued = "queued"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    awaiting_window = "awaiting_window"


_RANK = {"queued": 0, "awaiting_window": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 3}
_FROM_TWILIO = {"sent": "sent", "delivered": "delivered", "read": "delivered", "undelivered": "failed",
                "failed": "failed", "canceled": "failed"}


@dataclass(frozen=True)
class Claim:
    """A row this process moved to `sending`, with what is needed to send it."""

    row_id: str
    conversation_id: str
    to: str
    from_: str
    text: str | None
    content_sid: str | None
    callback: str | None


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored datetime is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _when(meta: dict[str, Any], key: str) -> dt.datetime | None:
    value = meta.get(key)
    return _aware(dt.datetime.fromisoformat(value)) if isinstance(value, str) else None


def _locked(session: Session, row_id: str) -> Message | None:
    """The row, read fresh after taking the write lock on it, for a read-modify-write.

    The no-op update takes SQLite's writer lock (or PostgreSQL's row lock) before the read, so the
    sender finishing a send and a status callback arriving at the same moment cannot overwrite
    each other's status.
    """
    session.execute(update(Message).where(Message.id == row_id).values(attempts=Message.attempts)
                    .execution_options(synchronize_session=False))
    return session.get(Message, row_id, with_for_update=True, populate_existing=True)


def _surface(conversation: Conversation) -> None:
    """A reply that could not be sent puts the conversation in the mediators' queue.

    The person is waiting for an answer that will not come by itself; a mediator sees the failed
    row in the transcript and decides (try again later, another channel). Rasa is not told: the
    gateway's state keeps the bot silent meanwhile.
    """
    if handoff.request_handoff(conversation, SEND_FAILED, rasa=None):
        log.warning("conversation %s handed to mediators: a reply could not be sent", conversation.id)


def window_open(conversation: Conversation, now: dt.datetime, hours: float) -> bool:
    """Whether WhatsApp's customer-service window (since the person's last message) is open."""
    last = conversation.last_inbound_at
    return last is not None and now - _aware(last) < dt.timedelta(hours=hours)


class Outbox:
    """Claims due rows, sends them on a thread pool and records what Twilio says."""

    def __init__(self, settings: Settings, db: Database, rest: TwilioRest | None,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.settings = settings
        self.db = db
        self.rest = rest
        self._clock = clock
        self._limiter = RecipientLimiter(settings.twilio_recipient_burst, settings.twilio_recipient_per_minute)
        self._loop = PollingLoop("outbox-dispatch", self.dispatch, POLL_S, log)
        self._inflight: set[str] = set()  # conversation ids with a send running in this process
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._last_housekeeping = 0.0

    # -- running -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the dispatcher, or say clearly why nothing will be sent."""
        if self.rest is None:
            log.warning("twilio sender disabled: PASSERELLE_TWILIO_ACCOUNT_SID and PASSERELLE_TWILIO_AUTH_TOKEN "
                        "are not both set; SMS and WhatsApp replies stay queued in the database")
            return
        self._pool = ThreadPoolExecutor(self.settings.twilio_send_threads, thread_name_prefix="outbox")
        self._loop.start()
        log.info("twilio sender started: %d threads, API %s", self.settings.twilio_send_threads,
                 self.settings.twilio_api_base_url)

    def stop(self) -> None:
        """Stop claiming; sends already running finish and are recorded."""
        self._loop.stop(timeout_s=5)
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def wake(self) -> None:
        """Look for due rows now (new replies were just stored)."""
        self._loop.wake()

    def dispatch(self) -> list[Future[None]]:
        """One round: send what is due; at most once per POLL_S, reopen windows and resolve stalled sends."""
        assert self._pool is not None, "start() first"
        if time.monotonic() - self._last_housekeeping >= POLL_S:  # rounds run on every wake: keep them light
            self._last_housekeeping = time.monotonic()
            self._reopen_windows()
            self._resolve_stalled()
        with self._lock:
            free = 2 * self.settings.twilio_send_threads - len(self._inflight)
        if free <= 0:
            return []
        # Claim at most two rounds of what the threads can send: a claim never waits long in the
        # queue, which keeps the lease after which other processes look a `sending` row up meaningful.
        return [self._pool.submit(self.send, claim) for claim in self.claim_due(limit=free)]

    def send_due(self) -> int:
        """Like `dispatch`, in the calling thread (scripts and tests); returns how many were sent."""
        self._reopen_windows()
        self._resolve_stalled()
        claims = self.claim_due()
        for claim in claims:
            self.send(claim)
        return len(claims)

    # -- claiming ----------------------------------------------------------------------------

    def claim_due(self, limit: int | None = None) -> list[Claim]:
        """Move the next due row of each idle conversation to `sending` (at most `limit` rows)."""
        now = self._clock()
        claims: list[Claim] = []
        with self.db.session() as session:
            busy = set(session.scalars(select(Message.conversation_id).where(
                Message.direction == "out", Message.status == OutboundStatus.sending.value)))
            rows = session.execute(select(Message, Conversation).join(Message.conversation).where(
                Message.direction == "out", Message.status == OutboundStatus.queued.value,
                Conversation.channel.in_(CHANNELS)).order_by(Message.created_at, Message.seq).limit(BATCH)).all()
            first: dict[str, tuple[Message, Conversation]] = {}
            for message, conversation in rows:
                if conversation.id not in first or message.seq < first[conversation.id][0].seq:
                    first[conversation.id] = (message, conversation)
            with self._lock:
                busy |= self._inflight
            for message, conversation in first.values():
                if limit is not None and len(claims) >= limit:
                    break
                retry_at = _when(message.meta or {}, "retry_at")
                if conversation.id in busy or (retry_at is not None and retry_at > now):
                    continue
                claim = self._prepare(session, message, conversation, now)
                if claim is not None:
                    claims.append(claim)
        with self._lock:
            self._inflight |= {claim.conversation_id for claim in claims}
        return claims

    def _prepare(self, session: Session, message: Message, conversation: Conversation,
                 now: dt.datetime) -> Claim | None:
        """Decide how `message` goes out and claim it; None when it is not sent now."""
        meta = dict(message.meta or {})
        channel = conversation.channel
        if conversation.opted_out and not meta.get("opt_out_confirm"):
            self._fail(session, message.id, OutboundStatus.queued, "opted_out")
            return None
        from_ = self._from_address(session, conversation)
        if from_ is None:
            self._fail(session, message.id, OutboundStatus.queued, "no_sender_number")
            return None
        content_sid = None
        if meta.get("template"):
            content_sid = self.settings.twilio_whatsapp_template_sid
        elif channel == "whatsapp" and not window_open(conversation, now, self.settings.whatsapp_window_hours):
            self._hold_for_window(session, message, conversation)
            return None
        if not self._limiter.try_take(number_of(conversation.address)):
            return None  # this person got enough for now: next round
        claim_meta = meta | {"claimed_at": now.isoformat(), "from": from_}
        body: str | None = None
        if not content_sid:
            pages = self._pages(message.body, conversation)
            body = pages[0]
            claim_meta |= {"text": body} | ({"pages": len(pages), "more": pages[1:]} if len(pages) > 1 else {})
        if not self._transition(session, message.id, OutboundStatus.queued, OutboundStatus.sending, meta=claim_meta):
            return None  # another process took it
        callback = (f"{self.settings.public_base_url.rstrip('/')}/twilio/status?m={message.id}"
                    if self.settings.public_base_url else None)
        return Claim(message.id, conversation.id, conversation.address, from_, body, content_sid or None, callback)

    def _pages(self, body: str, conversation: Conversation) -> list[str]:
        hint = text("more_hint", conversation.language or self.settings.default_language)
        if conversation.channel == "sms":
            transliterate = self.settings.sms_transliterate_accents
            return paginate(normalise(body, transliterate), normalise(hint, transliterate),
                            fits_sms(self.settings.sms_max_segments))
        return paginate(body, hint, fits_chars(self.settings.whatsapp_max_chars))

    def _from_address(self, session: Session, conversation: Conversation) -> str | None:
        """Our number the person last wrote to, else the first configured one."""
        ours = our_numbers(self.settings, conversation.channel)
        if not ours:
            return None
        last_meta = session.scalar(select(Message.meta).where(Message.conversation_id == conversation.id,
                                                              Message.direction == "in")
                                   .order_by(Message.seq.desc()).limit(1))
        wrote_to = number_of(str((last_meta or {}).get("to") or ""))
        return address_for(conversation.channel, wrote_to if wrote_to in ours else ours[0])

    def _hold_for_window(self, session: Session, message: Message, conversation: Conversation) -> None:
        """Outside WhatsApp's window only an approved template may go: send it once, keep the row."""
        if not self.settings.twilio_whatsapp_template_sid:
            self._fail(session, message.id, OutboundStatus.queued, "whatsapp_window_closed")
            return
        if not self._transition(session, message.id, OutboundStatus.queued, OutboundStatus.awaiting_window):
            return
        since = conversation.last_inbound_at
        recent_system = session.scalars(select(Message).where(
            Message.conversation_id == conversation.id, Message.direction == "out", Message.author == "system",
            Message.status != OutboundStatus.failed.value,
            *([Message.created_at >= since] if since is not None else [])))
        if not any((row.meta or {}).get("template") for row in recent_system):
            seq = (session.scalar(select(func.max(Message.seq)).where(Message.conversation_id == conversation.id))
                   or 0) + 1
            language = conversation.language or self.settings.default_language
            session.add(Message(conversation_id=conversation.id, direction="out", author="system", seq=seq,
                                body=text("whatsapp_followup", language), status=OutboundStatus.queued.value,
                                meta={"template": True, "for": message.id}))
        self._loop.wake()

    def _reopen_windows(self) -> None:
        """Rows kept for a closed WhatsApp window go out once the person has written again."""
        now = self._clock()
        with self.db.session() as session:
            rows = session.execute(select(Message.id, Conversation).join(Message.conversation).where(
                Message.direction == "out", Message.status == OutboundStatus.awaiting_window.value)).all()
            for row_id, conversation in rows:
                if window_open(conversation, now, self.settings.whatsapp_window_hours):
                    self._transition(session, row_id, OutboundStatus.awaiting_window, OutboundStatus.queued)

    # -- sending and recording ---------------------------------------------------------------

    def send(self, claim: Claim) -> None:
        """Send one claimed row and record the outcome (never raises)."""
        assert self.rest is not None
        try:
            sid = self.rest.send(claim.to, claim.from_, body=claim.text, content_sid=claim.content_sid,
                                 status_callback=claim.callback)
        except TwilioRetryable as exc:
            self._retry_later(claim.row_id, str(exc))
        except TwilioRejected as exc:
            self._rejected(claim.row_id, exc)
        except TwilioUncertain as exc:
            log.warning("send of %s uncertain (%s); will look it up at Twilio", claim.row_id, exc)
            self._mark_uncertain(claim.row_id, str(exc))
        except Exception as exc:  # noqa: BLE001 - an unknown failure may still have reached Twilio
            log.exception("send of %s failed unexpectedly; will look it up at Twilio", claim.row_id)
            self._mark_uncertain(claim.row_id, type(exc).__name__)
        else:
            self._sent(claim.row_id, sid)
        finally:
            with self._lock:
                self._inflight.discard(claim.conversation_id)
            self._loop.wake()

    def _transition(self, session: Session, row_id: str, before: OutboundStatus, after: OutboundStatus,
                    meta: dict[str, Any] | None = None) -> bool:
        """Move a row from `before` to `after` only if no one else moved it first."""
        values: dict[str, Any] = {"status": after.value} | ({"meta": meta} if meta is not None else {})
        result = session.execute(update(Message).where(Message.id == row_id, Message.status == before.value)
                                 .values(**values).execution_options(synchronize_session=False))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def _fail(self, session: Session, row_id: str, before: OutboundStatus, reason: str) -> None:
        row = session.get(Message, row_id)
        meta = {k: v for k, v in ((row.meta if row else None) or {}).items() if k not in ("more", "text")}
        if self._transition(session, row_id, before, OutboundStatus.failed, meta=meta | {"reason": reason}):
            log.warning("outbound %s failed: %s", row_id, reason)
            self._loop.wake()

    def _sent(self, row_id: str, sid: str, recovered: bool = False) -> None:
        with self.db.session() as session:
            row = _locked(session, row_id)
            if row is None:
                return
            row.provider_sid = row.provider_sid or sid
            meta = {k: v for k, v in (row.meta or {}).items() if k not in ("uncertain", "text", "retry_at")}
            row.meta = meta | {"sent_at": self._clock().isoformat()} | ({"recovered": True} if recovered else {})
            if _RANK.get(row.status, 0) < _RANK["sent"]:
                row.status = OutboundStatus.sent.value

    def _retry_later(self, row_id: str, reason: str) -> None:
        now = self._clock()
        with self.db.session() as session:
            row = _locked(session, row_id)
            if row is None or row.status != OutboundStatus.sending.value:
                return
            row.attempts += 1
            if row.attempts >= self.settings.twilio_send_max_attempts:
                self._fail(session, row_id, OutboundStatus.sending, f"gave up after {row.attempts} attempts: {reason}")
                _surface(row.conversation)
                return
            delay = min(self.settings.twilio_retry_max_s, self.settings.twilio_retry_base_s * 2 ** (row.attempts - 1))
            delay *= random.uniform(0.8, 1.2)  # noqa: S311 - jitter, so retries after an outage spread out
            meta = {k: v for k, v in (row.meta or {}).items() if k not in ("uncertain", "text")}
            row.meta = meta | {"retry_at": (now + dt.timedelta(seconds=delay)).isoformat(), "last_error": reason}
            row.status = OutboundStatus.queued.value
        log.info("outbound %s will be retried in %.1f s (%s)", row_id, delay, reason)

    def _mark_uncertain(self, row_id: str, reason: str) -> None:
        with self.db.session() as session:
            row = _locked(session, row_id)
            if row is not None and row.status == OutboundStatus.sending.value:
                row.meta = (row.meta or {}) | {"uncertain": True, "uncertain_since": self._clock().isoformat(),
                                               "last_error": reason}

    def _rejected(self, row_id: str, exc: TwilioRejected) -> None:
        with self.db.session() as session:
            row = _locked(session, row_id)
            if row is None:
                return
            if exc.code == UNSUBSCRIBED:
                row.conversation.opted_out = True
            else:
                _surface(row.conversation)
            row.attempts += 1
            self._fail(session, row_id, OutboundStatus.sending, f"twilio error {exc.code} (HTTP {exc.status})")

    def _resolve_stalled(self) -> None:
        """Rows stuck in `sending` (timeout, crash): sent if Twilio has them, else queued again."""
        assert self.rest is not None
        now = self._clock()
        lease = dt.timedelta(seconds=2 * self.settings.twilio_timeout_s + 5)
        with self._lock:
            mine = set(self._inflight)
        stalled: list[tuple[str, str, dict[str, Any]]] = []
        with self.db.session() as session:
            rows = session.execute(select(Message.id, Message.meta, Conversation.id, Conversation.address)
                                   .join(Message.conversation)
                                   .where(Message.direction == "out",
                                          Message.status == OutboundStatus.sending.value)).all()
            for row_id, meta, conversation_id, address in rows:
                meta = meta or {}
                if conversation_id in mine:
                    continue
                uncertain_since, claimed_at = _when(meta, "uncertain_since"), _when(meta, "claimed_at")
                if uncertain_since is not None and now - uncertain_since < UNCERTAIN_WAIT:
                    continue
                if uncertain_since is None and claimed_at is not None and now - claimed_at < lease:
                    continue  # probably still being sent by another process
                stalled.append((row_id, address, meta))
        for row_id, address, meta in stalled:
            self._look_up(row_id, address, meta)

    def _look_up(self, row_id: str, address: str, meta: dict[str, Any]) -> None:
        assert self.rest is not None
        claimed_at = _when(meta, "claimed_at") or self._clock()
        try:
            recent = self.rest.recent(address, str(meta.get("from") or ""))
        except TwilioRetryable:
            return  # Twilio unreachable: look again next round
        sent_text = meta.get("text")
        for remote in recent:
            if remote.created is not None and _aware(remote.created) < claimed_at - LOOKUP_SLACK:
                continue
            if sent_text is None or remote.body.endswith(str(sent_text)):  # trial accounts prefix a notice
                log.info("outbound %s found at Twilio after an interrupted send", row_id)
                self._sent(row_id, remote.sid, recovered=True)
                return
        self._retry_later(row_id, "interrupted send not found at Twilio")

    def record_status(self, row_id: str | None, sid: str, twilio_status: str, error_code: str | None) -> bool:
        """A status callback: move the row forward (never back); False if the message is unknown.

        Two callbacks arrive for every reply sent ("sent", then "delivered"), so their common case
        is one read of the row's status and one compare-and-set update, without loading the row
        into the ORM; a failure or a "read" (which change meta, and maybe the conversation) take
        the row's lock and go the long way.
        """
        new = _FROM_TWILIO.get(twilio_status)
        if twilio_status == "read" or new == OutboundStatus.failed.value:
            return self._record_status_locked(row_id, sid, twilio_status, error_code)
        with self.db.session() as session:
            while True:
                columns = select(Message.id, Message.direction, Message.status, Message.provider_sid)
                found = session.execute(columns.where(Message.id == row_id) if row_id else
                                        columns.where(Message.provider_sid == sid)).first()
                if found is None and row_id:  # not our row id: look the message up by Twilio's sid
                    row_id = None
                    continue
                if found is None or found.direction != "out":
                    return False
                row_id = found.id
                moves = new is not None and _RANK.get(found.status, 0) < _RANK[new]
                if not moves and found.provider_sid:
                    return True
                values: dict[str, Any] = {"provider_sid": func.coalesce(Message.provider_sid, sid)}
                if moves:
                    values["status"] = new
                # Compare-and-set: if the sender (or another callback) moved the row since the
                # read, nothing is written and the row is read again; statuses only move forward.
                changed = session.execute(update(Message).where(Message.id == found.id,
                                                                Message.status == found.status)
                                          .values(**values).execution_options(synchronize_session=False))
                if changed.rowcount:  # type: ignore[attr-defined]
                    break
        if moves and found.status == OutboundStatus.sending.value:
            self._loop.wake()  # its conversation's next row may go now
        return True

    def _record_status_locked(self, row_id: str | None, sid: str, twilio_status: str, error_code: str | None) -> bool:
        """`record_status` for callbacks that change more than the status (failed, read)."""
        with self.db.session() as session:
            if not row_id or session.get(Message, row_id) is None:
                row_id = session.scalar(select(Message.id).where(Message.provider_sid == sid))
            row = _locked(session, row_id) if row_id else None
            if row is None or row.direction != "out":
                return False
            row.provider_sid = row.provider_sid or sid
            was_sending = row.status == OutboundStatus.sending.value
            new = _FROM_TWILIO.get(twilio_status)
            if twilio_status == "read":
                row.meta = (row.meta or {}) | {"read": True}
            if new is None or _RANK.get(row.status, 0) >= _RANK[new]:
                return True
            row.status = new
            if new == OutboundStatus.failed.value:
                row.meta = {k: v for k, v in (row.meta or {}).items() if k not in ("more", "text")} | {
                    "reason": f"twilio {twilio_status}, error {error_code or 'none'}"}
                if error_code == str(UNSUBSCRIBED):
                    row.conversation.opted_out = True
                log.warning("outbound %s %s at Twilio (error %s)", row.id, twilio_status, error_code)
        if was_sending:
            self._loop.wake()  # its conversation's next row may go now
        return True
