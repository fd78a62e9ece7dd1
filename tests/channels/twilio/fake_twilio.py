"""A stand-in for Twilio's REST API on 127.0.0.1: records messages, fails on demand, calls back.

It speaks the part of the API the sender uses (create and list Messages, basic auth with the
account SID and token) so the real twilio `Client` is exercised. Failure modes, consumed one per
create request, in order (`POST /_fail {"modes": [...]}`):

- "500": HTTP 500, nothing recorded;
- "hang": no answer for `hang_s`, nothing recorded (the client times out);
- "accept_then_hang": recorded, then no answer for `hang_s` (Twilio got it, the client does not know);
- "reject:CODE": HTTP 400 with Twilio error CODE (e.g. 21211 invalid number, 21610 unsubscribed).

With `callbacks=True`, each recorded message gets signed "sent" then "delivered" status
callbacks, as Twilio would send them. Run alone: `python -m tests.channels.twilio.fake_twilio`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import email.utils
import threading
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from twilio.request_validator import RequestValidator

API = "/2010-04-01/Accounts/{account}/Messages.json"


class FakeTwilio:
    """The fake's state and its FastAPI app."""

    def __init__(self, account_sid: str, auth_token: str, hang_s: float = 3.0, callbacks: bool = False) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.hang_s = hang_s
        self.callbacks = callbacks
        self.messages: list[dict[str, Any]] = []
        self.attempts = 0  # create requests received, failed ones included
        self.failures: deque[str] = deque()
        self.callbacks_sent = 0
        self._lock = threading.Lock()
        self._signer = RequestValidator(auth_token)
        self._http = httpx.Client(timeout=10)
        self.app = self._build()

    def _authorised(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    def _callback(self, message: dict[str, Any]) -> None:
        url = message["status_callback"]
        for status in ("sent", "delivered"):
            params = {"MessageSid": message["sid"], "MessageStatus": status, "AccountSid": self.account_sid,
                      "To": message["to"], "From": message["from"]}
            signature = self._signer.compute_signature(url, params)
            try:
                self._http.post(url, data=params, headers={"X-Twilio-Signature": signature})
                with self._lock:
                    self.callbacks_sent += 1
            except httpx.HTTPError:
                return  # like Twilio: a failed callback is not retried

    def _build(self) -> FastAPI:
        app = FastAPI()
        fake = self

        @app.post(API)
        async def create(account: str, request: Request) -> JSONResponse:
            if account != fake.account_sid or not fake._authorised(request):
                return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, status_code=401)
            form = dict(parse_qsl((await request.body()).decode()))
            with fake._lock:
                fake.attempts += 1
                mode = fake.failures.popleft() if fake.failures else ""
            if mode == "500":
                return JSONResponse({"code": 20500, "message": "Internal Server Error", "status": 500},
                                    status_code=500)
            if mode == "hang":
                await asyncio.sleep(fake.hang_s)
                return JSONResponse({"code": 20500, "message": "late", "status": 500}, status_code=500)
            if mode.startswith("reject:"):
                code = int(mode.split(":", 1)[1])
                return JSONResponse({"code": code, "message": "rejected", "status": 400}, status_code=400)
            now = dt.datetime.now(dt.UTC)
            message = {"sid": "SM" + uuid.uuid4().hex, "account_sid": account, "to": form.get("To", ""),
                       "from": form.get("From", ""), "body": form.get("Body", ""),
                       "content_sid": form.get("ContentSid"), "status": "queued",
                       "status_callback": form.get("StatusCallback"), "received_at": time.time(),
                       "date_created": email.utils.format_datetime(now, usegmt=True)}
            with fake._lock:
                fake.messages.append(message)
            if fake.callbacks and message["status_callback"]:
                threading.Thread(target=fake._callback, args=(message,), daemon=True).start()
            if mode == "accept_then_hang":
                await asyncio.sleep(fake.hang_s)
            return JSONResponse(_resource(message), status_code=201)

        @app.get(API)
        def listing(account: str, request: Request) -> JSONResponse:
            if account != fake.account_sid or not fake._authorised(request):
                return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, status_code=401)
            to, from_ = request.query_params.get("To"), request.query_params.get("From")
            size = int(request.query_params.get("PageSize", "50"))
            with fake._lock:
                found = [m for m in reversed(fake.messages)
                         if (not to or m["to"] == to) and (not from_ or m["from"] == from_)][:size]
            return JSONResponse({"messages": [_resource(m) for m in found], "next_page_uri": None,
                                 "page": 0, "page_size": size, "uri": request.url.path})

        @app.post("/_fail")
        def fail(modes: dict[str, list[str]]) -> dict[str, int]:
            with fake._lock:
                fake.failures.extend(modes["modes"])
                return {"queued": len(fake.failures)}

        @app.get("/_messages")
        def messages() -> list[dict[str, Any]]:
            with fake._lock:
                return list(fake.messages)

        return app

    def fail_next(self, *modes: str) -> None:
        """Make the next create requests fail, one mode each."""
        with self._lock:
            self.failures.extend(modes)

    def sent_to(self, address: str) -> list[dict[str, Any]]:
        """Messages recorded for one recipient, oldest first."""
        with self._lock:
            return [m for m in self.messages if m["to"] == address]


def _resource(message: dict[str, Any]) -> dict[str, Any]:
    return {"sid": message["sid"], "account_sid": message["account_sid"], "to": message["to"],
            "from": message["from"], "body": message["body"], "status": message["status"],
            "date_created": message["date_created"], "num_segments": "1", "direction": "outbound-api",
            "api_version": "2010-04-01", "error_code": None}


class ServerThread:
    """A uvicorn server in a thread of the test process (the fake, or the app); `stop()` ends it."""

    def __init__(self, app: FastAPI, port: int, lifespan: str = "off") -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ServerThread:
        """Start and wait until it listens."""
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("fake Twilio did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Ask the server to exit and wait for it."""
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main() -> None:
    """Serve the fake in the foreground (the load script runs it as its own process)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--callbacks", action="store_true")
    args = parser.parse_args()
    fake = FakeTwilio(args.account_sid, args.auth_token, callbacks=args.callbacks)
    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
