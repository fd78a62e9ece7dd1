"""The message catalogue: every text the assistant, the gateway and the consoles show a person.

One YAML file per language (`fr.yaml`, `en.yaml`, ...). French is complete and is the fallback
for any key another language lacks, so a missing translation degrades to French, never to a
crash or to an empty SMS.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from passerelle.yaml_load import safe_load

_DIR = Path(__file__).parent
FALLBACK = "fr"


@cache
def _catalogue(language: str) -> dict[str, str]:
    path = _DIR / f"{language}.yaml"
    if not path.exists():
        return {}
    data: dict[str, str] = safe_load(path.read_text(encoding="utf-8")) or {}
    return data


def available_languages() -> list[str]:
    """Languages that have a catalogue file."""
    return sorted(p.stem for p in _DIR.glob("*.yaml"))


def text(key: str, language: str, **values: Any) -> str:
    """The catalogue text for `key` in `language` (French if missing), formatted with `values`."""
    template = _catalogue(language).get(key) or _catalogue(FALLBACK).get(key)
    if template is None:
        raise KeyError(f"message {key!r} is missing from the French catalogue")
    return template.format(**values) if values else template
