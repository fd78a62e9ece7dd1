"""The shape of a knowledge-base entry, shared by loading, search, the CLI and the consoles.

The schema checks structure only (types, required fields, known enums), so that an imported
third-party FAQ with short answers still loads. The editorial rules (lengths, number of
questions, allowed source domains, readability, review dates) live in `content_rules.py` and are
enforced by `passerelle kb validate`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANGUAGES: tuple[str, ...] = ("fr", "en", "ar", "es", "pt")
URGENCY_CATEGORIES: tuple[str, ...] = (
    "suicide",
    "cardiac",
    "stroke",
    "breathing",
    "poisoning",
    "violence",
    "child_danger",
    "allergy",
    "pregnancy",
    "bleeding",
)


class Kind(StrEnum):
    """What an entry is for; drives triage and how the answer is framed."""

    service = "service"
    health = "health"
    urgent = "urgent"
    myth = "myth"


class Status(StrEnum):
    """Editorial life cycle. Only `published` entries are ever sent to citizens."""

    draft = "draft"
    in_review = "in_review"
    published = "published"
    archived = "archived"


class Entry(BaseModel):
    """One vetted answer in one language."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    topic: str = Field(min_length=1, max_length=120)
    kind: Kind = Kind.service
    language: str = Field(min_length=2, max_length=8)
    title: str = Field(min_length=1, max_length=200)
    questions: list[str] = Field(default_factory=list)
    answer_sms: str = Field(min_length=1)
    answer_long: str = Field(min_length=1)
    sources: list[str] = Field(default_factory=list)
    reviewed_by: str | None = None
    reviewed_on: dt.date | None = None
    review_due: dt.date | None = None
    status: Status = Status.draft
    version: int = Field(default=1, ge=1)
    vetted: bool = True
    machine_assisted: bool = False
    # myth entries
    claims: list[str] = Field(default_factory=list)
    verdict: Literal["false", "misleading", "unproven"] | None = None
    # urgent entries
    urgency_categories: list[str] = Field(default_factory=list)
    emergency_numbers: list[str] = Field(default_factory=list)

    @field_validator("questions", "claims", "sources", "emergency_numbers")
    @classmethod
    def _no_blank_items(cls, items: list[str]) -> list[str]:
        cleaned = [str(item).strip() for item in items]
        if any(not item for item in cleaned):
            raise ValueError("contains an empty item")
        return cleaned

    @field_validator("urgency_categories")
    @classmethod
    def _known_categories(cls, items: list[str]) -> list[str]:
        unknown = [item for item in items if item not in URGENCY_CATEGORIES]
        if unknown:
            raise ValueError(f"unknown urgency categories {unknown}; known: {URGENCY_CATEGORIES}")
        return items

    @model_validator(mode="after")
    def _kind_specific_fields(self) -> Entry:
        if self.kind is Kind.myth and self.verdict is None:
            raise ValueError("a myth entry needs a verdict (false, misleading or unproven)")
        return self

    @property
    def is_live(self) -> bool:
        """Whether the assistant may send this entry to a citizen."""
        return self.status is Status.published

    def search_texts(self) -> list[str]:
        """The texts an entry is found by: its title, every question, its claims and its answer."""
        return [self.title, *self.questions, *self.claims, self.answer_sms]


class SearchHit(BaseModel):
    """One ranked result of a knowledge-base search."""

    id: str
    topic: str
    title: str
    score: float
    language: str
    kind: Kind
