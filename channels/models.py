"""Tables of the gateway: conversations and every message in and out.

Phone numbers are stored once, in `Conversation.address`, because replies must reach them; every
other place (transcripts, logs, Rasa's tracker) knows the conversation only by its id or by the
keyed hash of the number.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from channels.db import Base


def utcnow() -> dt.datetime:
    """Timezone-aware now, stored in UTC."""
    return dt.datetime.now(dt.UTC)


def new_id() -> str:
    """A random id that reveals nothing about the person."""
    return uuid.uuid4().hex


class ConversationState(StrEnum):
    """Who holds the conversation. The bot speaks only in `bot`."""

    bot = "bot"
    waiting = "waiting"
    with_mediator = "with_mediator"
    closed = "closed"


class MessageStatus(StrEnum):
    """Processing state of an inbound message; anything not `done` is retried."""

    received = "received"
    processing = "processing"
    done = "done"
    deferred = "deferred"


class Conversation(Base):
    """One person on one channel."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "address_hash"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(16))  # sms | whatsapp | web
    address: Mapped[str] = mapped_column(String(64))
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), default=ConversationState.bot.value)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # 2 urgent, 1 normal handoff
    handoff_reason: Mapped[str | None] = mapped_column(String(32))
    urgency_category: Mapped[str | None] = mapped_column(String(32))
    waiting_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    assigned_to: Mapped[str | None] = mapped_column(String(64))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.seq")


class Message(Base):
    """One message in or out, stored before anything is done with it."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("provider_sid", name="uq_messages_provider_sid"),
        Index("ix_messages_status", "direction", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    seq: Mapped[int] = mapped_column(Integer, autoincrement=True, default=0)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    author: Mapped[str] = mapped_column(String(16))  # person | bot | mediator | system
    body: Mapped[str] = mapped_column(Text)
    provider_sid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.received.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
