"""The baseline a Rasa user would pick: retrieval intents + ResponseSelector on the same questions.

A throwaway Rasa project is written under the evaluation's work folder: one retrieval intent
`faq/<topic>` per knowledge-base topic whose examples are the entries' questions, one response
per topic (the entry's SMS answer), and the FAQ pipeline of Rasa's documentation
(`evaluation/data/rasa_faq_config.yml`). It is trained with the project's own Rasa, served by
`rasa run --enable-api` on 127.0.0.1, and asked through `POST /model/parse`, exactly what
`rasa shell nlu` does. The ranking and confidences it returns go through the same scoring as
our search (evaluation/retrieval.py).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from evaluation.processes import Finished, Server, run_measured
from evaluation.retrieval import Ranker
from knowledge_base.schema import Entry
from passerelle.stack import RASA_BIN, rasa_base_env

CONFIG = Path(__file__).resolve().parent / "data" / "rasa_faq_config.yml"
RETRIEVAL_INTENT = "faq"
MODEL_NAME = "faq"
TRAIN_TIMEOUT_S = 1800
READY_TIMEOUT_S = 300


@dataclass
class FaqProject:
    """Where the throwaway project lives, and what went into it."""

    root: Path
    topics: int
    examples: int
    languages: list[str] | None  # None: every language

    def selector(self) -> dict[str, Any]:
        """The ResponseSelector's epochs and seed, as configured: the report states them."""
        config = yaml.safe_load((self.root / "config.yml").read_text(encoding="utf-8"))
        step = next(s for s in config["pipeline"] if s["name"] == "ResponseSelector")
        return {"epochs": step.get("epochs"), "random_seed": step.get("random_seed")}

    @property
    def model(self) -> Path:
        return self.root / "models" / f"{MODEL_NAME}.tar.gz"

    @property
    def log(self) -> Path:
        return self.root / "rasa.log"

    @property
    def stamp(self) -> Path:
        """The fingerprint of the inputs the model was trained on."""
        return self.root / "models" / f"{MODEL_NAME}.inputs-sha256"

    def inputs_digest(self) -> str:
        """Config, domain and examples: what the trained model depends on."""
        digest = hashlib.sha256()
        for name in ("config.yml", "domain.yml", "data/nlu.yml"):
            digest.update(name.encode())
            digest.update((self.root / name).read_bytes())
        return digest.hexdigest()


def faq_examples(entries: list[Entry], languages: tuple[str, ...] | None) -> dict[str, list[str]]:
    """Per topic, the questions of its entries in `languages` (all when None).

    An entry without questions (possible in an imported FAQ) contributes its title, so that
    every topic can be learnt. A text that already belongs to another topic is dropped: Rasa
    refuses one example under two intents.
    """
    examples: dict[str, list[str]] = {}
    seen: set[str] = set()
    for entry in sorted(entries, key=lambda e: (e.topic, e.language)):
        if not entry.is_live or (languages is not None and entry.language not in languages):
            continue
        for text in entry.questions or [entry.title]:
            line = " ".join(text.split())
            if line and line not in seen:
                seen.add(line)
                examples.setdefault(entry.topic, []).append(line)
    return examples


def write_project(entries: list[Entry], languages: tuple[str, ...] | None, root: Path,
                  config: str | None = None) -> FaqProject:
    """Config (`config`'s text, default CONFIG), domain (one response per topic) and NLU data
    (one retrieval intent per topic)."""
    shutil.rmtree(root / "data", ignore_errors=True)  # the model stays: `train` reuses it if nothing changed
    (root / "data").mkdir(parents=True)
    (root / "config.yml").write_text(CONFIG.read_text(encoding="utf-8") if config is None else config,
                                     encoding="utf-8")
    examples = faq_examples(entries, languages)
    answers: dict[str, str] = {}
    for entry in sorted(entries, key=lambda e: e.language != "fr"):
        answers.setdefault(entry.topic, entry.answer_sms)
    domain = {"version": "3.1", "intents": [RETRIEVAL_INTENT],
              "responses": {f"utter_{RETRIEVAL_INTENT}/{topic}": [{"text": answers[topic]}] for topic in examples}}
    (root / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False), encoding="utf-8")
    blocks = [f"- intent: {RETRIEVAL_INTENT}/{topic}\n  examples: |\n" + "".join(f"    - {t}\n" for t in texts)
              for topic, texts in examples.items()]
    (root / "data" / "nlu.yml").write_text('version: "3.1"\nnlu:\n' + "".join(blocks), encoding="utf-8")
    return FaqProject(root, len(examples), sum(len(v) for v in examples.values()),
                      list(languages) if languages is not None else None)


def train(project: FaqProject) -> Finished | None:
    """`rasa train nlu` on the project; returns its wall-clock and CPU time, or None when the
    model of these very inputs is already there (training takes minutes, most of a first full
    report's time, and re-running the report on unchanged content is the common case)."""
    digest = project.inputs_digest()
    if project.model.exists() and project.stamp.exists() and project.stamp.read_text() == digest:
        return None
    project.stamp.unlink(missing_ok=True)
    with project.log.open("ab") as out:
        finished = run_measured(
            [str(RASA_BIN), "train", "nlu", "--config", "config.yml", "--domain", "domain.yml", "--nlu", "data",
             "--out", "models", "--fixed-model-name", MODEL_NAME],
            out, rasa_base_env(), project.root, TRAIN_TIMEOUT_S)
    if finished.returncode != 0 or not project.model.exists():
        raise RuntimeError(f"rasa train nlu failed; see {project.log}")
    project.stamp.write_text(digest)
    return finished


def parse_ranking(parsed: dict[str, object]) -> list[tuple[str, float]]:
    """Topics ranked by the ResponseSelector, best first, from a `/model/parse` answer."""
    selector = parsed.get("response_selector")
    block = selector.get(RETRIEVAL_INTENT) if isinstance(selector, dict) else None
    ranking = block.get("ranking", []) if isinstance(block, dict) else []
    prefix = f"{RETRIEVAL_INTENT}/"
    return [(str(item["intent_response_key"]).removeprefix(prefix), float(item["confidence"]))
            for item in ranking if isinstance(item, dict) and "intent_response_key" in item]


@contextmanager
def served(project: FaqProject, port: int) -> Iterator[tuple[Ranker, Server]]:
    """A ranker backed by the trained model served on 127.0.0.1:`port`; the server stops after."""
    url = f"http://127.0.0.1:{port}/model/parse"
    command = [str(RASA_BIN), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(port),
               "--model", str(project.model)]
    server = Server("rasa-faq", command, project.log, rasa_base_env(), cwd=project.root)
    with httpx.Client(timeout=60) as client, server:

        def ready() -> bool:
            try:
                return bool(parse_ranking(client.post(url, json={"text": "bonjour"}).json()))
            except (httpx.HTTPError, ValueError):
                return False

        server.wait_until(ready, READY_TIMEOUT_S)

        def rank(text: str) -> list[tuple[str, float]]:
            response = client.post(url, json={"text": text})
            response.raise_for_status()
            return parse_ranking(response.json())

        yield rank, server
