"""Twilio's webhooks: `/twilio/sms`, `/twilio/whatsapp` (inbound messages), `/twilio/status` (delivery),
`/twilio/voice` and `/twilio/voice/question` (the voice line, `channels/twilio/voice.py`).

Each request is checked in this order, cheapest first, and refused with a one-line reason:
415 not a form, 413 too large, 400 not decodable, 403 signature missing or wrong (logged,
without the body), 422 fields missing or malformed (phone numbers included), 404 `To` is not one
of our numbers. A valid message is stored (once per MessageSid) and Twilio gets an empty TwiML
answer at once; the worker threads process it and the sender replies through the REST API.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import ImmutableMultiDict

from channels.gateway import Gateway, Inbound
from channels.outbox import Outbox
from channels.twilio.addresses import number_of, our_numbers, valid_address
from channels.twilio.signature import SignatureCheck, url_as_twilio_saw_it, webhook_token
from channels.twilio.voice import Heard, VoiceLine
from channels.worker import Workers
from passerelle.settings import Settings

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
ROW_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_FIELDS = 200
MAX_MEDIA = 10
TWILIO_STATUSES = {"accepted", "scheduled", "queued", "sending", "sent", "delivered", "undelivered", "failed",
                   "read", "canceled", "receiving", "received", "partially_delivered"}


def _form_schema(fields: Mapping[str, Mapping[str, object]], required: list[str]) -> dict[str, Any]:
    """The OpenAPI request body of a webhook (the routes read the raw form to check its signature)."""
    return {"requestBody": {"required": True, "content": {FORM: {"schema": {
        "type": "object", "properties": fields, "required": required}}}}}


_TEXT = {"type": "string"}
_SID = {"type": "string", "pattern": SID.pattern}
_ADDRESS = {"type": "string", "pattern": r"^(whatsapp:)?\+[1-9][0-9]{7,14}$"}
INBOUND_FORM = _form_schema({"MessageSid": _SID, "AccountSid": _TEXT, "From": _ADDRESS, "To": _ADDRESS,
                             "Body": _TEXT, "NumMedia": {"type": "string", "pattern": r"^[0-9]{1,2}$"},
                             "MediaUrl0": _TEXT, "MediaContentType0": _TEXT, "Latitude": _TEXT, "Longitude": _TEXT},
                            ["MessageSid", "From", "To"])
STATUS_FORM = _form_schema({"MessageSid": _SID, "MessageStatus": {"type": "string", "enum": sorted(TWILIO_STATUSES)},
                            "ErrorCode": _TEXT, "AccountSid": _TEXT, "To": _ADDRESS, "From": _ADDRESS},
                           ["MessageSid", "MessageStatus"])
_SIGNATURE = {"name": "X-Twilio-Signature", "in": "header", "required": True, "schema": _TEXT}
_ROW = {"name": "m", "in": "query", "required": False, "schema": _TEXT, "description": "our outbound row id"}


class Refused(Exception):
    """A request answered with a 4xx and a reason."""

    def __init__(self, status: int, reason: str, problems: list[str] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.problems = status, reason, problems or []

    def response(self) -> JSONResponse:
        """The answer, in the app's error shape."""
        content: dict[str, object] = {"error": self.reason}
        if self.problems:
            content["problems"] = self.problems
        return JSONResponse(status_code=self.status, content=content)


@dataclass(frozen=True)
class InboundForm:
    """The fields of an inbound message webhook the gateway uses."""

    sid: str
    sender: str
    to: str
    body: str
    media: int
    location: bool


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"body larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _inbound_fields(form: ImmutableMultiDict[str, str], channel: str) -> InboundForm:
    problems: list[str] = []
    sid = str(form.get("MessageSid") or "")
    sender, to = str(form.get("From") or ""), str(form.get("To") or "")
    if not SID.match(sid):
        problems.append("MessageSid: missing or not a Twilio SID")
    for name, value in (("From", sender), ("To", to)):
        if not value:
            problems.append(f"{name}: missing")
        elif not valid_address(value, channel):
            problems.append(f"{name}: not a valid {channel} address" + (" (whatsapp:+E.164)" if channel == "whatsapp"
                                                                         else " (E.164, e.g. +33612345678)"))
    media_text = str(form.get("NumMedia") or "0")
    media = int(media_text) if media_text.isdigit() else -1
    if not 0 <= media <= MAX_MEDIA:
        problems.append(f"NumMedia: not a number from 0 to {MAX_MEDIA}")
    if problems:
        raise Refused(422, "invalid request", problems)
    return InboundForm(sid=sid, sender=sender, to=to, body=str(form.get("Body") or ""), media=media,
                       location=bool(form.get("Latitude") and form.get("Longitude")))


def _call_fields(form: ImmutableMultiDict[str, str], settings: Settings) -> tuple[str, str, str]:
    """CallSid, caller and our number of a voice webhook; the caller is "" when hidden or invalid."""
    sid, caller, to = (str(form.get(name) or "") for name in ("CallSid", "From", "To"))
    problems = [] if CALL_SID.match(sid) else ["CallSid: missing or not a Twilio call SID"]
    problems += [] if valid_address(to, "sms") else ["To: not a valid phone number (E.164, e.g. +33612345678)"]
    if problems:
        raise Refused(422, "invalid request", problems)
    if number_of(to) not in our_numbers(settings, "sms"):
        raise Refused(404, "To is not one of this service's numbers")
    return sid, caller if valid_address(caller, "sms") else "", number_of(to)


def twilio_router(settings: Settings, gateway: Gateway, workers: Workers, outbox: Outbox) -> APIRouter:
    """The `/twilio/...` routes, bound to this app's gateway, workers and sender."""
    router = APIRouter(prefix="/twilio", tags=["twilio"])
    check = SignatureCheck(webhook_token(settings))

    async def signed_form(request: Request) -> ImmutableMultiDict[str, str]:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != FORM:
            raise Refused(415, f"Content-Type must be {FORM}")
        raw = await _read_capped(request, settings.twilio_max_request_bytes)
        try:
            form = ImmutableMultiDict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS))
        except (UnicodeDecodeError, ValueError) as exc:
            raise Refused(400, "body is not a UTF-8 form") from exc
        if not check.valid(url_as_twilio_saw_it(request, settings), form, request.headers):
            state = "invalid" if request.headers.get("x-twilio-signature") else "missing"
            log.warning("twilio webhook %s refused: %s signature (client %s)", request.url.path, state,
                        request.client.host if request.client else "?")
            raise Refused(403, "invalid or missing X-Twilio-Signature")
        return form

    async def inbound(request: Request, channel: str) -> Response:
        try:
            fields = _inbound_fields(await signed_form(request), channel)
            if number_of(fields.to) not in our_numbers(settings, channel):
                raise Refused(404, f"To is not one of this service's {channel} numbers")
        except Refused as refused:
            return refused.response()
        message_id, new = await run_in_threadpool(gateway.receive, Inbound(
            channel=channel, address=fields.sender, body=fields.body, provider_sid=fields.sid,
            media_count=fields.media, meta={"to": number_of(fields.to)} | ({"location": True} if fields.location
                                                                            else {})))
        if new:
            workers.submit(message_id, fields.sender)
        else:
            log.info("twilio retry of stored message %s ignored", message_id)
        return Response(content=EMPTY_TWIML, media_type="text/xml")

    @router.post("/sms", openapi_extra=INBOUND_FORM | {"parameters": [_SIGNATURE]})
    async def sms(request: Request) -> Response:
        """An SMS (or MMS) to one of our numbers."""
        return await inbound(request, "sms")

    @router.post("/whatsapp", openapi_extra=INBOUND_FORM | {"parameters": [_SIGNATURE]})
    async def whatsapp(request: Request) -> Response:
        """A WhatsApp message to one of our senders."""
        return await inbound(request, "whatsapp")

    voice = VoiceLine(settings, gateway)

    def twiml(body: str) -> Response:
        return Response(content=body, media_type="text/xml")

    @router.post("/voice")
    async def voice_call(request: Request) -> Response:
        """Someone calls one of our numbers: greet them and listen."""
        try:
            _, caller, _ = _call_fields(await signed_form(request), settings)
        except Refused as refused:
            return refused.response()
        return twiml(voice.welcome(caller_known=bool(caller)))

    @router.post("/voice/question")
    async def voice_question(request: Request) -> Response:
        """What the caller said (Twilio's transcript): answer aloud and by SMS, then listen again."""
        try:
            form = await signed_form(request)
            sid, caller, to = _call_fields(form, settings)
            if not caller:
                raise Refused(422, "invalid request", ["From: not a valid phone number"])
        except Refused as refused:
            return refused.response()
        silences = request.query_params.get("silences", "0")
        heard = Heard(call_sid=sid, caller=caller, to=to, words=str(form.get("SpeechResult") or "")[:2000],
                      silences=int(silences) if silences.isdigit() else 0)
        return twiml(await voice.answer(heard))

    @router.post("/status", openapi_extra=STATUS_FORM | {"parameters": [_SIGNATURE, _ROW]})
    async def status(request: Request) -> Response:
        """Delivery news for a message we sent (`?m=` names our row)."""
        try:
            form = await signed_form(request)
            sid, state = str(form.get("MessageSid") or ""), str(form.get("MessageStatus") or "")
            problems = [] if SID.match(sid) else ["MessageSid: missing or not a Twilio SID"]
            problems += [] if state in TWILIO_STATUSES else ["MessageStatus: missing or unknown"]
            if problems:
                raise Refused(422, "invalid request", problems)
            row_id = request.query_params.get("m")
            error_code = str(form.get("ErrorCode") or "") or None
            found = await run_in_threadpool(outbox.record_status, row_id if row_id and ROW_ID.match(row_id) else None,
                                            sid, state, error_code)
            if not found:
                raise Refused(404, "unknown message")
        except Refused as refused:
            return refused.response()
        return Response(status_code=204)

    return router
