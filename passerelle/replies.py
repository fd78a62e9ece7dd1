"""Turning a vetted entry into the text a person receives.

Only entry text and catalogue text are ever sent: nothing here generates wording.
"""

from __future__ import annotations

from knowledge_base.schema import Entry
from passerelle.messages import text


def answer_text(entry: Entry, language: str, *, fallback: bool, long: bool = False) -> str:
    """The entry's answer (SMS or long form) with its public source, and a note if translated."""
    parts: list[str] = []
    if fallback:
        parts.append(text("fallback_note", language))
    parts.append(entry.answer_long if long else entry.answer_sms)
    if entry.sources:
        parts.append(text("source_line", entry.language, url=entry.sources[0]))
    return "\n".join(parts)
