"""The consoles' own catalogue of interface texts (French, English), apart from citizens' texts.

French is complete and is the fallback, like the citizens' catalogue; templates and scripts
only ever show text that comes from here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from passerelle.yaml_load import safe_load

_DIR = Path(__file__).parent / "messages"
UI_LANGUAGES: tuple[str, ...] = ("fr", "en")
FALLBACK = "fr"


@cache
def catalogue(language: str) -> dict[str, str]:
    """Every interface text of one language (empty if the language has no file)."""
    if language not in UI_LANGUAGES:
        return {}
    data: dict[str, str] = {}
    # The mediator console's file, then one per other console in a subfolder (content/).
    for path in [_DIR / f"{language}.yaml", *sorted(_DIR.glob(f"*/{language}.yaml"))]:
        if path.exists():
            data.update(safe_load(path.read_text(encoding="utf-8")) or {})
    return data


def pick_language(value: str | None) -> str:
    """A supported interface language, French otherwise."""
    return value if value in UI_LANGUAGES else FALLBACK


def ui_text(key: str, language: str, **values: Any) -> str:
    """The interface text for `key` (French if this language lacks it), formatted with `values`."""
    template = catalogue(language).get(key) or catalogue(FALLBACK).get(key)
    if template is None:
        raise KeyError(f"console text {key!r} is missing from the French catalogue")
    return template.format(**values) if values else template


def ui_label(prefix: str, value: str | None, language: str) -> str:
    """The label of a coded value (a reason, a category...), or the code itself if it has none."""
    if not value:
        return ""
    key = f"{prefix}_{value}"
    if key in catalogue(language) or key in catalogue(FALLBACK):
        return ui_text(key, language)
    return value
