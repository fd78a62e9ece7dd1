"""Secrets for the embedded set-up: generated once into `var/secrets.json` (mode 0600).

Production sets them through the environment (`PASSERELLE_PSEUDONYM_KEY`, `PASSERELLE_RASA_TOKEN`,
...); nothing secret is ever in the repository.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from passerelle.settings import Settings


def local_secret(settings: Settings, name: str) -> str:
    """The named secret from `var/secrets.json`, created on first use."""
    path: Path = settings.data_dir / "secrets.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if name not in stored:
        stored[name] = secrets.token_urlsafe(32)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stored))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    return stored[name]


def pseudonym_key(settings: Settings) -> str:
    """The key of the keyed hash that stands for phone numbers in transcripts."""
    return settings.pseudonym_key or local_secret(settings, "pseudonym_key")


def rasa_token(settings: Settings) -> str:
    """The token protecting Rasa's HTTP API."""
    return settings.rasa_token or local_secret(settings, "rasa_token")


def pseudonymise(address: str, key: str) -> str:
    """HMAC-SHA256 of a normalised address: stable per person, useless without the key."""
    normalised = address.strip().lower().removeprefix("whatsapp:").replace(" ", "")
    return hmac.new(key.encode(), normalised.encode(), hashlib.sha256).hexdigest()
