"""A numbered list of likely topics through the real gateway, with Rasa scripted: a bare number
after the list reaches the assistant (which holds the list, and drops it), a bare "2" at any other
time gets the usual "words only" reply, and the mediator's transcript shows which entries the list offered."""

from __future__ import annotations

from typing import Any

from channels.console.transcript import conversation_page
from channels.db import Database
from channels.gateway import Gateway, Inbound
from channels.models import Message
from channels.rasa_client import BotReply, RasaClient
from passerelle.messages import text
from passerelle.settings import Settings

LIST = "Je ne suis pas sûr d'avoir compris. Vous parlez de :\n1 A\n2 B\nRépondez 1 ou 2, ou HUMAIN."
SUGGESTED = ["mes-activer-fr", "ameli-creer-compte-fr"]


class ScriptedRasa(RasaClient):
    """Answers a numbered list to any question and an answer to anything else; records what it got."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9")
        self.received: list[str] = []

    def send(self, sender_id: str, text: str, metadata: dict[str, Any] | None = None) -> BotReply:
        self.received.append(text)
        if len(text) > 3:
            return BotReply(texts=[LIST], signals=[{"suggested": SUGGESTED}, {"unanswered": "suggested"}])
        return BotReply(texts=["Réponse B"], signals=[{"entry": {"id": SUGGESTED[1], "topic": "b", "version": 1}}])


def _say(gateway: Gateway, body: str) -> tuple[str, list[str]]:
    message_id, _ = gateway.receive(Inbound(channel="web", address="lea", body=body))
    replies = gateway.process(message_id)
    with gateway.db.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.conversation_id, replies


def test_a_number_after_the_list_reaches_the_assistant(console_settings: Settings, db: Database) -> None:
    rasa = ScriptedRasa()
    gateway = Gateway(console_settings, db, rasa=rasa)
    cid, replies = _say(gateway, "mon espace truc je comprends pas")
    assert replies == [LIST]
    assert _say(gateway, "٢")[1] == ["Réponse B"] and rasa.received[-1] == "٢"

    with db.session() as session:
        page = conversation_page(session, cid)
        assert page is not None
        offered = [line for line in page.lines if line.suggested]
        assert [line.body for line in offered] == [LIST] and offered[0].suggested == SUGGESTED
        assert page.lines[-1].entry == {"id": SUGGESTED[1], "topic": "b", "version": 1}


def test_a_number_at_any_other_time_gets_the_words_only_reply(console_settings: Settings, db: Database) -> None:
    rasa = ScriptedRasa()
    gateway = Gateway(console_settings, db, rasa=rasa)
    assert _say(gateway, "2")[1] == [text("emoji_only", "fr")]
    _say(gateway, "mon espace truc je comprends pas")
    _say(gateway, "3")  # off the two-topic list: the assistant hears it, and drops its list
    assert _say(gateway, "1")[1] == [text("emoji_only", "fr")]  # the list held for one message only
    assert rasa.received == ["mon espace truc je comprends pas", "3"]
