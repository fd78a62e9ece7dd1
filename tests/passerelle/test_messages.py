import re

import pytest

from passerelle.messages import _catalogue, available_languages, text

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_language_has_a_catalogue() -> None:
    assert set(available_languages()) == {"fr", "en", "es", "pt", "ar"}


@pytest.mark.parametrize("language", ["en", "es", "pt", "ar"])
def test_translations_use_the_same_placeholders_and_keys(language: str) -> None:
    french = _catalogue("fr")
    for key, value in _catalogue(language).items():
        assert key in french, f"{language}: unknown key {key}"
        assert set(PLACEHOLDER.findall(value)) == set(PLACEHOLDER.findall(french[key])), key


def test_missing_keys_fall_back_to_french() -> None:
    assert text("help", "ar") == text("help", "fr")


def test_english_catalogue_is_complete() -> None:
    assert set(_catalogue("en")) == set(_catalogue("fr"))
