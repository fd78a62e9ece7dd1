from passerelle.text import clean_inbound, content_tokens, fold, normalise


def test_fold_strips_accents_but_keeps_other_scripts() -> None:
    assert fold("Mon Espace Santé !") == "mon espace sante"
    assert fold("مرحبا") == "مرحبا"


def test_sms_spelling_is_expanded() -> None:
    assert normalise("c koi la carte vital") == "c est quoi la carte vitale"
    assert "je sais pas" in normalise("jsp")


def test_stop_words_are_dropped_for_lexical_search() -> None:
    assert content_tokens("comment je fais pour ma carte vitale") == ["carte", "vitale"]


def test_clean_inbound_drops_control_characters_and_caps_length() -> None:
    assert clean_inbound("a\x00b\x07c   d", 100) == "abc d"
    assert len(clean_inbound("x" * 5000, 1000)) == 1000
