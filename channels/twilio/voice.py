"""The French voice line: a caller asks aloud, hears the vetted answer, and gets it by SMS too.

Twilio calls `/twilio/voice` when someone dials one of our numbers; we answer with TwiML that
greets them and listens (`<Gather input="speech" language="fr-FR">`). Twilio posts what it heard
to `/twilio/voice/question`; the words go through the gateway exactly like an SMS from the same
number (same conversation: history, language, handoff, opt-out), so triage still runs first and an
emergency is said with its number before anything else. Each reply is read with Amazon Polly's
voice for its language (`Polly.Celine` in French) and, being an ordinary outbound SMS row, is
also texted to the caller: the number to call or the source link stays on the phone.

Twilio waits 15 s for a voice webhook. When the answer takes longer (Rasa slow), the caller is
told the answer will come by SMS; the processing carries on and the SMS goes out as usual.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from twilio.twiml.voice_response import Gather, VoiceResponse

from channels.gateway import Gateway, Inbound
from passerelle.messages import text
from passerelle.settings import Settings

QUESTION_PATH = "/twilio/voice/question"
# Amazon Polly voices Twilio offers, one per language we answer in.
VOICES = {"fr": ("Polly.Celine", "fr-FR"), "en": ("Polly.Amy", "en-GB"), "es": ("Polly.Conchita", "es-ES"),
          "pt": ("Polly.Ines", "pt-PT"), "ar": ("Polly.Zeina", "arb")}
SOURCE_LINE = re.compile(r"^\s*(Source|Fuente|Fonte|المصدر)\s*:.*$", re.MULTILINE)
URL = re.compile(r"https?://\S+")
MAX_SILENCES = 2


@dataclass(frozen=True)
class Heard:
    """One spoken turn as Twilio transcribed it."""

    call_sid: str
    caller: str
    to: str
    words: str
    silences: int


def spoken(reply: str) -> str:
    """A reply as it should be read aloud: no source line or link (they come by SMS)."""
    return " ".join(URL.sub("", SOURCE_LINE.sub("", reply)).split())


class VoiceLine:
    """Builds the TwiML of each step of a call and runs what the caller said through the gateway."""

    def __init__(self, settings: Settings, gateway: Gateway) -> None:
        self.settings = settings
        self.gateway = gateway
        self.language = settings.default_language

    def _say(self, node: VoiceResponse | Gather, words: str, language: str) -> None:
        voice, code = VOICES.get(language, VOICES["fr"])
        node.say(words, voice=voice, language=code)

    def _listen(self, response: VoiceResponse, prompt: str, silences: int) -> None:
        gather = Gather(input="speech", language=VOICES[self.language][1], speech_timeout="auto",
                        action=f"{QUESTION_PATH}?silences={silences}", method="POST", action_on_empty_result=True)
        self._say(gather, prompt, self.language)
        response.append(gather)

    def welcome(self, caller_known: bool) -> str:
        """The first words of a call, then listening; a hidden number cannot be answered by SMS."""
        response = VoiceResponse()
        if not caller_known:
            self._say(response, text("voice_hidden_number", self.language), self.language)
            response.hangup()
        else:
            self._listen(response, text("voice_welcome", self.language), silences=0)
        return str(response)

    async def answer(self, heard: Heard) -> str:
        """Answer one spoken question: the replies read aloud, then listen for another."""
        response = VoiceResponse()
        if not heard.words.strip():
            if heard.silences + 1 >= MAX_SILENCES:
                self._say(response, text("voice_goodbye", self.language), self.language)
                response.hangup()
            else:
                self._listen(response, text("voice_not_heard", self.language), heard.silences + 1)
            return str(response)
        # Twilio may post the same turn twice (a retry): the call and the words make one message.
        turn = hashlib.sha256(heard.words.encode("utf-8")).hexdigest()[:16]
        message_id, _ = await run_in_threadpool(self.gateway.receive, Inbound(
            channel="sms", address=heard.caller, body=heard.words, provider_sid=f"{heard.call_sid}-{turn}",
            meta={"to": heard.to, "voice": True}))
        try:
            replies = await asyncio.wait_for(run_in_threadpool(self.gateway.process, message_id),
                                             timeout=self.settings.voice_answer_timeout_s)
        except TimeoutError:  # the thread finishes on its own; its replies leave by SMS
            self._say(response, text("voice_later", self.language), self.language)
            response.hangup()
            return str(response)
        language = await run_in_threadpool(self.gateway.language_of, message_id) or self.language
        for reply in replies:
            if spoken(reply):
                self._say(response, spoken(reply), language)
        # No reply: opted out of SMS, or a mediator holds the conversation and will answer.
        self._say(response, text("voice_sms_copy" if replies else "voice_noted", language), language)
        self._listen(response, text("voice_another", self.language), silences=0)
        return str(response)
