"""The parts of an index snapshot that triage compares messages with.

Triage reuses the vectors the index already holds (no second embedding of the knowledge base):
the questions of urgent entries, the claims of myth entries, and the titles and questions of
every other entry, against which a message must stand out to count as urgent or as a myth.
Built once per snapshot and swapped when the searcher loads a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from knowledge_base.index import IndexSnapshot
from knowledge_base.schema import Entry, Kind
from knowledge_base.search import LexicalIndex


@dataclass(frozen=True)
class Rows:
    """Some of the snapshot's vectors, with the entry each one belongs to."""

    rows: np.ndarray  # indices into the snapshot's vectors
    entries: np.ndarray  # index into the snapshot's entries, per row

    def best(self, similarities: np.ndarray) -> tuple[float, int | None]:
        """The highest similarity among these rows and the entry it belongs to."""
        if len(self.rows) == 0:
            return 0.0, None
        scores = similarities[self.rows]
        top = int(np.argmax(scores))
        return float(scores[top]), int(self.entries[top])


def _rows(snapshot: IndexSnapshot, keep: Callable[[Entry], bool],
          parts: Callable[[Entry], list[int]]) -> Rows:
    """Rows of the entries `keep` accepts; `parts` gives offsets within an entry's vectors.

    An entry's vectors are laid out as `knowledge_base.index.entry_texts` produces them:
    title, questions, claims, then the answer.
    """
    rows: list[int] = []
    owners: list[int] = []
    for i, entry in enumerate(snapshot.entries):
        if keep(entry):
            start = int(snapshot.offsets[i])
            offsets = parts(entry)
            rows += [start + p for p in offsets]
            owners += [i] * len(offsets)
    return Rows(np.asarray(rows, dtype=np.int64), np.asarray(owners, dtype=np.int64))


def _question_parts(entry: Entry) -> list[int]:
    return list(range(1, 1 + len(entry.questions)))


def _claim_parts(entry: Entry) -> list[int]:
    first = 1 + len(entry.questions)
    return list(range(first, first + len(entry.claims)))


def _title_and_question_parts(entry: Entry) -> list[int]:
    return list(range(0, 1 + len(entry.questions)))


@dataclass(frozen=True)
class KnowledgeView:
    """One snapshot as triage sees it."""

    snapshot: IndexSnapshot
    urgent_questions: Rows
    not_urgent: Rows  # titles and questions of every entry that is not urgent
    claims: Rows
    not_myth: Rows  # titles and questions of every entry that is not a myth
    lexical: LexicalIndex
    is_myth: np.ndarray  # per entry

    @classmethod
    def build(cls, snapshot: IndexSnapshot, keep_question: Callable[[str], bool]) -> KnowledgeView:
        """`keep_question` drops urgent questions that are not emergencies themselves.

        Urgent entries also answer "c'est quoi le numéro du SAMU ?"; a message close to that is
        a question about numbers, not an emergency, so it must not pull messages over the
        similarity threshold.
        """
        urgent_rows = _rows(snapshot, lambda e: e.kind is Kind.urgent, lambda e: [
            p for p, q in zip(_question_parts(e), e.questions, strict=True) if keep_question(q)])
        return cls(
            snapshot=snapshot,
            urgent_questions=urgent_rows,
            not_urgent=_rows(snapshot, lambda e: e.kind is not Kind.urgent, _title_and_question_parts),
            claims=_rows(snapshot, lambda e: e.kind is Kind.myth, _claim_parts),
            not_myth=_rows(snapshot, lambda e: e.kind is not Kind.myth, _title_and_question_parts),
            lexical=LexicalIndex(snapshot.entries),
            is_myth=np.asarray([e.kind is Kind.myth for e in snapshot.entries], dtype=bool),
        )

    def topic_entries(self, topic: str) -> np.ndarray:
        """Which entries belong to `topic` (every language), as a mask."""
        return np.asarray([e.topic == topic for e in self.snapshot.entries], dtype=bool)

    def similarities(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of the message with every vector of the snapshot."""
        return np.asarray(self.snapshot.vectors @ query_vector, dtype=np.float32)
