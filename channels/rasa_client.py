"""The gateway's client for Rasa: the REST channel for messages, the HTTP API for the tracker.

Rasa is bound to 127.0.0.1 and its HTTP API is protected by a token (`PASSERELLE_RASA_TOKEN`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

NOTE_TIMEOUT_S = 3.0


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer; the message is retried later."""


@dataclass
class BotReply:
    """What Rasa answered: texts to send and signals for the gateway (see actions/signals.py)."""

    texts: list[str] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)


class RasaClient:
    """Talks to one Rasa server (a load balancer in front of several in production)."""

    def __init__(self, base_url: str, token: str = "", timeout_s: float = 20.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s
        self._client = httpx.Client(timeout=timeout_s)

    def _params(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    def send(self, sender_id: str, text: str, metadata: dict[str, Any]) -> BotReply:
        """Send one message through the REST channel and collect the replies."""
        try:
            response = self._client.post(f"{self.base_url}/webhooks/rest/webhook",
                                         json={"sender": sender_id, "message": text, "metadata": metadata})
        except httpx.HTTPError as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code}")
        reply = BotReply()
        for item in response.json() or []:
            if item.get("text"):
                reply.texts.append(item["text"])
            custom = item.get("custom")
            if isinstance(custom, dict) and isinstance(custom.get("passerelle"), dict):
                reply.signals.append(custom["passerelle"])
        return reply

    def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        """Tell the tracker about a handoff (`pause`) or a hand-back (`resume`).

        A short timeout: the note is best-effort (the gateway's state is what keeps the bot silent),
        and the console and the gateway's worker wait for it, so a hung Rasa must not hold them long.
        """
        try:
            response = self._client.post(f"{self.base_url}/conversations/{sender_id}/tracker/events",
                                         params={**self._params(), "include_events": "NONE"}, json=events,
                                         timeout=min(self.timeout_s, NOTE_TIMEOUT_S))
        except httpx.HTTPError as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code}")

    def delete_tracker_events(self, sender_id: str) -> None:
        """Replace the tracker by an empty one (erasure on request)."""
        try:
            self._client.put(f"{self.base_url}/conversations/{sender_id}/tracker/events",
                             params=self._params(), json=[])
        except httpx.HTTPError as exc:
            raise RasaUnavailable(type(exc).__name__) from exc

    def healthy(self) -> bool:
        """Whether Rasa is up and has a model loaded."""
        try:
            response = self._client.get(f"{self.base_url}/status", params=self._params(), timeout=3)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and bool(response.json().get("model_file"))
