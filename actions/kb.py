"""The action server's handles on the shared libraries, created once per process.

The searcher checks for a newly published index before every search, so an editor's change is
live within seconds without restarting the action server.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from knowledge_base.search import Searcher
from passerelle.language import detect_language
from passerelle.settings import get_settings


@lru_cache(maxsize=1)
def searcher() -> Searcher:
    """The process-wide searcher over the shipped knowledge base."""
    return Searcher(get_settings())


def fresh_searcher() -> Searcher:
    """The searcher, after swapping to a newer index if one was published."""
    current = searcher()
    current.reload_if_changed()
    return current


def message_language(metadata: dict[str, Any], text: str, previous: str | None) -> str:
    """The language the gateway decided on, or our own detection when Rasa is used directly."""
    language = metadata.get("language") if isinstance(metadata, dict) else None
    if isinstance(language, str) and language:
        return language
    return detect_language(text, previous=previous, default=get_settings().default_language).language


def wants_long_answers(metadata: dict[str, Any]) -> bool:
    """WhatsApp shows the long form; SMS and the simulator (which shows what a phone gets) the SMS form."""
    return isinstance(metadata, dict) and metadata.get("channel") == "whatsapp"
