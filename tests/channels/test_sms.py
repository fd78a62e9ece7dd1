"""SMS sizing (GSM-7 / UCS-2 segments, 3GPP TS 23.038) and paging of long texts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.sms import Sizing, fits_chars, fits_sms, normalise, paginate, sizing

HINT = "Répondez SUITE pour la suite."


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), [
    ("", "GSM-7", 0, 0),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("é" * 160, "GSM-7", 160, 1),  # é, è, à, ù are in the GSM-7 alphabet
    ("€" * 80, "GSM-7", 160, 1),  # extension characters cost two septets
    ("€" * 81, "GSM-7", 162, 2),
    ("a" * 152 + "€" + "a" * 10, "GSM-7", 164, 2),  # the escape pair is not split: 152 + (2 + 10)
    ("a" * 152 + "€" * 77, "GSM-7", 306, 3),  # same length as 306 plain septets, one more part
    ("ê" * 70, "UCS-2", 70, 1),  # ê, ç, ô are not: the whole text becomes UCS-2
    ("ê" * 71, "UCS-2", 71, 2),
    ("ç" + "a" * 133, "UCS-2", 134, 2),
    ("ç" + "a" * 134, "UCS-2", 135, 3),
    ("😀" * 35, "UCS-2", 70, 1),  # an emoji is two UTF-16 units
    ("a" + "😀" * 33 + "a", "UCS-2", 68, 1),
    ("a" * 66 + "😀" * 2, "UCS-2", 70, 1),
    ("a" * 66 + "😀" * 3, "UCS-2", 72, 2),
])
def test_encoding_and_segments(text: str, encoding: str, units: int, segments: int) -> None:
    assert sizing(text) == Sizing(encoding, units, segments)


def test_a_surrogate_pair_is_never_split_across_parts() -> None:
    # 66 units then an emoji: it does not fit in the first part's last unit, so it opens the second
    assert sizing("a" * 66 + "😀" + "a" * 66).segments == 3


def test_typographic_punctuation_is_made_gsm7_so_french_text_stays_compact() -> None:
    text = "L\u2019assurance\u00a0maladie \u00abameli\u00bb \u2013 c\u2019est simple\u2026"
    assert sizing(text).encoding == "UCS-2"
    assert normalise(text) == "L'assurance maladie \"ameli\" - c'est simple..."
    assert sizing(normalise(text)).encoding == "GSM-7"


def test_a_text_that_fits_is_one_page_unchanged() -> None:
    text = "Allez sur ameli.fr, rubrique Mes démarches.\nSource : https://www.ameli.fr/"
    assert paginate(text, HINT, fits_sms(3)) == [text]


@pytest.mark.parametrize("unit", [
    "Votre carte Vitale se demande sur ameli.fr, rubrique Mes démarches, avec une photo. ",  # GSM-7
    "Il faut être à jeun ; ça dépend du médecin et de l'hôpital. ",  # UCS-2 (ê, ç, ô)
    "Tél : 15 ou 112 — numéro d'urgence européen, gratuit, joignable partout 😀 ",  # UCS-2 with emoji
])
def test_a_2000_character_text_is_paged_in_three_segment_pages_losing_nothing(unit: str) -> None:
    text = normalise((unit * 40)[:2000])
    pages = paginate(text, HINT, fits_sms(3))
    assert len(pages) >= 4
    assert all(sizing(page).segments <= 3 for page in pages)
    assert all(page.endswith("\n" + HINT) for page in pages[:-1]) and not pages[-1].endswith(HINT)
    assert " ".join(page.removesuffix("\n" + HINT) for page in pages).split() == text.split()


def test_pages_end_at_sentence_boundaries_when_there_are_some() -> None:
    text = " ".join(f"Phrase numéro {n} qui explique une démarche de santé." for n in range(40))
    pages = paginate(text, HINT, fits_sms(3))
    assert all(page.removesuffix("\n" + HINT).endswith(".") for page in pages)


def test_a_long_word_without_spaces_is_cut_hard_rather_than_never_sent() -> None:
    url = "https://www.ameli.fr/" + "a" * 1000
    pages = paginate(url, HINT, fits_sms(3))
    assert "".join(page.removesuffix("\n" + HINT) for page in pages) == url


def test_whatsapp_pages_by_characters() -> None:
    text = "mot " * 1000
    pages = paginate(text, "Reply MORE for the rest.", fits_chars(1600))
    assert len(pages) == 3 and all(len(page) <= 1600 for page in pages)


def test_accents_outside_gsm7_are_transliterated_only_when_that_makes_the_whole_text_gsm7() -> None:
    answer = "Vous avez reçu un code ? Il faut être à jeun, ça dépend de l'hôpital. Tapez-le sur ameli.fr."
    plain = normalise(answer, transliterate=True)
    assert plain == "Vous avez recu un code ? Il faut etre à jeun, ca dépend de l'hopital. Tapez-le sur ameli.fr."
    assert sizing(answer).encoding == "UCS-2" and sizing(plain).encoding == "GSM-7"
    assert normalise(answer) == answer  # off: accents kept
    with_emoji = answer + " 😀"
    assert normalise(with_emoji, transliterate=True) == with_emoji  # UCS-2 anyway: keep every accent
    arabic = "اتصل بالرقم 15. Il faut être à jeun."
    assert normalise(arabic, transliterate=True) == arabic


def test_a_typical_answer_with_its_source_fits_one_page_once_transliterated() -> None:
    answer = ("Allez sur monespacesante.fr et choisissez « Activer mon profil ». Tapez le code reçu par courrier "
              "ou mail. Pas de code ? Utilisez le numéro de votre carte Vitale et celui de votre pièce d'identité. "
              "Vous pouvez vous faire aider dans une maison France Services, près de chez vous, gratuitement.\n"
              "Source : https://www.monespacesante.fr/questions-frequentes")
    assert len(paginate(normalise(answer), HINT, fits_sms(3))) == 2  # UCS-2: the source is on page 2
    assert paginate(normalise(answer, transliterate=True), HINT, fits_sms(3)) == [normalise(answer, True)]


SMS_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=2500)


@settings(max_examples=150, deadline=None)
@given(text=SMS_TEXT, segments=st.integers(min_value=1, max_value=4), transliterate=st.booleans())
def test_any_text_is_paged_into_pages_that_fit_losing_no_word(text: str, segments: int, transliterate: bool) -> None:
    body = normalise(text, transliterate)
    hint = normalise(HINT, transliterate)
    pages = paginate(body, hint, fits_sms(segments))
    assert all(sizing(page).segments <= segments for page in pages)
    words = " ".join(page.removesuffix("\n" + hint) for page in pages).split()
    assert "".join(words) == "".join(body.split())  # a word cut across two pages is still all there


@settings(max_examples=150, deadline=None)
@given(text=SMS_TEXT)
def test_sizing_is_total_and_consistent(text: str) -> None:
    size = sizing(text)
    assert size.encoding in ("GSM-7", "UCS-2") and size.segments >= (1 if text else 0)
