"""The editorial rules that `passerelle kb validate` enforces on vetted content.

Structure is the schema's job; these are the rules an editor must meet before an answer may be
sent to a citizen: enough ways of asking, SMS-sized plain answers, official sources only,
review dates kept, every required topic covered in French and English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlparse

import textstat

from knowledge_base.loader import ContentProblem
from knowledge_base.schema import Entry, Kind
from passerelle.settings import Settings
from passerelle.yaml_load import safe_load

REQUIRED_LANGUAGES = ("fr", "en")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def load_topics(path: Path) -> dict[str, dict[str, str]]:
    """The topic list (`id` -> its kind, title and scope)."""
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    return {t["id"]: t for t in data.get("topics", [])}


def source_allowed(url: str, allowed: Sequence[str]) -> bool:
    """Whether `url` is an https page on an allowed domain or one of its subdomains."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    return parsed.scheme == "https" and any(host == d or host.endswith("." + d) for d in allowed)


def readability(text: str, language: str) -> float | None:
    """Flesch reading ease adapted to the language (textstat), or None where it has no formula."""
    if language not in {"fr", "en", "es", "pt"}:
        return None
    textstat.set_lang(language)
    return float(textstat.flesch_reading_ease(text))


def check_entry(entry: Entry, where: str, settings: Settings, topics: dict[str, dict[str, str]],
                today: dt.date | None = None) -> list[ContentProblem]:
    """Every editorial rule one entry breaks."""
    today = today or dt.date.today()
    problems: list[ContentProblem] = []

    def bad(field: str, message: str) -> None:
        problems.append(ContentProblem(where, field, message))

    if not entry.vetted:
        bad("vetted", "imported entry not yet reviewed by an editor")
    if entry.topic not in topics:
        bad("topic", f"unknown topic {entry.topic!r}")
    elif topics[entry.topic].get("kind") != entry.kind.value:
        bad("kind", f"topic {entry.topic!r} is of kind {topics[entry.topic].get('kind')!r}")
    if entry.language not in settings.languages:
        bad("language", f"{entry.language!r} is not one of {settings.languages}")
    if len(entry.questions) < settings.min_questions:
        bad("questions", f"{len(entry.questions)} questions, at least {settings.min_questions} needed")
    if len(entry.answer_sms) > settings.sms_max_chars:
        bad("answer_sms", f"{len(entry.answer_sms)} characters, at most {settings.sms_max_chars}")
    if len(entry.answer_long) > settings.long_max_chars:
        bad("answer_long", f"{len(entry.answer_long)} characters, at most {settings.long_max_chars}")
    if not entry.sources:
        bad("sources", "at least one public source is needed")
    for url in entry.sources:
        if not source_allowed(url, settings.allowed_source_domains):
            bad("sources", f"{url} is not an https page on an allowed domain")
    if entry.is_live:
        if not entry.reviewed_by or not entry.reviewed_on:
            bad("reviewed_by", "a published entry needs a reviewer and a review date")
        if entry.review_due is None:
            bad("review_due", "a published entry needs a review due date")
        elif entry.review_due < today:
            bad("review_due", f"review was due on {entry.review_due.isoformat()}")
    if entry.kind is Kind.myth and len(entry.claims) < settings.min_claims:
        bad("claims", f"{len(entry.claims)} claims, at least {settings.min_claims} needed")
    if entry.kind is Kind.urgent:
        if not entry.emergency_numbers:
            bad("emergency_numbers", "an urgent entry names the numbers to call")
        elif not any(n in entry.answer_sms[:60] for n in entry.emergency_numbers):
            bad("answer_sms", "an urgent answer starts with the number to call")
    threshold = settings.readability_min.get(entry.language)
    if threshold is not None:
        score = readability(entry.answer_sms, entry.language)
        if score is not None and score < threshold:
            bad("answer_sms", f"readability {score:.0f} under {threshold:.0f}: shorter sentences, simpler words")
    return problems


def check_corpus(entries: Iterable[Entry], paths: dict[str, str],
                 topics: dict[str, dict[str, str]]) -> list[ContentProblem]:
    """Rules across entries: ids match files, each topic published in French and English."""
    problems: list[ContentProblem] = []
    published: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        where = paths.get(entry.id, entry.id)
        expected = f"{entry.topic}-{entry.language}"
        if entry.id != expected:
            problems.append(ContentProblem(where, "id", f"should be {expected!r} (<topic>-<language>)"))
        path = Path(where)
        if path.suffix in {".yaml", ".yml"} and (path.parent.name, path.stem) != (entry.language, entry.topic):
            problems.append(ContentProblem(where, "-", f"file should be {entry.language}/{entry.topic}.yaml"))
        if entry.is_live:
            published[entry.topic].add(entry.language)
    for topic in topics:
        missing = [lang for lang in REQUIRED_LANGUAGES if lang not in published.get(topic, set())]
        if missing:
            problems.append(ContentProblem("knowledge_base/topics.yaml", topic,
                                           f"no published entry in {', '.join(missing)}"))
    return problems
