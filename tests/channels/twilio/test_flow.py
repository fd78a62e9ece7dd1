"""Messages through the served gateway and the fake Twilio: acknowledge, process, send, record delivery."""

from __future__ import annotations

from sqlalchemy import func, select

from channels.models import Conversation, Message
from channels.sms import normalise, sizing
from passerelle.messages import text
from tests.channels.twilio.conftest import SMS_NUMBER, WHATSAPP_NUMBER, Gateway, new_sid, person, sms_params, wait_for
from tests.channels.twilio.fake_twilio import FakeTwilio


def rows(gateway: Gateway, address: str, direction: str) -> list[Message]:
    with gateway.app.state.db.session() as session:
        return list(session.scalars(select(Message).join(Message.conversation).where(
            Conversation.address == address, Message.direction == direction).order_by(Message.seq)))


def settled(gateway: Gateway) -> bool:
    """Nothing left to process or to send."""
    with gateway.app.state.db.session() as session:
        busy = session.scalar(select(func.count()).select_from(Message).where(
            Message.direction == "out", Message.status.in_(["queued", "sending"])))
    return gateway.app.state.workers.idle() and busy == 0


def test_sms_is_acknowledged_with_empty_twiml_then_answered_and_delivery_recorded(gateway: Gateway,
                                                                                  fake: FakeTwilio) -> None:
    sender = person()
    response = gateway.sms(sender, "comment avoir une carte vitale")
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.endswith("<Response/>")
    wait_for(lambda: fake.sent_to(sender), "a reply reached Twilio")
    [sent] = fake.sent_to(sender)
    assert sent["from"] == SMS_NUMBER  # Rasa is down: the gateway's own reply, "recu" written without cedilla
    assert sent["body"] == normalise(text("service_down", "fr"), transliterate=True)
    wait_for(lambda: rows(gateway, sender, "out")[0].status == "delivered", "the delivered callback was recorded")
    assert rows(gateway, sender, "out")[0].provider_sid == sent["sid"]


def test_twilio_retries_of_one_message_sid_are_stored_and_answered_once(gateway: Gateway, fake: FakeTwilio) -> None:
    sender = person()
    params = sms_params(sender, "bonjour")
    for _ in range(3):
        assert gateway.post("/twilio/sms", params).status_code == 200
    wait_for(lambda: fake.sent_to(sender) and settled(gateway), "the message was answered")
    assert len(rows(gateway, sender, "in")) == 1
    assert len(fake.sent_to(sender)) == 1


def test_stop_then_a_question_sends_nothing_more(gateway: Gateway, fake: FakeTwilio) -> None:
    sender = person()
    gateway.sms(sender, "STOP")
    wait_for(lambda: fake.sent_to(sender) and settled(gateway), "the opt-out confirmation was sent")
    gateway.sms(sender, "comment avoir une carte vitale")
    wait_for(lambda: len(rows(gateway, sender, "in")) == 2 and rows(gateway, sender, "in")[1].status != "received"
             and settled(gateway), "the question was processed")
    [confirmation] = fake.sent_to(sender)
    assert "START" in confirmation["body"]
    # a mediator answer written later is not sent either, and says why
    conversation_id = rows(gateway, sender, "in")[0].conversation_id
    with gateway.app.state.db.session() as session:
        session.add(Message(conversation_id=conversation_id, direction="out", author="mediator", seq=99,
                            body="Bonjour, je suis médiatrice.", status="queued", meta={}))
    gateway.app.state.outbox.wake()
    wait_for(lambda: rows(gateway, sender, "out")[-1].status == "failed", "the mediator answer was refused")
    assert rows(gateway, sender, "out")[-1].meta["reason"] == "opted_out"
    assert len(fake.sent_to(sender)) == 1


def test_a_2000_character_answer_is_sent_in_pages_of_three_segments_with_suite(gateway: Gateway,
                                                                              fake: FakeTwilio) -> None:
    sender = person()
    gateway.sms(sender, "bonjour")
    wait_for(lambda: fake.sent_to(sender) and settled(gateway), "the first reply was sent")
    sentence = "Votre carte Vitale se demande sur ameli.fr, rubrique Mes démarches, avec une photo. "
    long_answer = (sentence * 30)[:2000]
    conversation_id = rows(gateway, sender, "in")[0].conversation_id
    with gateway.app.state.db.session() as session:
        session.add(Message(conversation_id=conversation_id, direction="out", author="mediator", seq=50,
                            body=long_answer, status="queued", meta={}))
    gateway.app.state.outbox.wake()
    hint = text("more_hint", "fr")
    pages: list[str] = []
    for _ in range(40):  # 2 000 characters need far fewer pages: the bound only stops a runaway loop
        wait_for(lambda: len(fake.sent_to(sender)) == 2 + len(pages), f"page {len(pages) + 1} was sent")
        page = fake.sent_to(sender)[-1]["body"]
        pages.append(page)
        assert sizing(page).segments <= 3
        if not page.endswith(hint):
            break
        gateway.sms(sender, "SUITE")
    assert len(pages) > 2
    assert all(p.endswith("\n" + hint) for p in pages[:-1])
    joined = " ".join(p.removesuffix("\n" + hint) for p in pages)
    assert joined.split() == normalise(long_answer).split()
    gateway.sms(sender, "suite")
    wait_for(lambda: fake.sent_to(sender)[-1]["body"] == normalise(text("no_more", "fr")), "nothing more to send")


def test_mms_without_text_gets_the_text_only_reply(gateway: Gateway, fake: FakeTwilio) -> None:
    sender = person()
    gateway.sms(sender, "", NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1",
                MediaContentType0="image/jpeg", MessageSid=new_sid("MM"))
    wait_for(lambda: fake.sent_to(sender), "a reply was sent")
    assert fake.sent_to(sender)[0]["body"] == normalise(text("not_text", "fr"), transliterate=True)


def test_whatsapp_location_is_ignored_politely_from_our_whatsapp_sender(gateway: Gateway, fake: FakeTwilio) -> None:
    sender = "whatsapp:" + person()
    params = sms_params(sender, "", to=f"whatsapp:{WHATSAPP_NUMBER}", Latitude="48.8566", Longitude="2.3522")
    assert gateway.post("/twilio/whatsapp", params).status_code == 200
    wait_for(lambda: fake.sent_to(sender), "a reply was sent")
    [sent] = fake.sent_to(sender)
    assert sent["from"] == f"whatsapp:{WHATSAPP_NUMBER}" and sent["body"] == text("location_ignored", "fr")


def test_a_whatsapp_voice_note_gets_the_text_only_reply(gateway: Gateway, fake: FakeTwilio) -> None:
    sender = "whatsapp:" + person()
    params = sms_params(sender, "", to=f"whatsapp:{WHATSAPP_NUMBER}", NumMedia="1",
                        MediaContentType0="audio/ogg", MediaUrl0="https://api.twilio.com/media/ME2")
    assert gateway.post("/twilio/whatsapp", params).status_code == 200
    wait_for(lambda: fake.sent_to(sender), "a reply was sent")
    assert fake.sent_to(sender)[0]["body"] == text("not_text", "fr")  # WhatsApp: no GSM-7, accents kept
