"""Live feedback while an editor types: what the person will receive, and how plain it reads.

Every check measures with the product's own functions (the SMS sender's segment counter, the
content rules' readability formula and allowed domains), so the editor sees the verdict that
`passerelle kb validate` and the phone will give. Results are codes and numbers; the router
turns them into catalogue sentences.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

from rapidfuzz import fuzz, process

from channels.sms import normalise as sms_normalise
from channels.sms import sizing
from knowledge_base.content_rules import readability, source_allowed
from passerelle.settings import Settings
from passerelle.text import fold
from passerelle.yaml_load import safe_load

_SENTENCE = re.compile(r"(?<=[.!?:])\s+|\n+")


@dataclass(frozen=True)
class Finding:
    """One thing to tell the editor about one field: `code` is a catalogue key, `values` fill it."""

    field: str
    level: str  # ok | warn | problem
    code: str
    values: dict[str, object] = dataclasses.field(default_factory=dict)


@cache
def _jargon(path: Path) -> dict[str, list[tuple[str, str, re.Pattern[str]]]]:
    data = safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {lang: [(str(item["word"]), str(item["plain"]), re.compile(rf"\b{re.escape(fold(str(item['word'])))}s?\b"))
                   for item in items] for lang, items in (data or {}).items()}


def jargon_in(text: str, language: str, settings: Settings) -> list[tuple[str, str]]:
    """(word, plainer wording) for each listed jargon word the text uses."""
    folded = fold(text)
    return [(word, plain) for word, plain, pattern in _jargon(settings.editor_jargon_file).get(language, [])
            if pattern.search(folded)]


def long_sentences(text: str, max_words: int) -> list[str]:
    """The sentences longer than `max_words` words (their start, to find them)."""
    return [" ".join(s.split()[:8]) + " …" for s in _SENTENCE.split(text) if len(s.split()) > max_words]


def check_sms(answer: str, settings: Settings) -> list[Finding]:
    """Length against the rule, and the encoding and segments it travels in."""
    sent = sms_normalise(answer.strip(), transliterate=settings.sms_transliterate_accents)
    size = sizing(sent)
    findings = [Finding("answer_sms", "ok" if size.segments <= settings.sms_max_segments else "warn", "fb_sms_size",
                        {"characters": len(answer.strip()), "segments": size.segments,
                         "encoding": "GSM-7" if size.encoding == "GSM-7" else "Unicode (UCS-2)"})]
    if len(answer.strip()) > settings.sms_max_chars:
        findings.append(Finding("answer_sms", "problem", "fb_sms_too_long",
                                {"characters": len(answer.strip()), "limit": settings.sms_max_chars}))
    return findings


def check_plain_language(name: str, text: str, language: str, settings: Settings) -> list[Finding]:
    """Readability score against the rule, long sentences, and jargon."""
    findings: list[Finding] = []
    if not text.strip():
        return findings
    score = readability(text, language)
    threshold = settings.readability_min.get(language)
    if score is not None:
        low = threshold is not None and score < threshold
        findings.append(Finding(name, "problem" if low and name == "answer_sms" else ("warn" if low else "ok"),
                                "fb_readability_low" if low else "fb_readability",
                                {"score": round(score), "threshold": round(threshold or 0)}))
    for sentence in long_sentences(text, settings.editor_long_sentence_words):
        findings.append(Finding(name, "warn", "fb_long_sentence",
                                {"sentence": sentence, "words": settings.editor_long_sentence_words}))
    for word, plain in jargon_in(text, language, settings):
        findings.append(Finding(name, "warn", "fb_jargon", {"word": word, "plain": plain}))
    return findings


def check_sources(sources: list[str], settings: Settings) -> list[Finding]:
    """Each source must be an https page on an allowed domain."""
    findings = []
    if not sources:
        findings.append(Finding("sources", "problem", "fb_source_missing"))
    for url in sources:
        parsed = urlparse(url)
        if not parsed.hostname or parsed.scheme not in ("http", "https"):
            findings.append(Finding("sources", "problem", "fb_source_broken", {"url": url}))
        elif not source_allowed(url, settings.allowed_source_domains):
            findings.append(Finding("sources", "problem", "fb_source_not_allowed",
                                    {"url": url, "host": parsed.hostname}))
    return findings


def check_duplicates(questions: list[str], others: list[tuple[str, str]], settings: Settings,
                     limit: int = 3) -> list[Finding]:
    """Questions that look like another entry's question (`others`: (entry id, question))."""
    if not others:
        return []
    folded = [fold(q) for _, q in others]
    findings = []
    for question in questions:
        matches = process.extract(fold(question), folded, scorer=fuzz.token_set_ratio,
                                  score_cutoff=settings.editor_duplicate_score, limit=limit)
        for _text, score, index in matches:
            entry_id, other = others[index]
            findings.append(Finding("questions", "warn", "fb_duplicate",
                                    {"question": question, "entry": entry_id, "other": other, "score": round(score)}))
    return findings


def check_draft(draft: dict[str, object], language: str, others: list[tuple[str, str]],
                settings: Settings) -> list[Finding]:
    """Every live check for a draft being typed (`draft` holds the form's fields)."""
    def text_of(name: str) -> str:
        return str(draft.get(name) or "")

    def lines_of(name: str) -> list[str]:
        return [line.strip() for line in text_of(name).splitlines() if line.strip()]

    findings = check_sms(text_of("answer_sms"), settings)
    findings += check_plain_language("answer_sms", text_of("answer_sms"), language, settings)
    long_answer = text_of("answer_long")
    if len(long_answer.strip()) > settings.long_max_chars:
        findings.append(Finding("answer_long", "problem", "fb_long_too_long",
                                {"characters": len(long_answer.strip()), "limit": settings.long_max_chars}))
    findings += check_plain_language("answer_long", long_answer, language, settings)
    questions = lines_of("questions")
    if len(questions) < settings.min_questions:
        findings.append(Finding("questions", "warn", "fb_few_questions",
                                {"count": len(questions), "minimum": settings.min_questions}))
    findings += check_duplicates(questions, others, settings)
    findings += check_sources(lines_of("sources"), settings)
    return findings
