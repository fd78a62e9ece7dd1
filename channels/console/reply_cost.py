"""What a reply will cost the person, shown while the mediator types.

The sender (`channels/outbox.py`) normalises SMS typography and cuts a long text into pages the
person asks for with SUITE; the counter uses the same functions of `channels/sms.py`, so what a
mediator sees is what the phone receives.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.sms import fits_chars, fits_sms, normalise, paginate, sizing
from passerelle.messages import text
from passerelle.settings import Settings


@dataclass(frozen=True)
class ReplyCost:
    """Characters, SMS encoding and segments (SMS only), and pages the text is sent in."""

    characters: int
    encoding: str | None
    segments: int | None
    pages: int


def reply_cost(body: str, channel: str, language: str, settings: Settings) -> ReplyCost:
    """How `body` travels on `channel` (pages beyond the first wait for the person's SUITE)."""
    body = body.replace("\r\n", "\n").strip()
    if not body:
        return ReplyCost(0, None, 0 if channel == "sms" else None, 0)
    hint = text("more_hint", language)
    if channel == "sms":
        sent = normalise(body)
        size = sizing(sent)
        pages = paginate(sent, normalise(hint), fits_sms(settings.sms_max_segments))
        return ReplyCost(len(body), size.encoding, size.segments, len(pages))
    if channel == "whatsapp":
        return ReplyCost(len(body), None, None, len(paginate(body, hint, fits_chars(settings.whatsapp_max_chars))))
    return ReplyCost(len(body), None, None, 1)
