"""The numpy detector gives langdetect's own probabilities, bit for bit, on real messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from langdetect import DetectorFactory
from langdetect import detect_langs as langdetect_langs
from langdetect.lang_detect_exception import LangDetectException
from langdetect.language import Language

from passerelle.langdetect_numpy import detect_langs
from passerelle.settings import ROOT

DATA = ROOT / "evaluation" / "data"
ODD = ["AIDE", "HELP", "ok", "c koi mon espace santé", "مرحبا كيف حالك", "", "123", "😀 😀", "a" * 5000,
       "Bonjour https://ameli.fr/x?y=1 moi@example.org merci"]


def _texts() -> list[str]:
    texts = [json.loads(line)["text"] for path in sorted(DATA.glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts + ODD


def _guesses(detect: Callable[[str], list[Language]], text: str) -> list[tuple[str, float]] | str:
    try:
        return [(guess.lang, guess.prob) for guess in detect(text)]
    except LangDetectException as exc:
        return f"error: {exc}"


@pytest.mark.parametrize(("seed", "count"), [(0, None), (7, 300)])  # 0: the seed passerelle.language sets
def test_same_probabilities_as_langdetect(seed: int, count: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DetectorFactory, "seed", seed)
    texts = _texts()[-count:] if count else _texts()
    assert len(texts) >= 300
    differing = [text for text in texts if _guesses(detect_langs, text) != _guesses(langdetect_langs, text)]
    assert differing == []


def test_no_features_is_an_error_as_in_langdetect() -> None:
    with pytest.raises(LangDetectException):
        detect_langs("123 456")
    with pytest.raises(LangDetectException):
        langdetect_langs("123 456")


def test_threads_starting_together_all_get_the_full_profiles() -> None:
    """The gateway's warm-up and its workers detect at once in a new process: none may see a
    half-loaded set of languages (langdetect publishes its factory before loading it)."""
    script = (
        "import threading\n"
        "import passerelle.language  # noqa: F401 - seeds langdetect, as the gateway does\n"
        "from passerelle.langdetect_numpy import detect_langs\n"
        "results, errors = [], []\n"
        "def run():\n"
        "    try:\n"
        "        results.append([(g.lang, g.prob) for g in detect_langs('bonjour je voudrais ma carte vitale')])\n"
        "    except Exception as exc:\n"
        "        errors.append(repr(exc))\n"
        "threads = [threading.Thread(target=run) for _ in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "assert not errors, errors\n"
        "assert len(results) == 8 and all(r == results[0] for r in results), results\n"
        "assert results[0][0][0] == 'fr'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr
