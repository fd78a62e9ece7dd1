"""Twilio's REST API for outbound messages, with failures sorted by what the sender may do next.

- `TwilioRetryable`: the message was certainly not accepted (5xx, 429, connection refused):
  send again later.
- `TwilioUncertain`: the request may have reached Twilio (read timeout, connection dropped):
  sending again could duplicate it, so the sender first looks for it among recent messages.
- `TwilioRejected`: a 4xx with Twilio's error code (invalid number, unsubscribed...): final.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import MaxRetryError, NewConnectionError

from passerelle.settings import Settings

# The twilio library logs request parameters (phone numbers) at INFO: keep its logger quiet.
_http_log = logging.getLogger("channels.twilio.http")
_http_log.setLevel(logging.WARNING)

UNSUBSCRIBED = 21610  # the person sent STOP to Twilio itself (Advanced Opt-Out)


class TwilioRetryable(Exception):
    """Not accepted by Twilio; safe to send again."""


class TwilioUncertain(Exception):
    """Maybe accepted by Twilio; look before sending again."""


class TwilioRejected(Exception):
    """Refused for good (4xx); `code` is Twilio's error code."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"HTTP {status} code {code}: {message}")
        self.status = status
        self.code = code


@dataclass(frozen=True)
class RemoteMessage:
    """A message as Twilio's list API reports it."""

    sid: str
    body: str
    created: dt.datetime | None


def _refused(exc: requests.ConnectionError) -> bool:
    """Whether the connection itself failed, so no byte of the request reached Twilio."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, MaxRetryError) and isinstance(reason.reason, NewConnectionError)


class TwilioRest:
    """The twilio `Client`, pointed at `twilio_api_base_url` (Twilio itself, or a local fake)."""

    def __init__(self, settings: Settings) -> None:
        http = TwilioHttpClient(timeout=settings.twilio_timeout_s, logger=_http_log)
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
        self.client.api.base_url = settings.twilio_api_base_url.rstrip("/")

    def send(self, to: str, from_: str, body: str | None = None, content_sid: str | None = None,
             status_callback: str | None = None) -> str:
        """Create one message; returns its SID."""
        try:
            if content_sid:
                created = self.client.messages.create(to=to, from_=from_, content_sid=content_sid,
                                                      status_callback=status_callback)
            else:
                created = self.client.messages.create(to=to, from_=from_, body=body, status_callback=status_callback)
        except TwilioRestException as exc:
            if exc.status >= 500 or exc.status == 429:
                raise TwilioRetryable(f"HTTP {exc.status}") from exc
            raise TwilioRejected(exc.status, exc.code, str(exc.msg)[:200]) from exc
        except requests.ConnectionError as exc:
            if _refused(exc):
                raise TwilioRetryable(type(exc).__name__) from exc
            raise TwilioUncertain(type(exc).__name__) from exc
        except requests.Timeout as exc:  # read timeout: the request was sent
            raise TwilioUncertain(type(exc).__name__) from exc
        except requests.RequestException as exc:
            raise TwilioUncertain(type(exc).__name__) from exc
        if not created.sid:
            raise TwilioUncertain("no sid in Twilio's answer")
        return created.sid

    def recent(self, to: str, from_: str, limit: int = 20) -> list[RemoteMessage]:
        """The latest messages from `from_` to `to`, newest first; raises `TwilioRetryable` on failure."""
        try:
            found = self.client.messages.list(to=to, from_=from_, limit=limit)
        except (TwilioException, requests.RequestException) as exc:
            raise TwilioRetryable(type(exc).__name__) from exc
        return [RemoteMessage(m.sid or "", m.body or "", m.date_created) for m in found]
