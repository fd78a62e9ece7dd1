"""The path every inbound message takes, whatever its channel.

1. `receive` stores the message before anything else (idempotent on the provider's message id),
   so a crash later loses nothing.
2. `process` runs it: keywords (STOP, START, AIDE), triage (an emergency is answered here, by
   the gateway alone, even if Rasa is down), the handoff state (the bot stays silent while a
   human holds the conversation), then Rasa, whose signals (handoff, opt-out, language) the
   gateway carries out. Replies are stored as outbound messages; channels send them.

A message whose processing fails half-way stays `received`/`processing`/`deferred` and is
picked up again by `pending_messages`, so it is processed after a restart. A message Rasa could
not take is `deferred` and its conversation waits in the mediators' queue (`_defer`) until a
mediator takes it or the bot answers a retry, whichever comes first.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels import handoff
from channels.db import Database
from channels.models import Conversation, ConversationState, Message, MessageStatus, utcnow
from channels.rasa_client import BotReply, RasaClient, RasaUnavailable
from knowledge_base.query_embedding import METADATA_KEY as QUERY_VECTOR
from knowledge_base.search import Searcher
from passerelle.language import detect_language
from passerelle.messages import text
from passerelle.replies import answer_text
from passerelle.secrets import pseudonym_key, pseudonymise
from passerelle.settings import Settings
from passerelle.text import clean_inbound, fold, has_letters

log = logging.getLogger(__name__)

STOP_WORDS = {"stop", "arret", "arreter", "stopall", "unsubscribe", "cancel", "end", "quit", "desabonner"}
START_WORDS = {"start", "unstop", "reprendre", "demarrer"}
HELP_WORDS = {"aide", "help", "info", "ayuda", "ajuda"}
HUMAN_WORDS = {"humain", "human", "humano", "mediateur", "mediator"}
MORE_WORDS = {"suite", "more", "mas"}  # the next page of a long text (channels/sms.py)
_ONE_WORD = re.compile(r"^\W*(\w+)\W*$")


class TriageLike(Protocol):
    """What the gateway needs from `passerelle.triage.Triage`."""

    def assess(self, text: str, language: str | None = None) -> Any: ...

    def urgent_entry(self, category: str | None, language: str) -> Any: ...

    def prepare(self) -> bool: ...


@dataclass
class Inbound:
    """A message as a channel hands it over."""

    channel: str
    address: str
    body: str
    provider_sid: str | None = None
    media_count: int = 0
    meta: dict[str, Any] | None = None


class Gateway:
    """Stores, triages, routes and answers inbound messages."""

    def __init__(self, settings: Settings, db: Database, rasa: RasaClient | None,
                 searcher: Searcher | None = None, triage: TriageLike | None = None) -> None:
        self.settings = settings
        self.db = db
        self.rasa = rasa
        self.searcher = searcher
        self.triage = triage
        self._key = pseudonym_key(settings)

    def warm_up(self) -> None:
        """Load now what the first message would wait for: the language profiles, and triage's
        view of the index with its learned models (seconds of CPU, once per process)."""
        detect_language("bonjour, une question", default=self.settings.default_language)
        if self.triage is not None:
            self.triage.prepare()

    # -- storing -----------------------------------------------------------------------------

    def _conversation(self, session: Session, channel: str, address: str) -> Conversation:
        digest = pseudonymise(address, self._key)
        found = session.scalar(select(Conversation).where(Conversation.channel == channel,
                                                          Conversation.address_hash == digest))
        if found is not None:
            return found
        conversation = Conversation(channel=channel, address=address, address_hash=digest)
        session.add(conversation)
        try:
            session.flush()
        except IntegrityError:  # a concurrent first message created it
            session.rollback()
            found = session.scalar(select(Conversation).where(Conversation.channel == channel,
                                                              Conversation.address_hash == digest))
            assert found is not None
            return found
        return conversation

    def receive(self, inbound: Inbound) -> tuple[str, bool]:
        """Store an inbound message; returns (message id, whether it is new).

        A provider retry of the same message id returns the stored one and is not processed again.
        """
        body = inbound.body[: self.settings.max_inbound_chars]
        with self.db.session() as session:
            if inbound.provider_sid:
                existing = session.scalar(select(Message).where(Message.provider_sid == inbound.provider_sid))
                if existing is not None:
                    return existing.id, False
            conversation = self._conversation(session, inbound.channel, inbound.address)
            seq = (session.scalar(select(Message.seq).where(Message.conversation_id == conversation.id)
                                  .order_by(Message.seq.desc()).limit(1)) or 0) + 1
            message = Message(conversation_id=conversation.id, direction="in", author="person", body=body,
                              provider_sid=inbound.provider_sid, seq=seq,
                              meta={"media": inbound.media_count, **(inbound.meta or {})})
            session.add(message)
            conversation.last_inbound_at = utcnow()
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                existing = session.scalar(select(Message).where(Message.provider_sid == inbound.provider_sid))
                if existing is None:
                    raise
                return existing.id, False
            return message.id, True

    def _add_outbound(self, session: Session, conversation: Conversation, body: str, author: str = "bot",
                      meta: dict[str, Any] | None = None) -> Message:
        seq = (session.scalar(select(Message.seq).where(Message.conversation_id == conversation.id)
                              .order_by(Message.seq.desc()).limit(1)) or 0) + 1
        status = "sent" if conversation.channel == "web" else "queued"
        message = Message(conversation_id=conversation.id, direction="out", author=author, body=body,
                          seq=seq, status=status, meta=meta or {})
        session.add(message)
        session.flush()
        return message

    def pending_messages(self, older_than: dt.timedelta = dt.timedelta(seconds=0)) -> list[str]:
        """Inbound messages not fully processed (after a crash or while Rasa was down)."""
        cutoff = utcnow() - older_than
        with self.db.session() as session:
            rows = session.scalars(select(Message.id).where(
                Message.direction == "in",
                Message.status.in_([MessageStatus.received.value, MessageStatus.processing.value,
                                    MessageStatus.deferred.value]),
                Message.created_at <= cutoff).order_by(Message.created_at))
            return list(rows)

    # -- processing --------------------------------------------------------------------------

    def process(self, message_id: str) -> list[str]:
        """Run one stored inbound message through the pipeline; returns the reply texts."""
        with self.db.session() as session:
            # PostgreSQL: a row another process is processing is skipped (SQLite has one writer).
            message = session.get(Message, message_id, with_for_update={"skip_locked": True})
            if message is None and session.get(Message, message_id) is not None:
                return []
            if message is None or message.direction != "in":
                raise KeyError(message_id)
            if message.status == MessageStatus.done.value:
                return [m.body for m in self._replies_to(session, message)]
            # Nothing is written until the replies are known: with SQLite a write holds the one
            # writer lock until commit, and triage and Rasa would hold it for everyone else.
            with session.no_autoflush:
                message.status = MessageStatus.processing.value
                message.attempts += 1
                conversation = message.conversation
                replies, meta = self._route(session, conversation, message)
            author = meta.pop("author", "bot")
            for reply in replies:
                self._add_outbound(session, conversation, reply, author=author, meta=meta | {"in_reply_to": message.id})
            if message.status == MessageStatus.processing.value:
                message.status = MessageStatus.done.value
                message.processed_at = utcnow()
            return replies

    def language_of(self, message_id: str) -> str | None:
        """The language of the conversation a message belongs to, as processing left it."""
        with self.db.session() as session:
            message = session.get(Message, message_id)
            return message.conversation.language if message is not None else None

    def _replies_to(self, session: Session, message: Message) -> list[Message]:
        return [m for m in message.conversation.messages
                if m.direction == "out" and (m.meta or {}).get("in_reply_to") == message.id]

    def _route(self, session: Session, conversation: Conversation,
               message: Message) -> tuple[list[str], dict[str, Any]]:
        raw = message.body
        body = clean_inbound(raw, self.settings.max_processed_chars)
        language = detect_language(body, previous=conversation.language,
                                   default=self.settings.default_language).language
        keyword = self._keyword(body)
        if keyword == "stop":
            conversation.opted_out = True  # the confirmation is the last message the sender lets through
            return [text("opt_out_confirm", conversation.language or language)], {"opt_out_confirm": True}
        if keyword == "start":
            conversation.opted_out = False
            return [text("opt_in_confirm", conversation.language or language)], {}
        if conversation.opted_out:
            return [], {}
        if keyword == "more":
            message.meta = {**(message.meta or {}), "keyword": "more"}
            return self._next_page(session, conversation, message, conversation.language or language)
        if keyword == "help":
            return [text("help", conversation.language or language)], {}
        if (message.meta or {}).get("location") and not has_letters(body):
            return [text("location_ignored", conversation.language or language)], {}
        if (message.meta or {}).get("media") and not has_letters(body):
            return [text("not_text", language)], {}
        if not body.strip():
            return [text("empty_message", conversation.language or language)], {}
        if not has_letters(body) and not self._picks_suggestion(session, conversation, message, body):
            return [text("emoji_only", conversation.language or language)], {}
        conversation.language = language
        notes = [text("too_long", language)] if len(raw) > self.settings.max_processed_chars else []

        # One-word commands (HUMAIN, ...) are not triaged: "HUMAIN" is no rumour about human DNA.
        verdict = self.triage.assess(body, language) if self.triage is not None and keyword is None else None
        if verdict is not None:
            message.meta = {**(message.meta or {}), "triage": _verdict_meta(verdict)}
            if verdict.urgency.urgent:
                return self._urgent(session, conversation, verdict.urgency.category, language), {"urgent": True}

        # A closed conversation goes back to the bot when the bot answers (`bot_takes_turn`), not
        # here: this copy is written back after Rasa's answer, and a mediator may take it meanwhile.
        if handoff.is_held(conversation) and not handoff.awaiting_assistant(conversation):
            return [], {}  # the mediator console shows it; the bot stays silent
        if keyword == "human":
            return notes + self._handoff(session, conversation, "asked", language), {}
        if self._deferred_besides(session, conversation, message, earlier_only=True):
            # The bot answers a person's messages in their order: the earlier one goes first.
            message.status = MessageStatus.deferred.value
            return [], {}

        try:
            reply = self._ask_rasa(conversation, body, language, verdict)
        except RasaUnavailable as exc:
            return self._defer(session, conversation, message, language, exc), {}
        if not handoff.bot_takes_turn(session, conversation):
            return [], {}  # a mediator took the conversation while Rasa was answering
        missed = next((sig["unanswered"] for sig in reply.signals if isinstance(sig.get("unanswered"), str)), None)
        if missed:  # the editors' Gaps page lists these questions
            message.meta = {**(message.meta or {}), "unanswered": missed}
        return notes + self._apply(session, conversation, reply, language), _answer_meta(reply)

    def _defer(self, session: Session, conversation: Conversation, message: Message, language: str,
               cause: RasaUnavailable) -> list[str]:
        """The assistant did not answer: keep the message for later and put the conversation in
        the mediators' queue, so the "a mediator will answer" of `service_down` holds.

        Whoever comes first answers it: a mediator who takes the conversation (the retried
        message then finds it held and stays silent), or the bot once Rasa answers the retry
        (`handoff.bot_takes_turn` then takes it out of the queue). A mediator who took it while
        Rasa was failing already holds it: the message is theirs, and the person is told nothing.
        """
        if not handoff.assistant_unavailable(session, conversation, since=message.created_at):
            log.warning("rasa unavailable (%s); a mediator took the conversation meanwhile", cause)
            return []  # the mediator answers it; the bot says nothing more
        log.warning("rasa unavailable (%s); message deferred", cause)
        message.status = MessageStatus.deferred.value
        if (message.meta or {}).get("told_down") or self._deferred_besides(session, conversation, message):
            return []  # one "service problem" reply per outage, not one per message
        message.meta = {**(message.meta or {}), "told_down": True}
        return [text("service_down", language)]

    def _deferred_besides(self, session: Session, conversation: Conversation, message: Message,
                          earlier_only: bool = False) -> bool:
        """Whether another (or an earlier) message of the conversation waits for the assistant."""
        query = select(Message.id).where(Message.conversation_id == conversation.id, Message.direction == "in",
                                         Message.id != message.id, Message.status == MessageStatus.deferred.value)
        if earlier_only:
            query = query.where(Message.seq < message.seq)
        return session.scalar(query.limit(1)) is not None

    def _next_page(self, session: Session, conversation: Conversation, message: Message,
                   language: str) -> tuple[list[str], dict[str, Any]]:
        """SUITE / MORE: the next page of the latest long text, kept by the sender in meta["more"].

        Only texts sent since the person's last real message count: SUITE never brings back an
        old answer after a new question.
        """
        earlier = session.scalars(select(Message).where(Message.conversation_id == conversation.id,
                                                        Message.seq < message.seq)
                                  .order_by(Message.seq.desc()).limit(50))
        for row in earlier:
            meta = row.meta or {}
            if row.direction == "in" and meta.get("keyword") != "more":
                break
            if row.direction == "out" and meta.get("more"):
                row.meta = {**meta, "more": meta["more"][1:]}
                return [meta["more"][0]], {"continues": row.id, "author": row.author}
        return [text("no_more", language)], {}

    def _picks_suggestion(self, session: Session, conversation: Conversation, message: Message, body: str) -> bool:
        """Whether a message without letters but with a number ("2", "٢") answers the numbered list
        of topics the bot sent in reply to the person's previous message: it then goes to the
        assistant, which holds the list and, for a number off the list, says it is not sure and
        drops the list (kept, it would let a later "le 1" pick from it); otherwise it gets the usual
        "words only" reply."""
        earlier = session.scalars(select(Message).where(Message.conversation_id == conversation.id,
                                                        Message.seq < message.seq)
                                  .order_by(Message.seq.desc()).limit(20))
        for row in earlier:
            if row.direction == "in":
                return False
            suggested = (row.meta or {}).get("suggested")
            if row.author == "bot" and isinstance(suggested, list):
                return any(ch.isdecimal() for ch in body)
        return False

    def _keyword(self, body: str) -> str | None:
        match = _ONE_WORD.match(fold(body))
        if not match:
            return None
        word = match.group(1)
        if word in STOP_WORDS:
            return "stop"
        if word in START_WORDS:
            return "start"
        if word in HELP_WORDS:
            return "help"
        if word in HUMAN_WORDS:
            return "human"
        if word in MORE_WORDS:
            return "more"
        return None

    def _urgent(self, session: Session, conversation: Conversation, category: str | None,
                language: str) -> list[str]:
        """Emergency: the number and the one action first, then the mediator queue at top priority
        (a mediator who holds the conversation, even since triage began, keeps it, flagged urgent)."""
        replies: list[str] = []
        entry = self.triage.urgent_entry(category, language) if self.triage is not None else None
        if entry is not None:
            fallback = entry.language != language
            replies.append(answer_text(entry, language, fallback=fallback))
        else:
            replies.append(text("service_down", language))  # names 15 / 112 / 114
        newly = handoff.escalate(session, conversation, "urgent", rasa=self.rasa,
                                 priority=handoff.PRIORITY_URGENT, category=category)
        if newly or conversation.state == ConversationState.waiting.value:
            replies.append(text("handoff_urgent", language))
        return replies

    def _handoff(self, session: Session, conversation: Conversation, reason: str, language: str) -> list[str]:
        if handoff.escalate(session, conversation, reason, rasa=self.rasa):
            return [handoff.waiting_notice(self.settings, language)]
        return []

    def _ask_rasa(self, conversation: Conversation, body: str, language: str, verdict: Any) -> BotReply:
        if self.rasa is None:
            raise RasaUnavailable("no Rasa configured")
        metadata: dict[str, Any] = {"language": language, "channel": conversation.channel}
        if verdict is not None:
            metadata["triage"] = _verdict_meta(verdict)
            if verdict.embedding is not None:  # the action server searches with it: no second embedding
                metadata[QUERY_VECTOR] = verdict.embedding.to_metadata()
        reply = self.rasa.send(conversation.id, body, metadata)
        if not reply.texts and not reply.signals:
            # Rasa answers [] when the action server failed: that is an outage, not an answer.
            raise RasaUnavailable("empty reply (action server down?)")
        return reply

    def _apply(self, session: Session, conversation: Conversation, reply: BotReply, language: str) -> list[str]:
        texts = list(reply.texts)
        for signal in reply.signals:
            if signal.get("opt_out"):
                conversation.opted_out = True
            if isinstance(signal.get("language"), str):
                conversation.language = signal["language"]
            if isinstance(signal.get("handoff"), str):
                texts += self._handoff(session, conversation, signal["handoff"], conversation.language or language)
        return texts


def _verdict_meta(verdict: Any) -> dict[str, Any]:
    return {
        "urgent": verdict.urgency.urgent,
        "category": verdict.urgency.category,
        "myth": verdict.myth.topic if verdict.myth.level != "none" else None,
        "myth_level": verdict.myth.level,
        "rumour_cue": bool(getattr(verdict, "rumour_cue", False)),
    }


def _answer_meta(reply: BotReply) -> dict[str, Any]:
    for signal in reply.signals:
        if isinstance(signal.get("entry"), dict):
            return {"entry": signal["entry"]}
        if isinstance(signal.get("suggested"), list):
            return {"suggested": [str(entry_id) for entry_id in signal["suggested"]]}
    return {}
