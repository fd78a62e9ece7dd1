"""Reading a reply to a numbered list of suggested topics ("2", "le 2", "2.", "n°2", "٢").

People answer a numbered list the way they would answer a person: a bare digit, often with an
article or a word for "number", sometimes in Arabic-Indic digits or as a keycap emoji. Anything
more than that ("2 enfants malades") is a new message, not a choice.
"""

from __future__ import annotations

import unicodedata

from passerelle.text import fold

# Words that may surround the digit of a choice, folded: articles, "number", "option", "please".
CHOICE_WORDS = frozenset({
    "le", "la", "l", "the", "el", "lo", "o", "a", "no", "n", "nr", "num", "numero", "number", "numer", "nummer",
    "option", "opcion", "opcao", "choix", "choice", "reponse", "answer", "respuesta", "resposta",
    "svp", "stp", "merci", "please", "pls", "plz", "thanks", "por", "favor", "gracias", "obrigado", "obrigada",
    "رقم", "الرقم", "من", "فضلك", "شكرا",
})


def _ascii_digits(text: str) -> str:
    """Any script's decimal digits (Arabic-Indic ٢, Persian ۲, fullwidth ２) as ASCII digits."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def parse_choice(message: str, count: int) -> int | None:
    """The number (1..`count`) a reply picks from a list of `count` suggestions, or None when the
    reply is not a bare choice."""
    words = fold(_ascii_digits(message)).split()
    numbers = [w for w in words if w.isdigit()]
    if len(numbers) != 1 or any(w not in CHOICE_WORDS for w in words if not w.isdigit()):
        return None
    number = int(numbers[0])
    return number if 1 <= number <= count else None
