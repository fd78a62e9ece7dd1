import logging

import pytest

from passerelle.log_redaction import RedactingFilter, redact


@pytest.mark.parametrize(("raw", "secret"), [
    ("from +33612345678", "+33612345678"),
    ("from whatsapp:+33612345678", "33612345678"),
    ("tel 06 12 34 56 78 svp", "06 12 34 56 78"),
    ("tel 06.12.34.56.78", "06.12.34.56.78"),
    ("call 0033 6 12 34 56 78", "6 12 34 56 78"),
    ("uk +44 7700 900123", "7700 900123"),
    ("mail jean.dupont+sante@example.org", "jean.dupont"),
    ("nir 1 85 05 78 006 084 36", "78 006 084"),
    ("nir 185057800608436", "185057800608436"),
    ("corse 2 91 12 2A 123 456 78", "2A 123 456"),
    ("vitale serial 123456789012", "123456789012"),
    ('POST http://127.0.0.1:5005/conversations/x/tracker/events?token=s3cr3t-T0ken&include_events=NONE', "s3cr3t"),
])
def test_personal_identifiers_are_removed(raw: str, secret: str) -> None:
    assert secret not in redact(raw)


@pytest.mark.parametrize("harmless", ["3114", "appelez le 15", "version 3.6.21", "latency 123 ms", "id 4f2a9c"])
def test_short_numbers_and_ids_survive(harmless: str) -> None:
    assert redact(harmless) == harmless


def test_filter_redacts_formatted_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    handler_filter = RedactingFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        logger.warning("message from %s about %s", "+33612345678", "a@b.fr")
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert "+33612345678" not in caplog.text and "a@b.fr" not in caplog.text and "[phone]" in caplog.text
