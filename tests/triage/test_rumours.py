"""The rumour radar groups similar claims; a bag-of-words embedder keeps these tests fast."""

from __future__ import annotations

import numpy as np

from passerelle.text import tokens
from passerelle.triage.rumours import group_rumours

VOCABULARY = ("eau", "mer", "covid", "guerit", "5g", "cancer", "antennes", "masques", "soigne")


class WordsEmbedder:
    """Unit vectors counting a few words: texts sharing them are close, as with a real model."""

    name = "words"
    dim = len(VOCABULARY) + 1

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            words = tokens(text)
            row = np.array([words.count(w) for w in VOCABULARY] + [0.1], dtype=np.float32)
            rows.append(row / np.linalg.norm(row))
        return np.vstack(rows) if rows else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.embed_queries(texts)


MESSAGES = [
    "on m'a dit que l'eau de mer guérit le covid",
    "les antennes 5G donnent le cancer",
    "l'eau de mer soigne le covid, partagez",
    "ils cachent que la 5G et les antennes causent le cancer",
    "eau de mer contre le covid, ça guérit",
    "les masques rendent malade",
]


def test_similar_claims_form_one_group_largest_first() -> None:
    groups = group_rumours(MESSAGES, WordsEmbedder(), threshold=0.7)
    assert [g.count for g in groups] == [3, 2, 1]
    assert set(groups[0].messages) == {MESSAGES[0], MESSAGES[2], MESSAGES[4]}
    assert groups[0].representative in groups[0].messages
    assert groups[2].messages == (MESSAGES[5],)


def test_repeated_messages_count_each_time() -> None:
    groups = group_rumours([MESSAGES[1]] * 4 + [MESSAGES[5]], WordsEmbedder(), threshold=0.8)
    assert [(g.count, g.representative) for g in groups] == [(4, MESSAGES[1]), (1, MESSAGES[5])]


def test_a_strict_threshold_keeps_every_message_apart() -> None:
    assert len(group_rumours(MESSAGES, WordsEmbedder(), threshold=1.01)) == len(MESSAGES)


def test_nothing_to_group() -> None:
    assert group_rumours([], WordsEmbedder(), threshold=0.8) == []
    assert group_rumours(["", "   "], WordsEmbedder(), threshold=0.8) == []
