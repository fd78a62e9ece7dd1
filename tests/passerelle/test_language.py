import pytest

from passerelle.language import detect_language, requested_language


@pytest.mark.parametrize(("text", "language"), [
    ("c koi mon espace santé", "fr"),
    ("jvoudrais savoir comment avoir une carte vitale", "fr"),
    ("hello I need help with my health card", "en"),
    ("how do i get a carte vitale", "en"),
    ("no hablo francés, puedo tener un intérprete con el médico?", "es"),
    ("preciso de ajuda com a amamentação, onde posso ir?", "pt"),
    ("كيف احصل على بطاقة فيتال", "ar"),
    ("salam, sans titre de sejour j ai le droit a une aide pour aller chez le docteur?", "fr"),
])
def test_detects_the_reply_language(text: str, language: str) -> None:
    assert detect_language(text).language == language


@pytest.mark.parametrize("text", ["ok", "merci", "oui", "👍", "?"])
def test_short_messages_keep_the_conversation_language(text: str) -> None:
    assert detect_language(text, previous="en").language == "en"


def test_explicit_requests_win() -> None:
    assert requested_language("in english please") == "en"
    assert detect_language("en francais svp", previous="en").language == "fr"


def test_is_deterministic() -> None:
    text = "bonjour hello hola"
    assert len({detect_language(text).language for _ in range(20)}) == 1
