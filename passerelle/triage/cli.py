"""`passerelle triage`: the triage verdict of messages as JSON, one object per line.

The output shape is a public contract (../shared/spec/CONTRACT.md): operators script it and the
evaluation harness reads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from passerelle.triage.verdicts import TriageVerdict


def verdict_json(text: str, verdict: TriageVerdict) -> dict[str, Any]:
    """The contract's JSON object for one message."""
    return {
        "text": text,
        "language": verdict.language,
        "urgent": verdict.urgency.urgent,
        "urgency_category": verdict.urgency.category,
        "myth": {"flagged": verdict.myth.flagged, "topic": verdict.myth.topic,
                 "score": verdict.myth.score},
    }


def triage_command(
    text: Annotated[str | None, typer.Argument(help="The message to triage.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON (the only format).")] = False,
    batch: Annotated[Path | None, typer.Option("--batch", help="JSON Lines with a text field.")] = None,
) -> None:
    """Triage messages (urgency, myth); one JSON object per message."""
    from knowledge_base.build import ensure_index
    from knowledge_base.search import Searcher
    from passerelle.cli import _emit, _inputs
    from passerelle.settings import get_settings
    from passerelle.triage.service import Triage

    settings = get_settings()
    texts, _ = _inputs(text, batch)
    report = ensure_index(settings.content_dir, settings, progress=False)
    triage = Triage(settings, Searcher(settings, index_root=report.index_root))
    _emit([verdict_json(message, triage.assess(message)) for message in texts])
