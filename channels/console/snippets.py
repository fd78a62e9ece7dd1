"""Vetted knowledge-base answers a mediator can insert into a reply, found by the same search.

Only published, vetted entries are offered, with their source line, exactly as the bot would
send them: a mediator quoting the knowledge base says what the editors approved.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge_base.schema import Entry
from knowledge_base.search import Searcher
from passerelle.replies import answer_text


@dataclass(frozen=True)
class Snippet:
    """One entry ready to insert."""

    id: str
    topic: str
    version: int
    title: str
    language: str
    text: str


def find_snippets(searcher: Searcher | None, query: str, language: str, limit: int) -> list[Snippet]:
    """The best vetted answers for `query`, in `language` when the entry exists in it."""
    if searcher is None or not query.strip():
        return []
    try:
        result = searcher.search(query, language=language, top_k=limit)
        by_id: dict[str, Entry] = {e.id: e for e in searcher.snapshot.entries}
    except FileNotFoundError:  # no index built yet: the console works, without suggestions
        return []
    snippets = []
    for hit in result.hits:
        entry = by_id.get(hit.id)
        if entry is None or not entry.is_live or not entry.vetted:
            continue
        snippets.append(Snippet(id=entry.id, topic=entry.topic, version=entry.version, title=entry.title,
                                language=entry.language,
                                text=answer_text(entry, language, fallback=entry.language != language)))
    return snippets
