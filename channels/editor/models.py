"""Tables of the content console: entries, their versions, and index publications.

A version stores the whole entry as the knowledge base's own JSON (`Entry.model_dump`), so what
was reviewed is exactly what the index is built from and what an export writes back to YAML;
the other columns are the workflow's (who, when, why) and what lists filter on.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from channels.db import Base
from channels.models import utcnow


class PublicationStatus(StrEnum):
    """Where an index rebuild stands."""

    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class KbEntry(Base):
    """One entry id (`<topic>-<language>`), whatever its versions."""

    __tablename__ = "kb_entries"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    topic: Mapped[str] = mapped_column(String(120), index=True)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)  # locks the entry


class KbVersion(Base):
    """One numbered version of an entry and its place in the workflow."""

    __tablename__ = "kb_versions"
    __table_args__ = (UniqueConstraint("entry_id", "number"), Index("ix_kb_versions_status", "status", "entry_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("kb_entries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # knowledge_base.schema.Status
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    change_note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[str | None] = mapped_column(String(32))  # None: imported from files
    contributors: Mapped[list[str]] = mapped_column(JSON, default=list)  # everyone who edited it
    reviewer_id: Mapped[str | None] = mapped_column(String(32))
    review_comment: Mapped[str | None] = mapped_column(Text)
    based_on: Mapped[int | None] = mapped_column(Integer)  # the version it was started from
    rolled_back_from: Mapped[int | None] = mapped_column(Integer)  # a rollback copies this version
    source: Mapped[str] = mapped_column(String(16), default="console")  # console | files | import
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class KbPublication(Base):
    """One rebuild of the search index from the published versions, and how it went."""

    __tablename__ = "kb_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), default=PublicationStatus.pending.value, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")  # e.g. "publish fievre-fr v3"
    requested_by: Mapped[str | None] = mapped_column(String(32))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    snapshot: Mapped[str | None] = mapped_column(String(200))
    entries: Mapped[int | None] = mapped_column(Integer)
    seconds: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
