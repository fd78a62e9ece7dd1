"""Text normalisation for matching messages as people type them on a phone.

Lexical search and pattern-based triage compare folded text: lower case, no accents, SMS
spelling expanded ("koi" -> "quoi", "jsp" -> "je sais pas"), common misspellings of service
names fixed ("carte vital", "amelie"). Embeddings see the original text: they cope with
accents and casing themselves.
"""

from __future__ import annotations

import re
import unicodedata

# SMS spellings and frequent misspellings, folded form -> folded form. Multi-word values are
# fine; keys are single tokens.
SMS_EXPANSIONS: dict[str, str] = {
    # French
    "slt": "salut", "bjr": "bonjour", "bsr": "bonsoir", "koi": "quoi", "koi?": "quoi",
    "quoa": "quoi", "c": "c est", "cest": "c est", "ces": "c est", "jsp": "je sais pas",
    "jsais": "je sais", "chui": "je suis", "chuis": "je suis", "jsuis": "je suis",
    "pk": "pourquoi", "pq": "pourquoi", "pcq": "parce que", "pck": "parce que",
    "stp": "s il te plait", "svp": "s il vous plait", "mn": "mon", "ms": "mais",
    "ds": "dans", "tt": "tout", "tjr": "toujours", "tjrs": "toujours", "bcp": "beaucoup",
    "qd": "quand", "kan": "quand", "dc": "donc", "pr": "pour", "pa": "pas", "ke": "que",
    "ki": "qui", "kel": "quel", "kelle": "quelle", "koman": "comment", "cmt": "comment",
    "cmnt": "comment", "comman": "comment", "g": "j ai", "jai": "j ai", "jve": "je veux",
    "jveux": "je veux", "jvoudrai": "je voudrais", "jvoudrais": "je voudrais",
    "jvais": "je vais", "jpeux": "je peux", "jpe": "je peux", "jarrive": "j arrive",
    "jarrrive": "j arrive", "jaimerais": "j aimerais", "jme": "je me", "jamais": "jamais",
    "mm": "meme", "msg": "message", "rdv": "rendez vous", "dr": "docteur", "doc": "docteur",
    "tel": "telephone", "tél": "telephone", "ordi": "ordinateur", "appli": "application",
    "app": "application", "qlq": "quelque", "qq": "quelque", "auj": "aujourd hui",
    "ajd": "aujourd hui", "oqp": "occupe", "ya": "il y a", "yen": "il y en",
    "amelie": "ameli", "amély": "ameli", "ameli.fr": "ameli", "vital": "vitale",
    "vitalle": "vitale", "vitale.": "vitale", "mutuel": "mutuelle", "medcin": "medecin",
    "medecain": "medecin", "mdecin": "medecin", "docteure": "docteur", "toubib": "medecin",
    "generaliste": "medecin generaliste", "vacin": "vaccin", "vaxin": "vaccin",
    "vax": "vaccin", "piqure": "piqure", "hopitale": "hopital", "urgense": "urgence",
    "ordonance": "ordonnance", "ordonnace": "ordonnance", "pharma": "pharmacie",
    "pharmacien": "pharmacien", "mes": "mes",
    # English
    "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "thx": "thanks",
    "ty": "thank you", "im": "i am", "i'm": "i am", "dont": "do not", "cant": "can not",
    "can't": "can not", "wat": "what", "wht": "what", "hw": "how", "gp": "doctor",
    "dr.": "doctor", "appt": "appointment", "meds": "medicines", "med": "medicine",
}

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_SPACES = re.compile(r"\s+")


def strip_accents(text: str) -> str:
    """Remove combining marks (é -> e) but keep other scripts (Arabic stays Arabic)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower case, accents stripped, apostrophes and punctuation turned to spaces."""
    folded = strip_accents(text).casefold()
    folded = re.sub(r"['’`´]", " ", folded)
    return _SPACES.sub(" ", re.sub(r"[^\w\s]", " ", folded)).strip()


def tokens(text: str) -> list[str]:
    """Folded tokens with SMS spellings expanded; what BM25 and patterns compare."""
    out: list[str] = []
    for token in fold(text).split():
        out.extend(SMS_EXPANSIONS.get(token, token).split())
    return out


def normalise(text: str) -> str:
    """The folded, expanded text as one string (for patterns and fuzzy matching)."""
    return " ".join(tokens(text))


def has_letters(text: str) -> bool:
    """Whether a message contains any letter at all (emoji-only or junk has none)."""
    return any(ch.isalpha() for ch in text)


def clean_inbound(text: str, max_chars: int) -> str:
    """Drop control characters and cap the length of an inbound message.

    People paste long texts and phones send odd bytes; neither may break search or triage.
    """
    printable = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")
    return _SPACES.sub(" ", printable).strip()[:max_chars]

# Function words that carry no topic; dropped from lexical queries so that "comment je fais
# pour" does not match every entry. Folded forms, French and English.
STOPWORDS: frozenset[str] = frozenset(
    "a au aux avec ce ces c cette d de des du elle en est et il ils j je l la le les leur lui m "
    "ma mais me mes moi mon n ne nous on ou par pas pour qu que qui s sa se ses si son sur t ta "
    "te tes toi ton tu un une vous y est ete etre avoir ai as avez ont suis es sommes comment "
    "quoi quel quelle quels quelles ou quand pourquoi faire fais fait faut peux peut veux "
    "voudrais sais ca cela ceci bonjour salut merci svp stp s il plait vous te "
    "i me my you your he she it we they the an and or of to in on at for with is are was be "
    "do does did have has can could would should will what how where when why who which this "
    "that there please hi hello thanks am not no yes".split()
)


def content_tokens(text: str) -> list[str]:
    """Tokens that carry meaning (stop words dropped), for lexical search."""
    return [t for t in tokens(text) if t not in STOPWORDS]
