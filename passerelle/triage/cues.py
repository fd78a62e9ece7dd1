"""How a health message is meant: passed-on rumour, stated claim or sincere question.

The phrases live in `claim_cues.yaml` (see its header); this module compiles one regex per
section so that a message costs three searches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from passerelle.text import normalise
from passerelle.yaml_load import safe_load

CUES_FILE = Path(__file__).with_name("claim_cues.yaml")
MAX_ASSERTIONS_COUNTED = 2  # beyond two causal verbs a message is no more of a claim


@dataclass(frozen=True)
class CueReading:
    """The cues found in one message."""

    rumour: bool  # hearsay, conspiracy, call to share, or a shared link
    assertions: int  # causal or curative verbs stated as fact, capped
    sincere: bool  # an information-seeking question


def _section(items_by_language: dict[str, list[str]]) -> re.Pattern[str]:
    parts = [item for items in items_by_language.values() for item in items]
    return re.compile("|".join(f"(?:(?<!\\w)(?:{part})(?!\\w))" for part in parts))


class ClaimCues:
    """The compiled cue phrases of one file."""

    def __init__(self, path: Path = CUES_FILE) -> None:
        data = safe_load(path.read_text(encoding="utf-8"))
        self._rumour = _section(data["rumour"])
        self._links = re.compile("|".join(data["links"]), re.IGNORECASE)
        self._assertion = _section(data["assertion"])
        self._sincere = _section(data["sincere"])

    def read(self, text: str) -> CueReading:
        folded = normalise(text)
        return CueReading(
            rumour=bool(self._rumour.search(folded) or self._links.search(text)),
            assertions=min(len(self._assertion.findall(folded)), MAX_ASSERTIONS_COUNTED),
            sincere=bool(self._sincere.search(folded)),
        )


@lru_cache(maxsize=2)
def load_cues(path: Path = CUES_FILE) -> ClaimCues:
    """The cues of `path`, compiled once per process."""
    return ClaimCues(path)
