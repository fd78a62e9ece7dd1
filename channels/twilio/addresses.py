"""Phone numbers as Twilio writes them: E.164 for SMS, `whatsapp:` + E.164 for WhatsApp."""

from __future__ import annotations

import re

from passerelle.settings import Settings

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
WHATSAPP = "whatsapp:"


def number_of(address: str) -> str:
    """The bare E.164 number of an SMS or WhatsApp address."""
    return address.strip().removeprefix(WHATSAPP).replace(" ", "")


def valid_address(address: str, channel: str) -> bool:
    """Whether `address` is a well-formed address on `channel` (no `whatsapp:` on SMS, and the reverse)."""
    if (channel == "whatsapp") != address.startswith(WHATSAPP):
        return False
    return bool(E164.match(address.removeprefix(WHATSAPP)))


def address_for(channel: str, number: str) -> str:
    """How Twilio expects `number` on `channel`."""
    return f"{WHATSAPP}{number}" if channel == "whatsapp" else number


def our_numbers(settings: Settings, channel: str) -> list[str]:
    """This service's numbers on `channel`, bare E.164, in configured order."""
    numbers = settings.twilio_whatsapp_numbers if channel == "whatsapp" else settings.twilio_sms_numbers
    return [number_of(n) for n in numbers]
