"""config.yml's spaCy loader (`bot.spacy_nlp.SpacyNLPWithoutNER`) skips the entity recogniser and
gives Rasa's tokenizer exactly what Rasa's own `SpacyNLP` gives it, on real messages."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from passerelle.settings import ROOT

pytestmark = pytest.mark.slow  # imports Rasa (and TensorFlow) in its own environment


def _messages() -> list[str]:
    """The development set and every NLU example of the bot: SMS spelling, English, Arabic."""
    texts = [json.loads(line)["text"] for line in (ROOT / "evaluation" / "data" / "dev_queries.jsonl").open()]
    for path in sorted((ROOT / "bot" / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            lines = [line.strip() for line in block.get("examples", "").splitlines()]
            texts += [line[2:] for line in lines if line.startswith("- ")]
    return texts


def test_same_tokens_and_lemmas_without_the_entity_recogniser() -> None:
    texts = _messages()
    assert len(texts) > 100
    check = ROOT / "tests" / "support" / "rasa_spacy_check.py"
    command = [str(ROOT / ".venv-rasa" / "bin" / "python"), str(check), *texts]
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "ner" in report["rasa_pipes"] and "ner" not in report["our_pipes"]
    assert "lemmatizer" in report["our_pipes"]  # the word n-grams read lemmas
    assert report["differ"] == []
    assert report["lemmatized"] > 0
    # fr_core_news_sm has no word vectors, so Rasa's SpacyFeaturizer would add nothing (config.yml omits it)
    assert report["vectors_length"] == 0


def test_config_uses_the_loader() -> None:
    pipeline = [component["name"] for component in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]]
    assert pipeline[:2] == ["bot.spacy_nlp.SpacyNLPWithoutNER", "SpacyTokenizer"]
