"""Run by tests/bot/test_spacy_nlp.py with the Rasa environment's Python: tokenizes the same
messages through Rasa's `SpacyNLP` and through `bot.spacy_nlp.SpacyNLPWithoutNER`, each followed
by Rasa's `SpacyTokenizer` as in config.yml, and prints, as JSON, which spaCy pipes each ran and
the texts whose tokens (text, lemma, tag: what the n-gram featurizers of config.yml read) differ.

Usage: python rasa_spacy_check.py TEXT...
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.spacy_nlp import SpacyNLPWithoutNER


def tokenize(loader: type[SpacyNLP], texts: list[str]) -> tuple[list[str], list[Any], int]:
    """The loader's model's enabled pipes, each text's tokens, and the model's vector width."""
    nlp = loader.create({**loader.get_default_config(), "model": "fr_core_news_sm"}, None, None, None)  # type: ignore[arg-type]
    tokenizer = SpacyTokenizer.create(SpacyTokenizer.get_default_config(), None, None, None)  # type: ignore[arg-type]
    messages = [Message(data={TEXT: text}) for text in texts]
    nlp.process(messages, nlp.provide())
    tokenizer.process(messages)
    tokens = [[(t.text, t.lemma, t.get("pos")) for t in m.get(TOKENS_NAMES[TEXT])] for m in messages]
    model = nlp.provide().model
    return model.pipe_names, tokens, model.vocab.vectors_length


def main() -> None:
    texts = sys.argv[1:]
    rasa_pipes, rasa_tokens, vectors = tokenize(SpacyNLP, texts)
    our_pipes, our_tokens, _ = tokenize(SpacyNLPWithoutNER, texts)
    differ = [text for text, a, b in zip(texts, rasa_tokens, our_tokens, strict=True) if a != b]
    print(json.dumps({"rasa_pipes": rasa_pipes, "our_pipes": our_pipes, "differ": differ, "vectors_length": vectors,
                      "lemmatized": sum(t[0] != t[1] for tokens in our_tokens for t in tokens)}))


if __name__ == "__main__":
    main()
