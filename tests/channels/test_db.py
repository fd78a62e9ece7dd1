"""The database layer keeps personal data out of error messages (they end up in logs)."""

from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from channels.db import Database
from channels.models import Conversation, Message


def test_a_database_error_does_not_carry_the_message_text_or_the_number(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    db.upgrade()
    with db.session() as session:
        conversation = Conversation(channel="sms", address="+33612345678", address_hash="h")
        session.add(conversation)
        session.flush()
        session.add(Message(conversation_id=conversation.id, direction="in", author="person", body="first",
                            provider_sid="SM1", seq=1))
    with pytest.raises(IntegrityError) as raised, db.session() as session:
        session.add(Message(conversation_id=conversation.id, direction="in", author="person",
                            body="j'ai une douleur à la poitrine", provider_sid="SM1", seq=2))
    assert "uq_messages_provider_sid" in str(raised.value) or "UNIQUE" in str(raised.value)
    assert "poitrine" not in str(raised.value)
