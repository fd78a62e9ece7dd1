"""What trains the learned triage models (`learned.py`): labelled messages kept in the repository,
and the knowledge base itself.

Labelled messages (all invented by the team, none from a real user), tuning material only:
- urgency: `evaluation/data/urgency_tune.jsonl`, `urgency_holdout.jsonl`, `urgency_blind.jsonl`,
  `urgency_blind2.jsonl`, `urgency_blind3.jsonl`, `urgency_blind4.jsonl`, `urgency_blind5.jsonl`,
  `urgency_blind6.jsonl`, `urgency_blind7.jsonl`, `urgency_blind9.jsonl`, `urgency_blind10.jsonl`,
  `urgency_extra.yaml` and
  `passerelle/triage/data/urgency_examples.yaml`: emergencies with their category,
  alarming-but-harmless messages, ordinary ones; `passerelle/triage/data/everyday.yaml`:
  everyday messages about plans, the weather and appointments;
- myths: `evaluation/data/myth_tune.jsonl`, `myth_holdout.jsonl`, `myth_blind.jsonl`,
  `myth_blind2.jsonl`, `myth_blind3.jsonl`, `myth_blind4.jsonl`, `myth_blind5.jsonl`,
  `myth_blind6.jsonl`, `myth_blind7.jsonl`, `myth_blind8.jsonl`, `myth_blind9.jsonl`,
  `myth_blind10.jsonl` and `passerelle/triage/data/myth_examples.yaml`:
  claims with their myth topic, sincere questions on the same subjects, ordinary messages.
The holdout and blind files were written apart to measure, but each was run and its errors read
(holdout before triage v3, blind after it, blind2 after v4, blind3 after v5, blind4 after v6, blind5
after v7, blind6 after v8, blind7 after v9, blind8 after v10, blind9 after v11, blind10 after
v11.1), so they no longer measure anything new: they are tuning material like the others (holdout
and blind since triage v4, blind2 since v5, blind3 since v6, blind4 since v7, blind5 since v8, blind6
since v9, blind7 and blind8 since v11, blind9 since v11.1, blind10 since triage v11.2). Every
labelled message is a negative example for the other task (a myth claim is not an emergency). The
test files (`evaluation/data/*_test.jsonl`) never train: they measure how the models do on messages
written apart from these (partly in-sample for the patterns since the v10 gate fix), until the next
blind set. The lists below name every file by hand, never by a glob: a blind set written apart and
dropped into `evaluation/data/` (blind11 measures v11.2) must not train before it has been run.

From the index snapshot (its vectors are reused, nothing is embedded twice):
- the questions of urgent entries are emergencies of the entry's first category, except those
  asking for information ("c'est quoi le numéro du SAMU ?"), which are harmless;
- the claims and questions of myth entries repeat their myth;
- the titles and questions of every other entry are ordinary;
- and, embedded once and cached like the labelled messages, those questions again with a time
  said before or after them ("demain, comment changer de médecin traitant ?", from the
  `time_phrases` of `everyday.yaml`): emergencies say "demain", "ce soir", "tonight" far more
  often than the other examples, and a model trained on them alone took "il fera beau demain ?"
  for suicide.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base.schema import Kind
from passerelle.settings import ROOT
from passerelle.triage.references import KnowledgeView
from passerelle.yaml_load import safe_load

EVALUATION_DATA = ROOT / "evaluation" / "data"
OWN_DATA = Path(__file__).with_name("data")
EVERYDAY_FILE = OWN_DATA / "everyday.yaml"
URGENCY_FILES: tuple[Path, ...] = (
    EVALUATION_DATA / "urgency_tune.jsonl",
    EVALUATION_DATA / "urgency_holdout.jsonl",
    EVALUATION_DATA / "urgency_blind.jsonl",
    EVALUATION_DATA / "urgency_blind2.jsonl",
    EVALUATION_DATA / "urgency_blind3.jsonl",
    EVALUATION_DATA / "urgency_blind4.jsonl",
    EVALUATION_DATA / "urgency_blind5.jsonl",
    EVALUATION_DATA / "urgency_blind6.jsonl",
    EVALUATION_DATA / "urgency_blind7.jsonl",
    EVALUATION_DATA / "urgency_blind9.jsonl",
    EVALUATION_DATA / "urgency_blind10.jsonl",
    EVALUATION_DATA / "urgency_extra.yaml",
    OWN_DATA / "urgency_examples.yaml",
    EVERYDAY_FILE,
)
MYTH_FILES: tuple[Path, ...] = (
    EVALUATION_DATA / "myth_tune.jsonl",
    EVALUATION_DATA / "myth_holdout.jsonl",
    EVALUATION_DATA / "myth_blind.jsonl",
    EVALUATION_DATA / "myth_blind2.jsonl",
    EVALUATION_DATA / "myth_blind3.jsonl",
    EVALUATION_DATA / "myth_blind4.jsonl",
    EVALUATION_DATA / "myth_blind5.jsonl",
    EVALUATION_DATA / "myth_blind6.jsonl",
    EVALUATION_DATA / "myth_blind7.jsonl",
    EVALUATION_DATA / "myth_blind8.jsonl",
    EVALUATION_DATA / "myth_blind9.jsonl",
    EVALUATION_DATA / "myth_blind10.jsonl",
    OWN_DATA / "myth_examples.yaml",
)
TRAINING_FILES = URGENCY_FILES + MYTH_FILES
KNOWLEDGE_BASE = "knowledge_base"
EVERYDAY = "everyday"
EVERYDAY_PER_LANGUAGE = 80  # ordinary questions given a time, per knowledge-base language


@dataclass(frozen=True)
class Example:
    """One training text with its labels for both tasks."""

    text: str
    urgent: bool
    category: str | None  # the urgency category when urgent
    myth: str | None  # the myth topic it repeats, if any
    group: str  # as in the labelled files (urgent, harmless, ordinary, claim, sincere) or "knowledge_base"
    source: str  # the file it comes from, or "knowledge_base"
    language: str = ""  # as labelled (fr, en, es, pt, ar, ar-fr); "" when the source does not say

    @property
    def harmless(self) -> bool:
        """Alarming words, harmless meaning: the hard negatives of urgency, weighted up."""
        return self.group == "harmless"


def _records(path: Path) -> list[dict[str, Any]]:
    """The labelled items of a file: JSON Lines, a YAML list, or a YAML mapping's `messages`."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = safe_load(text) or []
    return list(data["messages"] if isinstance(data, dict) else data)


def _urgency_example(record: dict[str, Any], source: str) -> Example:
    category = record.get("category")
    return Example(text=str(record["text"]), urgent=category is not None, category=category, myth=None,
                   group=str(record.get("group") or ("urgent" if category else "ordinary")), source=source,
                   language=str(record.get("lang") or ""))


def _myth_example(record: dict[str, Any], source: str) -> Example:
    myth = record.get("myth")
    return Example(text=str(record["text"]), urgent=False, category=None, myth=myth,
                   group=str(record.get("group") or ("claim" if myth else "ordinary")), source=source,
                   language=str(record.get("lang") or ""))


def labelled_examples(urgency_files: Iterable[Path] = URGENCY_FILES,
                      myth_files: Iterable[Path] = MYTH_FILES) -> list[Example]:
    """The labelled messages of the files that exist (a deployment may ship without some)."""
    examples: list[Example] = []
    for path in urgency_files:
        if path.is_file():
            examples += [_urgency_example(r, path.name) for r in _records(path)]
    for path in myth_files:
        if path.is_file():
            examples += [_myth_example(r, path.name) for r in _records(path)]
    return examples


def files_digest(paths: Iterable[Path] = TRAINING_FILES) -> str:
    """A hash of the training files' names and bytes: the cached model is reused while it is unchanged."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode("utf-8"))
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def knowledge_examples(view: KnowledgeView,
                       is_emergency_question: Callable[[str], bool]) -> tuple[list[Example], np.ndarray]:
    """Examples from the snapshot's entries, with the vectors the index already holds.

    An entry's vectors are laid out as `knowledge_base.index.entry_texts` produces them: title,
    questions, claims, then the answer. Titles of urgent and myth entries are left out: they
    name a subject ("Signes d'un AVC") rather than say it happens.
    """
    snapshot = view.snapshot
    examples: list[Example] = []
    rows: list[int] = []
    for i, entry in enumerate(snapshot.entries):
        start = int(snapshot.offsets[i])
        texts = [entry.title, *entry.questions, *entry.claims]
        for part, text in enumerate(texts):
            if part == 0 and entry.kind in (Kind.urgent, Kind.myth):
                continue
            if entry.kind is Kind.urgent and part <= len(entry.questions):
                urgent = is_emergency_question(text) and bool(entry.urgency_categories)
                example = Example(text, urgent, entry.urgency_categories[0] if urgent else None, None,
                                  KNOWLEDGE_BASE, KNOWLEDGE_BASE)
            elif entry.kind is Kind.myth:
                example = Example(text, False, None, entry.topic, KNOWLEDGE_BASE, KNOWLEDGE_BASE)
            else:
                example = Example(text, False, None, None, KNOWLEDGE_BASE, KNOWLEDGE_BASE)
            examples.append(example)
            rows.append(start + part)
    vectors = snapshot.vectors[np.asarray(rows, dtype=np.int64)] if rows else np.zeros((0, snapshot.vectors.shape[1]))
    return examples, np.asarray(vectors, dtype=np.float32)


def _with_time(question: str, phrase: str, before: bool) -> str:
    """An ordinary question said with a time: "demain, comment ... ?" or "comment ... demain ?"."""
    stem = question.strip().rstrip("?？؟ ").strip()
    mark = "؟" if "؟" in question else "?"
    return f"{phrase}, {stem} {mark}" if before else f"{stem} {phrase} {mark}"


def everyday_examples(view: KnowledgeView, path: Path = EVERYDAY_FILE,
                      per_language: int = EVERYDAY_PER_LANGUAGE) -> list[Example]:
    """Ordinary knowledge-base questions with a time phrase of their language (deterministic:
    evenly spaced questions, phrases and word order in turn); none when the file is missing."""
    if not path.is_file():
        return []
    phrases: dict[str, list[str]] = (safe_load(path.read_text(encoding="utf-8")) or {}).get("time_phrases", {})
    examples: list[Example] = []
    for language, times in phrases.items():
        questions = [q for e in view.snapshot.entries
                     if e.language == language and e.kind not in (Kind.urgent, Kind.myth) for q in e.questions]
        if not questions or not times:
            continue
        step = max(1, len(questions) // per_language)
        for n, question in enumerate(questions[::step][:per_language]):
            text = _with_time(question, str(times[n % len(times)]), before=n % 2 == 0)
            examples.append(Example(text, False, None, None, "ordinary", EVERYDAY))
    return examples
