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


def suggestion_text(titles: list[str], language: str, max_chars: int) -> tuple[str, int]:
    """The numbered list of suggested topics and how many of `titles` it holds.

    The list must stay one short SMS like an answer (`max_chars`, the answers' rule): the last
    titles are dropped until it fits, never the first.
    """
    for count in range(min(len(titles), 3), 0, -1):
        lines = [text("suggest_item", language, number=n, title=title) for n, title in enumerate(titles[:count], 1)]
        reply = text(f"suggest_{count}", language, topics="\n".join(lines))
        if len(reply) <= max_chars or count == 1:
            return reply, count
    raise ValueError("no title to suggest")
