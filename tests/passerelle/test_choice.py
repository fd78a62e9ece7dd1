"""Replies to a numbered list of topics: a bare number picks one, anything more is a new message."""

import pytest

from passerelle.choice import parse_choice


@pytest.mark.parametrize(("message", "choice"), [
    ("1", 1), ("2.", 2), (" 3 ", 3), ("le 2", 2), ("Le 2 !", 2), ("la 1", 1), ("n°2", 2), ("numéro 3 svp", 3),
    ("#1", 1), ("(2)", 2), ("2)", 2), ("the 2", 2), ("el 3", 3), ("o 1", 1), ("opção 2", 2),
    ("٢", 2), ("۳", 3), ("رقم ٢", 2), ("2️⃣", 2), ("１", 1),
])
def test_a_number_picks_its_suggestion(message: str, choice: int) -> None:
    assert parse_choice(message, 3) == choice


@pytest.mark.parametrize("message", ["", "4", "0", "12", "1 2", "deux", "2 enfants malades", "j ai 3 ans",
                                     "le 2 mai", "vaccin 2 doses", "😀"])
def test_anything_else_is_not_a_choice(message: str) -> None:
    assert parse_choice(message, 3) is None


def test_a_number_beyond_a_shorter_list_is_not_a_choice() -> None:
    assert parse_choice("2", 1) is None and parse_choice("1", 1) == 1
    assert parse_choice("1", 0) is None
