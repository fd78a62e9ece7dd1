"""Bad input: any text, in any language and of any length, gets a verdict without a crash; a
language we do not serve still gets the French and English patterns and the 112 line."""

from __future__ import annotations

import random

import pytest

from knowledge_base.schema import URGENCY_CATEGORIES
from passerelle.language import SUPPORTED
from passerelle.triage import Triage, TriageVerdict

# Code point ranges a phone can send: Latin, Greek, Cyrillic, Hebrew and Arabic, Devanagari,
# CJK, emoji, lone surrogates, control characters, zero-width and direction marks, specials.
RANGES = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x4FF), (0x590, 0x6FF), (0x900, 0x97F),
          (0x4E00, 0x4FFF), (0x1F300, 0x1F64F), (0xD800, 0xDFFF), (0x0, 0x1F), (0x200B, 0x200F),
          (0xFFF0, 0xFFFF)]
LENGTHS = (1, 7, 60, 400, 5_000, 30_000)


def random_text(seed: int) -> str:
    """A reproducible jumble of scripts, junk and words, of one of `LENGTHS`."""
    rng = random.Random(seed)
    length = LENGTHS[seed % len(LENGTHS)]
    words = ("mourir", "poitrine", "vaccin", "autisme", "kill", "112", " ", "\n", "http://x.y/z")
    parts: list[str] = []
    while sum(map(len, parts)) < length:
        if rng.random() < 0.2:
            parts.append(rng.choice(words))
        else:
            low, high = rng.choice(RANGES)
            parts.append("".join(chr(rng.randint(low, high)) for _ in range(rng.randint(1, 12))))
    return "".join(parts)[:length]


def assert_consistent(verdict: TriageVerdict) -> None:
    """The verdict's fields agree with one another, as every reader of a verdict assumes."""
    assert verdict.urgency.urgent is (verdict.urgency.category is not None)
    assert verdict.urgency.category in (None, *URGENCY_CATEGORIES)
    assert verdict.myth.flagged is (verdict.myth.level == "correct")
    assert (verdict.myth.topic is None) is (verdict.myth.level == "none")
    assert 0.0 <= verdict.myth.score <= 1.0


@pytest.mark.parametrize("seed", range(24))
def test_random_text_gets_a_consistent_verdict(triage: Triage, seed: int) -> None:
    verdict = triage.assess(random_text(seed))
    assert_consistent(verdict)
    assert verdict.language in SUPPORTED


@pytest.mark.parametrize("text", [
    "Mein Vater hat seit gestern Husten, welcher Arzt hat am Sonntag geöffnet?",
    "Здравствуйте, как получить медицинскую страховку?",
    "我想预约一个医生，谢谢",
    "Merhaba, hastane randevusu nasıl alınır?",
    "नमस्ते, मुझे डॉक्टर से मिलना है",
    "שלום, איך מקבלים תור לרופא?",
    "ok", "?", "112", "...", "\u200f\u200e", "a" * 30_000,
])
def test_messages_in_any_language_get_a_verdict(triage: Triage, text: str) -> None:
    assert_consistent(triage.assess(text))


def test_a_wrong_type_from_a_caller_is_treated_as_an_empty_message(triage: Triage) -> None:
    verdict = triage.assess(None)  # type: ignore[arg-type]
    assert not verdict.urgency.urgent and verdict.myth.level == "none"


@pytest.mark.parametrize(("text", "category"), [
    ("Bitte Hilfe, my husband has chest pain and is sweating", "cardiac"),
    ("Hilfe!! je veux mourir ce soir", "suicide"),
    ("Mein Kind, he swallowed bleach", "poisoning"),
])
def test_a_language_we_do_not_serve_gets_the_french_and_english_patterns(triage: Triage, text: str,
                                                                         category: str) -> None:
    urgency = triage.assess(text, language="de").urgency
    assert (urgency.urgent, urgency.category) == (True, category)
    assert urgency.reason.startswith("pattern:")


@pytest.mark.parametrize("category", [*URGENCY_CATEGORIES, None])
def test_a_language_we_do_not_serve_gets_the_112_line(triage: Triage, category: str | None) -> None:
    entry = triage.urgent_entry(category, "de")
    assert entry is not None and "112" in entry.answer_sms
