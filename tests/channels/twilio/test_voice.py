"""The voice line: TwiML that greets and listens in French, spoken questions answered aloud and by SMS."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree

import httpx
import pytest

from channels.sms import normalise
from channels.twilio.voice import spoken
from passerelle.messages import text
from passerelle.settings import Settings
from tests.channels.twilio.conftest import ACCOUNT, APP_URL, SMS_NUMBER, Gateway, person, signature, wait_for
from tests.channels.twilio.fake_twilio import FakeTwilio
from tests.channels.twilio.test_flow import rows

CALL_SID = "CA" + uuid.uuid4().hex


@pytest.fixture()
def twilio_settings(twilio_settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """A generous answer time (the first message of a process loads language profiles, slow on a
    busy machine), or the one a test asks for with `@pytest.mark.parametrize("answer_time", ...)`."""
    answer_time = getattr(request, "param", 60.0)
    return twilio_settings.model_copy(update={"voice_answer_timeout_s": answer_time})


@pytest.fixture()
def gateway(gateway: Gateway) -> Gateway:
    gateway.client.timeout = httpx.Timeout(90.0)
    return gateway


def call_params(caller: str, sid: str = CALL_SID, **extra: str) -> dict[str, str]:
    return {"CallSid": sid, "AccountSid": ACCOUNT, "From": caller, "To": SMS_NUMBER, "CallStatus": "in-progress",
            "Direction": "inbound", "ApiVersion": "2010-04-01", **extra}


def twiml(response_text: str) -> ElementTree.Element:
    return ElementTree.fromstring(response_text)


def test_a_call_is_greeted_in_french_and_listened_to(gateway: Gateway) -> None:
    response = gateway.post("/twilio/voice", call_params(person()))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    gather = twiml(response.text).find("Gather")
    assert gather is not None and gather.get("input") == "speech" and gather.get("language") == "fr-FR"
    assert gather.get("action", "").startswith("/twilio/voice/question")
    say = gather.find("Say")
    assert say is not None and say.get("voice") == "Polly.Celine" and say.text == text("voice_welcome", "fr")


def test_forged_hidden_and_foreign_calls_are_refused_or_told(gateway: Gateway) -> None:
    params = call_params(person())
    forged = gateway.client.post("/twilio/voice", data=params,
                                 headers={"X-Twilio-Signature": signature(APP_URL + "/twilio/voice", params, "wrong")})
    assert forged.status_code == 403
    assert gateway.post("/twilio/voice", call_params(person(), To="+33700009999")).status_code == 404
    assert gateway.post("/twilio/voice", call_params(person(), CallSid="nope")).status_code == 422
    hidden = twiml(gateway.post("/twilio/voice", call_params("anonymous")).text)
    assert hidden.find("Gather") is None and hidden.find("Hangup") is not None
    assert hidden.find("Say").text == text("voice_hidden_number", "fr")  # type: ignore[union-attr]


def test_a_spoken_question_is_answered_aloud_and_by_sms_once_even_if_twilio_retries(gateway: Gateway,
                                                                                   fake: FakeTwilio) -> None:
    caller = person()
    params = call_params(caller, SpeechResult="comment avoir une carte vitale", Confidence="0.9")
    first = twiml(gateway.post("/twilio/voice/question", params).text)
    again = gateway.post("/twilio/voice/question", params)  # Twilio's retry of the same turn
    assert again.status_code == 200
    said = [say.text for say in first.iter("Say")]
    # Rasa is down in these tests: the gateway's own reply is read, then the SMS note, then listening
    assert said == [text("service_down", "fr"), text("voice_sms_copy", "fr"), text("voice_another", "fr")]
    assert first.find("Gather") is not None
    wait_for(lambda: fake.sent_to(caller), "the SMS copy reached Twilio")
    assert [m["body"] for m in fake.sent_to(caller)] == [normalise(text("service_down", "fr"), transliterate=True)]
    [inbound] = rows(gateway, caller, "in")
    assert inbound.body == "comment avoir une carte vitale" and inbound.meta["voice"] is True


@pytest.mark.parametrize("twilio_settings", [0.001], indirect=True)
def test_a_slow_answer_is_promised_by_sms_and_still_sent(gateway: Gateway, fake: FakeTwilio) -> None:
    caller = person()
    response = twiml(gateway.post("/twilio/voice/question", call_params(caller, SpeechResult="carte vitale")).text)
    assert [say.text for say in response.iter("Say")] == [text("voice_later", "fr")]
    assert response.find("Hangup") is not None
    wait_for(lambda: fake.sent_to(caller), "the answer still went out by SMS")


def test_silence_is_asked_again_then_the_call_ends(gateway: Gateway) -> None:
    params = call_params(person(), SpeechResult="")
    first = twiml(gateway.post("/twilio/voice/question", params).text)
    gather = first.find("Gather")
    assert gather is not None and gather.get("action", "").endswith("silences=1")
    assert gather.find("Say").text == text("voice_not_heard", "fr")  # type: ignore[union-attr]
    url = APP_URL + "/twilio/voice/question?silences=1"
    second = twiml(gateway.post("/twilio/voice/question?silences=1", params, url=url).text)
    assert second.find("Gather") is None and second.find("Hangup") is not None


def test_spoken_replies_leave_the_source_line_and_links_to_the_sms() -> None:
    reply = "Appelez le 36 46 ou allez sur https://www.ameli.fr maintenant.\nSource : https://www.ameli.fr/assure"
    assert spoken(reply) == "Appelez le 36 46 ou allez sur maintenant."
