"""Readability and SMS segments of answers as they are sent."""

from __future__ import annotations

from evaluation.plain_language import answer_rows, summarise
from knowledge_base.schema import Entry, Status
from passerelle.settings import Settings

EASY = "Allez sur ameli.fr. Cliquez sur Mon compte. Suivez les étapes. C'est gratuit."


def entry(id_: str, language: str, answer: str, status: Status = Status.published) -> Entry:
    return Entry(id=id_, topic=id_, language=language, title="Titre", answer_sms=answer, answer_long=answer,
                 sources=["https://www.ameli.fr/assure"], status=status)


def test_rows_count_the_text_as_sent_with_its_source_line() -> None:
    [row] = answer_rows([entry("a", "fr", EASY)], transliterate=True)
    assert row["encoding"] == "GSM-7" and row["segments"] == 1  # answer + "Source : https://..." fits 160
    assert row["units"] > len(EASY)
    assert row["readability"] is not None and row["readability"] > 50


def test_accents_outside_gsm7_are_dropped_as_the_channel_does_when_it_is_set() -> None:
    text = "Être soigné à la fenêtre du centre, ça coûte rien."
    [sent] = answer_rows([entry("a", "fr", text)], transliterate=True)
    [kept] = answer_rows([entry("a", "fr", text)], transliterate=False)
    assert (sent["encoding"], kept["encoding"]) == ("GSM-7", "UCS-2")


def test_arabic_has_no_readability_and_is_ucs2() -> None:
    [row] = answer_rows([entry("b", "ar", "اتصل بالرقم 15 فورا. " * 6)], transliterate=True)
    assert row["readability"] is None
    assert row["encoding"] == "UCS-2" and row["segments"] >= 2


def test_unpublished_answers_are_not_counted() -> None:
    assert answer_rows([entry("c", "fr", EASY, Status.draft)], transliterate=True) == []


def test_summary_per_language_against_the_content_rules() -> None:
    long_hard = ("Conformément aux dispositions réglementaires applicables, l'administration compétente "
                 "procède à l'instruction approfondie de votre demande d'affiliation complémentaire. ") * 3
    rows = answer_rows([entry("a", "fr", EASY), entry("d", "fr", long_hard), entry("b", "ar", "مرحبا")],
                       transliterate=True)
    settings = Settings(readability_min={"fr": 45.0}, sms_max_segments=3)
    summary = summarise(rows, settings)
    french = summary["languages"]["fr"]
    assert french["answers"] == 2 and french["readability"]["floor"] == 45.0
    assert french["readability"]["under_floor"] == 1
    assert french["over_max_segments"] == 1 and french["segments"]["1"] == 1
    assert summary["languages"]["ar"]["readability"] is None
    assert summary["worst"][0]["id"] == "d"
