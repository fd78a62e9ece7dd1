"""Which language to answer in.

langdetect alone is unreliable on SMS ("c koi mon espace santé" is three words of slang), so it
is one vote among several: the script (Arabic letters), a small lexicon of very common words per
language (SMS spellings included), an explicit request ("in english please"), and the
conversation's previous language, which wins for short or ambiguous messages ("ok", "merci").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langdetect import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from passerelle.langdetect_numpy import detect_langs
from passerelle.text import fold

DetectorFactory.seed = 0  # langdetect is random by default; answers must be reproducible

SUPPORTED = ("fr", "en", "ar", "es", "pt")

# Frequent function words and SMS spellings, folded. Deliberately small: they break ties
# where langdetect hesitates, they do not replace it.
LEXICON: dict[str, frozenset[str]] = {
    "fr": frozenset(
        "je j tu il elle on nous vous mon ma mes ton ta le la les un une des du de est c koi quoi "
        "pour pas comment ou avec sans dans sur qui que quel quelle ai suis faut peux veux "
        "voudrais jvoudrais bonjour salut slt merci oui non svp stp aide carte vitale ameli "
        "medecin docteur enfant fils fille mere pere chez mais donc aussi tres bien jsp pk "
        "cest ca sa ya jai moi toi rien trop encore deja".split()
    ),
    "en": frozenset(
        "i my me you your the a an is are was how what where when who why can could do does "
        "should would will get need help please pls hi hello thanks thank yes no not with for "
        "to of in on it this that doctor gp card child son daughter mother father health "
        "appointment have has im dont cant".split()
    ),
    "es": frozenset(
        "yo mi tu el la los las un una es como donde que quiero puedo tengo necesito ayuda hola "
        "gracias si no con sin para por medico hijo hija madre padre tarjeta salud cita hablo "
        "espanol estoy muy pero tambien".split()
    ),
    "pt": frozenset(
        "eu meu minha voce o a os as um uma e como onde que quero posso tenho preciso ajuda ola "
        "obrigado obrigada sim nao com sem para por medico filho filha mae pai cartao saude "
        "consulta falo portugues estou muito mas tambem".split()
    ),
}

# Explicit requests to switch language, matched on folded text.
REQUESTS: dict[str, re.Pattern[str]] = {
    "fr": re.compile(r"\b(en francais|in french|parle[rz]? francais|francais (stp|svp|please))\b"),
    "en": re.compile(r"\b(in english|en anglais|speak english|english (please|pls)|anglais (stp|svp))\b"),
    "es": re.compile(r"\b(en espanol|in spanish|hablo espanol|en espagnol|espanol por favor)\b"),
    "pt": re.compile(r"\b(em portugues|in portuguese|falo portugues|en portugais)\b"),
    "ar": re.compile(r"(\bin arabic\b|\ben arabe\b|بالعربية|بالعربي|\bbel 3arbi\b|\bbl3arbia\b)"),
}

_ARABIC = re.compile(r"[\u0600-\u06FF]")


@dataclass(frozen=True)
class LanguageGuess:
    """The language to answer in and why, for logs and the mediator console."""

    language: str
    reason: str


def requested_language(text: str) -> str | None:
    """The language a person explicitly asks for, if any ("in english please")."""
    folded = fold(text)
    for language, pattern in REQUESTS.items():
        if pattern.search(folded) or pattern.search(text):
            return language
    return None


def _lexicon_votes(words: list[str]) -> dict[str, int]:
    return {lang: sum(word in vocab for word in words) for lang, vocab in LEXICON.items()}


def detect_language(text: str, previous: str | None = None, default: str = "fr") -> LanguageGuess:
    """Pick the reply language for `text`, given the conversation's `previous` language."""
    explicit = requested_language(text)
    if explicit:
        return LanguageGuess(explicit, "asked")
    arabic_letters = len(_ARABIC.findall(text))
    letters = sum(ch.isalpha() for ch in text)
    if letters == 0:
        return LanguageGuess(previous or default, "no letters")
    if arabic_letters / letters > 0.5:
        return LanguageGuess("ar", "script")
    words = fold(text).split()
    if previous and (len(words) <= 2 or letters < 10):
        return LanguageGuess(previous, "short message")

    scores: dict[str, float] = {lang: 0.0 for lang in SUPPORTED}
    try:
        for guess in detect_langs(text):
            if guess.lang in scores:
                scores[guess.lang] += float(guess.prob)
    except LangDetectException:
        pass
    votes = _lexicon_votes(words)
    total_votes = sum(votes.values())
    if total_votes:
        for lang, count in votes.items():
            scores[lang] += 1.5 * count / total_votes
    if previous in scores:
        scores[previous] += 0.3  # conversations rarely switch language mid-way
    best = max(scores, key=lambda lang: scores[lang])
    if scores[best] < 0.5:
        return LanguageGuess(previous or default, "unsure")
    return LanguageGuess(best, "detected")
