"""The numbered list of suggested topics: catalogue text in every language, one short SMS."""

import pytest

from knowledge_base.loader import load_entries
from passerelle.messages import available_languages, text
from passerelle.replies import suggestion_text
from passerelle.settings import Settings


@pytest.mark.parametrize("language", available_languages())
def test_the_list_is_numbered_in_the_persons_language(language: str) -> None:
    reply, count = suggestion_text(["Carte Vitale", "Mon Espace Santé", "Ameli"], language, 320)
    assert count == 3
    assert reply.startswith(text("suggest_3", language, topics="").split("\n")[0])
    assert "1 Carte Vitale\n2 Mon Espace Santé\n3 Ameli" in reply


@pytest.mark.parametrize("language", available_languages())
def test_the_longest_titles_still_fit_one_answer_sized_sms(language: str) -> None:
    settings = Settings()
    entries = [e for e in load_entries(settings.content_dir)[0] if e.language == language] or \
        [e for e in load_entries(settings.content_dir)[0] if e.language == "fr"]
    longest = sorted((e.title for e in entries), key=len, reverse=True)[:3]
    reply, count = suggestion_text(longest, language, settings.sms_max_chars)
    assert len(reply) <= settings.sms_max_chars and count >= 2
    assert all(title in reply for title in longest[:count])


def test_too_long_a_list_loses_its_last_titles_never_the_first() -> None:
    titles = ["a" * 100, "b" * 100, "c" * 100]
    reply, count = suggestion_text(titles, "fr", 320)
    assert count == 2 and "a" * 100 in reply and "c" * 100 not in reply
    assert "Répondez 1 ou 2," in reply
    _, alone = suggestion_text(["a" * 400], "fr", 320)
    assert alone == 1  # the first title always goes, even over the size
