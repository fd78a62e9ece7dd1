"""Plain language and SMS cost of the shipped answers, exactly as a person receives them.

Readability is the content rules' own measure (Flesch reading ease adapted per language,
`knowledge_base.content_rules.readability`; none exists for Arabic). The SMS count is that of the
text sent (answer + source line, typography and accents made GSM-7 as the channel does), counted
by the SMS channel's own GSM-7 / UCS-2 segment rules (`channels/sms.py`).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any

from channels.sms import normalise, sizing
from knowledge_base.content_rules import readability
from knowledge_base.schema import Entry
from passerelle.replies import answer_text
from passerelle.settings import Settings


def answer_rows(entries: list[Entry], *, transliterate: bool) -> list[dict[str, Any]]:
    """One row per live entry: its readability and how its SMS answer travels.

    `transliterate` is the channel's setting (`sms_transliterate_accents`): with it, accents
    outside GSM-7 (ê, ç, ô...) are dropped when that keeps the whole text in GSM-7.
    """
    rows = []
    for entry in entries:
        if not entry.is_live:
            continue
        sent = sizing(normalise(answer_text(entry, entry.language, fallback=False), transliterate))
        rows.append({"id": entry.id, "language": entry.language, "kind": entry.kind.value,
                     "readability": readability(entry.answer_sms, entry.language),
                     "encoding": sent.encoding, "segments": sent.segments, "units": sent.units})
    return rows


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summarise(rows: list[dict[str, Any]], settings: Settings) -> dict[str, Any]:
    """Per language: readability spread and share under the content rules' floor; SMS segments."""
    by_language: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_language[row["language"]].append(row)
    out: dict[str, Any] = {}
    for language, group in sorted(by_language.items(), key=lambda item: (-len(item[1]), item[0])):
        scores = [r["readability"] for r in group if r["readability"] is not None]
        floor = settings.readability_min.get(language)
        segments = Counter(r["segments"] for r in group)
        out[language] = {
            "answers": len(group),
            "readability": {
                "median": round(statistics.median(scores), 1), "p10": round(_quantile(scores, 0.1), 1),
                "min": round(min(scores), 1), "max": round(max(scores), 1),
                "floor": floor,
                "under_floor": sum(s < floor for s in scores) if floor is not None else None,
            } if scores else None,
            "segments": {str(k): segments[k] for k in sorted(segments)},
            "mean_segments": round(statistics.fmean(r["segments"] for r in group), 2),
            "gsm7_share": round(sum(r["encoding"] == "GSM-7" for r in group) / len(group), 3),
            "over_max_segments": sum(r["segments"] > settings.sms_max_segments for r in group),
        }
    return {"languages": out, "max_segments": settings.sms_max_segments,
            "worst": sorted(rows, key=lambda r: -r["segments"])[:5], "rows": rows}
