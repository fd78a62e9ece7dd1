"""A logging filter that removes personal data from every log line, in every process.

Our code logs ids, counts and hashes, never message text; this filter is the safety net for
what libraries and mistakes may print: phone numbers (French and international, WhatsApp
addresses), e-mail addresses, French social security numbers (NIR, also the carte Vitale
number) and any other long digit run. Standard library only, so that the Rasa process (its own
Python 3.10 environment) can load it from the repository too.
"""

from __future__ import annotations

import logging
import re

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # secrets in URLs that HTTP clients log (Rasa's API token)
    (re.compile(r"((?:token|auth_token|password|key)=)[^&\s\"']+", re.IGNORECASE), r"\1[secret]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # NIR: sex, year, month, department (2A/2B for Corsica), commune, order, optional key.
    (re.compile(r"\b[12][ .]?\d{2}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{2}|2[AB])[ .]?\d{3}[ .]?\d{3}"
                r"(?:[ .]?\d{2})?\b", re.IGNORECASE), "[nir]"),
    (re.compile(r"(?:whatsapp:)?\+\d[\d .-]{7,16}\d"), "[phone]"),
    (re.compile(r"\b0[1-9](?:[ .-]?\d{2}){4}\b"), "[phone]"),
    (re.compile(r"\b(?:00|\+)?33[ .-]?[1-9](?:[ .-]?\d{2}){4}\b"), "[phone]"),
    (re.compile(r"\b\d{9,}\b"), "[number]"),
)


def redact(text: str) -> str:
    """`text` with personal identifiers replaced by placeholders."""
    for pattern, placeholder in _RULES:
        text = pattern.sub(placeholder, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record's message once, redacted, so no handler ever sees the raw values."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is still logged, redacted
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(level: int = logging.INFO) -> None:
    """Attach the filter to every handler of the root logger (and add one if there is none)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
