"""langdetect's detector with its inner loop in numpy: the same answers, a fraction of the CPU.

langdetect draws random character n-grams of the text and multiplies 55 language probabilities
by each one's profile, in a Python loop, for up to 7 x 1 000 draws; on short messages ("AIDE")
that took ~10 ms of CPU per message in the gateway, ~3 ms on a question. Here the same draws
(the same seeded random generator, untouched) update a float64 array in one vector operation.
Every operation is the one langdetect does element by element, in the same order (the sum that
normalises is still a left-to-right Python sum), so the probabilities are bit for bit the same:
`tests/passerelle/test_langdetect_numpy.py` compares them with langdetect's own on every text of
the evaluation data.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import numpy as np
from langdetect import detector_factory
from langdetect.detector import Detector
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.language import Language

PROFILE_CACHE = 50_000  # n-gram profiles kept as arrays (~440 bytes each); a profile has ~170k n-grams


class NumpyDetector(Detector):
    """A `langdetect.detector.Detector` whose probability updates are numpy operations."""

    def __init__(self, factory: Any, profile: Any) -> None:
        super().__init__(factory)
        self._profile = profile

    def _detect_block(self) -> None:
        """`Detector._detect_block`, step for step, with the 55 products of a draw done at once."""
        self.cleaning_text()
        ngrams = self._extract_ngrams()  # each one is in the profiles
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        rows = {ngram: row for row, ngram in enumerate(dict.fromkeys(ngrams))}
        profiles = np.stack([self._profile(ngram) for ngram in rows])
        draws = [rows[ngram] for ngram in ngrams]  # choice() over this list draws as over `ngrams`
        self.langprob = [0.0] * len(self.langlist)
        self.random.seed(self.seed)
        for _ in range(self.n_trial):
            prob = self._init_probability()
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            factors = alpha / self.BASE_FREQ + profiles  # langdetect's `weight + lang_prob_map[i]`
            i = 0
            while True:
                prob *= factors[self.random.choice(draws)]
                if i % 5 == 0 and (self._normalize_prob(prob) > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT):
                    break
                i += 1
            for j, p in enumerate(prob.tolist()):
                self.langprob[j] += p / self.n_trial

    def _init_probability(self) -> np.ndarray:
        if self.prior_map is not None:
            return np.array(self.prior_map, dtype=np.float64)
        return np.full(len(self.langlist), 1.0 / len(self.langlist), dtype=np.float64)

    def _normalize_prob(self, prob: np.ndarray) -> float:
        total = sum(prob.tolist())  # left to right, as langdetect sums (numpy would sum pairwise)
        prob /= total
        return float(prob.max())


_LOADING = threading.Lock()
_LOADED: tuple[Any, Any] | None = None


def _factory() -> tuple[Any, Any]:
    """langdetect's shared profiles (loaded once, as `detect_langs` does) and their array view.

    Under a lock: langdetect's `init_factory` publishes its factory before loading the profiles,
    so a second thread (the gateway's warm-up and its workers start together) could get a factory
    with a handful of its 55 languages.
    """
    global _LOADED  # noqa: PLW0603 - loaded once per process, like langdetect's own factory
    with _LOADING:
        if _LOADED is None:
            detector_factory.init_factory()
            factory = detector_factory._factory  # noqa: SLF001 - the profiles detect_langs itself uses

            @lru_cache(maxsize=PROFILE_CACHE)
            def profile(word: str) -> np.ndarray:
                return np.array(factory.word_lang_prob_map[word], dtype=np.float64)

            _LOADED = (factory, profile)
        return _LOADED


def detect_langs(text: str) -> list[Language]:
    """Like `langdetect.detect_langs`: the likely languages of `text`, most likely first."""
    factory, profile = _factory()
    detector = NumpyDetector(factory, profile)
    detector.append(text)
    return detector.get_probabilities()
