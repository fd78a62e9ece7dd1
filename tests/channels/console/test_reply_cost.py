"""The reply counter measures the text as the sender will send it (channels/sms.py)."""

from __future__ import annotations

import pytest

from channels.console.reply_cost import reply_cost
from passerelle.settings import Settings


@pytest.fixture()
def settings() -> Settings:
    return Settings(sms_max_segments=3)


@pytest.mark.parametrize(("body", "encoding", "segments"), [
    ("a" * 160, "GSM-7", 1), ("a" * 161, "GSM-7", 2), ("é" * 160, "GSM-7", 1),
    ("[" * 80, "GSM-7", 1), ("[" * 81, "GSM-7", 2),  # extension characters take two septets
    ("l’hôpital", "UCS-2", 1),  # ô is not GSM-7
    ("C’est « bon » – d’accord", "GSM-7", 1),  # typography the sender normalises
    ("ok 😀" + "a" * 66, "UCS-2", 2),  # an emoji makes it Unicode: 70 units per SMS
])
def test_sms_encoding_and_segments(settings: Settings, body: str, encoding: str, segments: int) -> None:
    cost = reply_cost(body, "sms", "fr", settings)
    assert (cost.encoding, cost.segments, cost.pages) == (encoding, segments, 1)


def test_a_long_sms_is_sent_in_pages(settings: Settings) -> None:
    cost = reply_cost("Bonjour. " * 100, "sms", "fr", settings)
    assert cost.segments is not None and cost.segments > 3 and cost.pages > 1


def test_whatsapp_and_web_count_characters_only(settings: Settings) -> None:
    assert reply_cost("Bonjour 😀", "whatsapp", "fr", settings).segments is None
    assert reply_cost("x" * 2000, "whatsapp", "fr", settings).pages == 2
    assert reply_cost("x" * 2000, "web", "fr", settings).pages == 1


def test_an_empty_reply_costs_nothing(settings: Settings) -> None:
    assert reply_cost(" \r\n ", "sms", "fr", settings).segments == 0
    assert reply_cost("", "web", "fr", settings).pages == 0
