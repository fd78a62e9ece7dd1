"""End-to-end journeys through the running stack: does each conversation reach its goal?

Every journey of evaluation/data/journeys.yaml is played by a new sender against
`POST /api/simulate`, the exact path an SMS takes (gateway, triage, Rasa, actions, knowledge
base). Expected replies are named, not copied: a topic's vetted answer or a catalogue message in
a language, compared after folding (case, accents, punctuation), so rewording the content does
not break the journeys while a wrong answer, a wrong language or a missing handoff does.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from knowledge_base.schema import Entry
from passerelle.messages import text
from passerelle.settings import Settings
from passerelle.text import fold
from passerelle.yaml_load import safe_load

JOURNEYS = Path(__file__).resolve().parent / "data" / "journeys.yaml"
COMPARED_CHARS = 50


def load_journeys(path: Path = JOURNEYS) -> list[dict[str, Any]]:
    """The journeys, each `{name, kind, lang, turns: [{say, expect}]}`."""
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    return list(data.get("journeys", []))


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class Expectations:
    """Turns a turn's expectation into the texts one of the replies must start like."""

    def __init__(self, entries: list[Entry], settings: Settings) -> None:
        self.settings = settings
        self.answers: dict[tuple[str, str], str] = {(e.topic, e.language): e.answer_sms for e in entries if e.is_live}

    def _answer(self, topic: str, language: str) -> str:
        for lang in (language, "fr", "en"):  # the assistant's own fallback order
            if (topic, lang) in self.answers:
                return self.answers[(topic, lang)]
        raise KeyError(f"journeys name an unknown topic {topic!r}")

    def _catalogue(self, key: str, language: str) -> str:
        return text(key, language, minutes=self.settings.mediator_target_minutes, hours=self.settings.working_hours)

    def check(self, replies: list[str], expect: dict[str, Any], language: str) -> tuple[bool, str]:
        """Whether `replies` meet `expect`, and what was expected (for the report)."""
        lang = expect.get("lang", language)
        if expect.get("silent"):
            return not replies, "no reply"
        if "answer" in expect:
            wanted = {f"answer {t} ({lang})": self._answer(t, lang) for t in _as_list(expect["answer"])}
        else:
            wanted = {f"message {k} ({lang})": self._catalogue(k, lang) for k in _as_list(expect["catalogue"])}
        received = fold(" ".join(replies))
        for label, expected in wanted.items():
            if fold(expected)[:COMPARED_CHARS] in received:
                return True, label
        return False, " or ".join(wanted)


def play(base_url: str, journeys: list[dict[str, Any]], expectations: Expectations,
         timeout_s: float = 120.0) -> dict[str, Any]:
    """Play every journey; success per journey and per kind, turns, and reply latency."""
    results: list[dict[str, Any]] = []
    latencies: list[float] = []
    with httpx.Client(base_url=base_url, timeout=timeout_s) as client:
        for journey in journeys:
            sender = f"eval-{journey['name']}-{uuid.uuid4().hex[:8]}"
            outcome: dict[str, Any] = {"name": journey["name"], "kind": journey["kind"], "lang": journey["lang"],
                                       "turns": len(journey["turns"]), "ok": True, "failed_turn": None}
            for number, turn in enumerate(journey["turns"], start=1):
                started = time.perf_counter()
                response = client.post("/api/simulate", json={"sender": sender, "text": turn["say"]})
                latencies.append((time.perf_counter() - started) * 1000)
                replies = response.json().get("replies", []) if response.status_code == 200 else []
                ok, expected = expectations.check(replies, turn["expect"], journey["lang"])
                if not ok or response.status_code != 200:
                    outcome.update(ok=False, failed_turn=number, said=turn["say"], expected=expected,
                                   got=replies, status=response.status_code)
                    break
            results.append(outcome)
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for outcome in results:
        by_kind[outcome["kind"]].append(outcome)
    return {
        "success_rate": sum(r["ok"] for r in results) / max(len(results), 1),
        "journeys": len(results),
        "turns": sum(r["turns"] for r in results),
        "by_kind": {kind: {"journeys": len(rows), "succeeded": sum(r["ok"] for r in rows),
                           "success_rate": sum(r["ok"] for r in rows) / len(rows),
                           "mean_turns": statistics.fmean(r["turns"] for r in rows)}
                    for kind, rows in by_kind.items()},
        "reply_ms_p50": round(statistics.median(latencies), 1) if latencies else None,
        "results": results,
    }
