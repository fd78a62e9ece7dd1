"""Finding the vetted answer for a message, or saying honestly that there is none.

Two signals are fused per entry:
- dense: cosine similarity between the message and the entry's closest text (title, each
  question, each claim, the answer), max-pooled per entry, from the FAISS index;
- lexical: BM25 (bm25s) over the entry's texts after accent folding and SMS expansion, divided
  by the query's own ceiling (the sum of its terms' IDF) so that it is an absolute 0-1 score
  rather than a per-query rank, which is what lets one threshold decide `answerable`.

fused = dense + lexical_weight * lexical. A message in a language most entries are not written in
(Spanish, Portuguese, Arabic: `crosslingual_languages`) is scored dense + crosslingual_weight x
the cross-lingual encoder's cosine - crosslingual_offset instead (`crosslingual.py` says why):
BM25 over French-folded words only adds noise to it, and the offset puts the sum on the fused
score's scale, so that one answer threshold serves every language and scores stay comparable.
Topics are ranked by their best entry in any language, then the entry is chosen in the person's
language, else French, else English: a Portuguese question about breastfeeding finds the French
entry rather than nothing.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import bm25s
import numpy as np

from knowledge_base.crosslingual import CrossLingualIndex, MissingEncoder, UseEncoder
from knowledge_base.embedders import Embedder, get_embedder
from knowledge_base.index import IndexSnapshot, current_snapshot_name, load_snapshot
from knowledge_base.schema import Entry, SearchHit
from passerelle.settings import Settings
from passerelle.text import content_tokens, has_letters

log = logging.getLogger(__name__)

Mode = Literal["fused", "dense", "lexical"]
DENSE_CANDIDATES = 256
LEXICAL_CANDIDATES = 30
CROSSLINGUAL_CANDIDATES = 30
FALLBACK_ORDER = ("fr", "en")


@dataclass
class SearchResult:
    """What the assistant needs to answer one message."""

    text: str
    language: str
    answerable: bool
    hits: list[SearchHit]
    entry: Entry | None = None
    fallback_language: bool = False
    scores: dict[str, float] = field(default_factory=dict)


class LexicalIndex:
    """BM25 over each entry's folded texts, with an absolute 0-1 score."""

    def __init__(self, entries: list[Entry]) -> None:
        corpus = [content_tokens(" ".join([e.title, *e.questions, *e.claims, e.answer_sms])) or ["_"]
                  for e in entries]
        self._bm25 = bm25s.BM25(method="lucene")
        self._bm25.index(corpus, show_progress=False) if corpus else None
        self._n = len(corpus)
        self._df: dict[str, int] = {}
        for doc in corpus:
            for token in set(doc):
                self._df[token] = self._df.get(token, 0) + 1

    def _idf(self, token: str) -> float:
        df = self._df.get(token, 0)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def scores(self, text: str) -> np.ndarray:
        """Per-entry lexical score in [0, 1)."""
        query = list(dict.fromkeys(content_tokens(text)))
        if not query or self._n == 0:
            return np.zeros(self._n, dtype=np.float32)
        known = [t for t in query if t in self._df]
        raw = np.asarray(self._bm25.get_scores(known), dtype=np.float32) if known else np.zeros(self._n, np.float32)
        ceiling = sum(self._idf(t) for t in query)
        return raw / max(ceiling, 1e-6)


@functools.lru_cache(maxsize=1)
def shared_encoder() -> UseEncoder | None:
    """One cross-lingual encoder per process (every searcher, draft previews included, shares its
    model); None, logged, when its package is missing."""
    try:
        return UseEncoder()
    except MissingEncoder as exc:
        log.warning("cross-lingual search off: %s", exc)
        return None


class Searcher:
    """Search over the snapshot in use; reloads itself when a new index is published."""

    def __init__(self, settings: Settings, index_root: Path | None = None,
                 embedder: Embedder | None = None, snapshot: IndexSnapshot | None = None) -> None:
        """`snapshot` pins the searcher on an in-memory index (an editor's "try it" with a draft)."""
        self.settings = settings
        self.index_root = index_root or settings.index_dir
        self.embedder = embedder or get_embedder(settings.embedder, settings.embedder_model,
                                                 settings.embedder_threads)
        self._lock = threading.Lock()
        self._snapshot: IndexSnapshot | None = None
        self._lexical: LexicalIndex | None = None
        self._crosslingual: CrossLingualIndex | None = None
        self._loaded_name: str | None = None
        self._pinned = snapshot is not None
        if snapshot is not None:
            self._snapshot, self._lexical = snapshot, LexicalIndex(snapshot.entries)
            self._crosslingual = self._crosslingual_index(snapshot)
        self.reload_if_changed()

    @property
    def snapshot(self) -> IndexSnapshot:
        """The snapshot in use (loaded at start, swapped by `reload_if_changed`)."""
        if self._snapshot is None:
            raise FileNotFoundError(f"no index under {self.index_root}")
        return self._snapshot

    def reload_if_changed(self) -> bool:
        """Swap to the snapshot `CURRENT` names if it is new; the old one serves until then."""
        name = None if self._pinned else current_snapshot_name(self.index_root)
        if name is None or name == self._loaded_name:
            return False
        try:
            snapshot = load_snapshot(self.index_root, name)
        except (OSError, ValueError, RuntimeError) as exc:
            # Pruned under our feet by rapid rebuilds, or half-copied: keep serving the old one.
            log.warning("knowledge-base index %s not loaded (%s); keeping the previous one", name, exc)
            return False
        lexical = LexicalIndex(snapshot.entries)
        crosslingual = self._crosslingual_index(snapshot)
        with self._lock:
            self._snapshot, self._lexical, self._crosslingual, self._loaded_name = (
                snapshot, lexical, crosslingual, name)
        log.info("knowledge-base index loaded: %s entries", len(snapshot.entries))
        return True

    def _crosslingual_index(self, snapshot: IndexSnapshot) -> CrossLingualIndex | None:
        if not self.settings.crosslingual_languages:
            return None
        encoder = shared_encoder()
        return CrossLingualIndex(snapshot.entries, encoder, snapshot.path.parent) if encoder is not None else None

    def _dense_scores(self, snapshot: IndexSnapshot, query_vector: np.ndarray) -> dict[int, float]:
        k = min(DENSE_CANDIDATES, snapshot.faiss_index.ntotal)
        if k == 0:
            return {}
        _, ids = snapshot.faiss_index.search(query_vector[None, :], k)
        found = ids[0][ids[0] >= 0]
        # FAISS finds the candidates; their scores come from the float vectors, because an
        # approximate index stores quantised codes whose scores are a little off.
        sims = snapshot.vectors[found] @ query_vector
        best: dict[int, float] = {}
        for sim, vid in zip(sims, found, strict=True):
            owner = int(snapshot.owners[vid])
            best[owner] = max(best.get(owner, -1.0), float(sim))
        return best

    def _exact_dense(self, snapshot: IndexSnapshot, entry_idx: int, query_vector: np.ndarray) -> float:
        start, end = snapshot.offsets[entry_idx], snapshot.offsets[entry_idx + 1]
        return float(np.max(snapshot.vectors[start:end] @ query_vector)) if end > start else 0.0

    def pick_variant(self, topic: str, language: str,
                     snapshot: IndexSnapshot | None = None) -> tuple[Entry | None, bool]:
        """The live entry of `topic` in `language`, else French, else English (fallback flag).

        A search passes the snapshot it ranked with, so a swap in between cannot mix two indexes.
        """
        variants = {e.language: e for e in (snapshot or self.snapshot).entries if e.topic == topic}
        if language in variants:
            return variants[language], False
        for lang in FALLBACK_ORDER:
            if lang in variants:
                return variants[lang], True
        if variants:
            return next(iter(variants.values())), True
        return None, False

    def search(self, text: str, language: str = "fr", top_k: int | None = None,
               mode: Mode = "fused", threshold: float | None = None,
               query_vector: np.ndarray | None = None) -> SearchResult:
        """Rank topics for `text` and decide whether the best one answers it.

        `query_vector`: this searcher's embedder's vector of `text` (stripped), when another step
        already computed it (`knowledge_base/query_embedding.py`); otherwise `text` is embedded here.
        """
        top_k = top_k or self.settings.top_k
        with self._lock:
            snapshot, lexical, crosslingual = self._snapshot, self._lexical, self._crosslingual
        if snapshot is None or lexical is None:
            raise FileNotFoundError(f"no index under {self.index_root}: run `passerelle kb build`")
        query = text.strip()
        if len(query) < self.settings.min_query_chars or not has_letters(query):
            return SearchResult(text=text, language=language, answerable=False, hits=[])

        cross = (mode == "fused" and crosslingual is not None
                 and language in self.settings.crosslingual_languages)
        candidates: dict[int, dict[str, float]] = {}
        if mode in ("fused", "dense"):
            qv = query_vector if query_vector is not None else self.embedder.embed_queries([query])[0]
            for idx, score in self._dense_scores(snapshot, qv).items():
                candidates.setdefault(idx, {})["dense"] = score
        if cross:
            assert crosslingual is not None
            use = crosslingual.scores(query)
            for idx in np.argsort(-use)[:CROSSLINGUAL_CANDIDATES]:
                candidates.setdefault(int(idx), {})
            for idx, parts in candidates.items():
                parts["crosslingual"] = float(use[idx])
                if "dense" not in parts:
                    parts["dense"] = self._exact_dense(snapshot, idx, qv)
        elif mode in ("fused", "lexical"):
            lex = lexical.scores(query)
            order = np.argsort(-lex)[:LEXICAL_CANDIDATES]
            for idx in order:
                if lex[idx] > 0:
                    candidates.setdefault(int(idx), {})["lexical"] = float(lex[idx])
            if mode == "fused":
                for idx, parts in candidates.items():
                    parts.setdefault("lexical", float(lex[idx]))
                    if "dense" not in parts:
                        parts["dense"] = self._exact_dense(snapshot, idx, qv)

        weight = self.settings.lexical_weight
        topic_best: dict[str, tuple[float, int, dict[str, float]]] = {}
        for idx, parts in candidates.items():
            if cross:
                score = (parts["dense"] + self.settings.crosslingual_weight * parts["crosslingual"]
                         - self.settings.crosslingual_offset)
            elif mode == "fused":
                score = parts["dense"] + weight * parts["lexical"]
            else:
                score = parts.get(mode, 0.0)
            topic = snapshot.entries[idx].topic
            if topic not in topic_best or score > topic_best[topic][0]:
                topic_best[topic] = (score, idx, parts)

        ranked = sorted(topic_best.items(), key=lambda item: -item[1][0])[:top_k]
        hits: list[SearchHit] = []
        for topic, (score, idx, _parts) in ranked:
            entry, _ = self.pick_variant(topic, language, snapshot)
            shown = entry or snapshot.entries[idx]
            hits.append(SearchHit(id=shown.id, topic=topic, title=shown.title, score=round(score, 4),
                                  language=shown.language, kind=shown.kind))
        limit = self.settings.answer_threshold if threshold is None else threshold
        answerable = bool(hits) and hits[0].score >= limit
        best_entry, fallback = (self.pick_variant(hits[0].topic, language, snapshot) if hits else (None, False))
        scores = dict(ranked[0][1][2]) if ranked else {}
        return SearchResult(text=text, language=language, answerable=answerable, hits=hits,
                            entry=best_entry if answerable else None,
                            fallback_language=fallback if answerable else False, scores=scores)
