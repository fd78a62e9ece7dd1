"""Sizing texts for SMS: GSM-7 or UCS-2 encoding, segment counts, and paging of long texts.

An SMS that needs more than a few segments costs more, arrives out of order on some phones, and
is hard to read on a basic handset. So a text longer than `max_segments` is cut into pages at
paragraph, sentence or word boundaries; every page but the last ends with the catalogue's "reply
MORE" hint, and the person asks for the next page with SUITE / MORE.

Counting follows 3GPP TS 23.038: a GSM-7 message holds 160 septets (153 per part once split, an
extension character costs two septets and is never split across parts); any other character
makes the whole message UCS-2, 70 UTF-16 units (67 per part, surrogate pairs kept whole).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# Typography that has a faithful GSM-7 equivalent: replacing it keeps a French text in GSM-7
# (160 characters a segment) instead of UCS-2 (70), and the text reads the same.
_TYPOGRAPHY = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2011": "-", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2026": "...",
})

# Letters of French, Spanish and Portuguese outside GSM-7, and their closest GSM-7 letter. Used
# only when it makes the whole text GSM-7: "reçu" -> "recu" is how many people write SMS anyway,
# and a 320-character answer then fits in 3 segments instead of needing 5.
_ACCENTS = str.maketrans({
    "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ë": "e", "ï": "i", "ÿ": "y", "ç": "c", "œ": "oe",
    "á": "a", "í": "i", "ó": "o", "ú": "u", "ã": "a", "õ": "o", "Â": "A", "Ê": "E", "Î": "I", "Ô": "O", "Û": "U",
    "Ë": "E", "Ï": "I", "À": "A", "È": "E", "Ù": "U", "Œ": "OE", "Á": "A", "Í": "I", "Ó": "O", "Ú": "U", "Ã": "A",
    "Õ": "O",
})

SINGLE = {"GSM-7": 160, "UCS-2": 70}
PART = {"GSM-7": 153, "UCS-2": 67}


@dataclass(frozen=True)
class Sizing:
    """How a text travels as SMS."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def normalise(text: str, transliterate: bool = False) -> str:
    """The text as it will be sent: typography made GSM-7, and accents too if that makes it all GSM-7."""
    text = text.translate(_TYPOGRAPHY)
    if transliterate and _unit_costs(text)[0] == "UCS-2":
        plain = text.translate(_ACCENTS)
        if _unit_costs(plain)[0] == "GSM-7":  # Arabic or an emoji keep UCS-2: then keep every accent
            return plain
    return text


def _unit_costs(text: str) -> tuple[str, list[int]]:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return "GSM-7", [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def sizing(text: str) -> Sizing:
    """Encoding, length in units and number of segments of `text` (already normalised)."""
    encoding, costs = _unit_costs(text)
    units = sum(costs)
    if units <= SINGLE[encoding]:
        return Sizing(encoding, units, 1 if text else 0)
    segments, filled = 1, 0
    for cost in costs:  # a character never straddles two parts
        if filled + cost > PART[encoding]:
            segments, filled = segments + 1, 0
        filled += cost
    return Sizing(encoding, units, segments)


def fits_sms(max_segments: int) -> Callable[[str], bool]:
    """A predicate: does a text travel in at most `max_segments` SMS segments."""
    return lambda text: sizing(text).segments <= max_segments


def fits_chars(max_chars: int) -> Callable[[str], bool]:
    """A predicate for channels limited by characters only (WhatsApp)."""
    return lambda text: len(text) <= max_chars


def _cut(text: str, limit: int) -> int:
    """Where to end a page of at most `limit` characters: paragraph, sentence, word, else hard."""
    if len(text) <= limit:
        return len(text)
    window = text[:limit]
    floor = limit // 2  # a boundary too early would waste most of the page
    for marks in (("\n",), (". ", "! ", "? ", ".\n"), (" ",)):
        best = max(window.rfind(mark) + len(mark) for mark in marks)
        if best - 1 >= floor:
            return best
    return limit


def paginate(text: str, hint: str, fits: Callable[[str], bool]) -> list[str]:
    """Cut `text` into pages that each `fits`; every page but the last ends with `hint`."""
    text = text.strip()
    if fits(text):
        return [text]
    pages: list[str] = []
    rest = text
    while not fits(rest):
        low, high = 1, len(rest)  # the longest prefix that still fits with the hint
        while low < high:
            middle = (low + high + 1) // 2
            if fits(f"{rest[:middle].rstrip()}\n{hint}"):
                low = middle
            else:
                high = middle - 1
        end = _cut(rest, low)
        pages.append(f"{rest[:end].rstrip()}\n{hint}")  # `rest` starts with a non-space: progress
        rest = rest[end:].lstrip()
    if rest:
        pages.append(rest)
    return pages
