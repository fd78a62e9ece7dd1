"""Checking `X-Twilio-Signature`: the request must come from Twilio, for the URL Twilio called.

Twilio signs the full URL it requested plus the POST parameters with the account's auth token.
Behind a reverse proxy the app sees another URL (http, an internal host), so the URL is rebuilt
from `public_base_url` when configured, else from X-Forwarded-Proto / X-Forwarded-Host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from twilio.request_validator import SIGNATURE_SETTINGS_HEADER, RequestValidator, get_signature_algorithm

from passerelle.secrets import local_secret
from passerelle.settings import Settings


def webhook_token(settings: Settings) -> str:
    """The token webhooks are signed with: the account's, else a local secret (nobody can sign)."""
    return settings.twilio_auth_token or local_secret(settings, "twilio_auth_token")


def _first(value: str | None) -> str | None:
    """The client-side value of a header a chain of proxies may have appended to."""
    return (value.split(",")[0].strip() or None) if value else None


def url_as_twilio_saw_it(request: Request, settings: Settings) -> str:
    """The URL Twilio requested, path and query included."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/") + path
    scheme = request.url.scheme
    host = request.headers.get("host") or request.url.netloc
    if settings.trust_forwarded_headers:
        scheme = _first(request.headers.get("x-forwarded-proto")) or scheme
        host = _first(request.headers.get("x-forwarded-host")) or host
    return f"{scheme}://{host}{path}"


class SignatureCheck:
    """Validates webhook signatures with the twilio library's own `RequestValidator`."""

    def __init__(self, token: str) -> None:
        self._validator = RequestValidator(token)

    def valid(self, url: str, params: Mapping[str, Any], headers: Mapping[str, str]) -> bool:
        """Whether the request carries a signature Twilio made for this URL and these parameters."""
        signature = headers.get("x-twilio-signature")
        if not signature:
            return False
        algorithm = get_signature_algorithm(headers.get(SIGNATURE_SETTINGS_HEADER.lower()))
        return bool(self._validator.validate(url, params, signature, algorithm))
