"""The one entry point the gateway, the Rasa actions and the CLI call to triage a message.

Triage must answer for every message, even when things go wrong: an empty text, a 10,000
character paste, emoji, control bytes, no index built yet, or an embedding failure. In those
cases the curated patterns still run (they need nothing but the text), so an emergency is still
recognised; only the learned, similarity and myth evidence is skipped. The learned models are
trained (or loaded from their cache, `model_store.py`) with each new index snapshot; if that
fails, triage goes on with the patterns and similarity alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np

from knowledge_base.embedders import Embedder
from knowledge_base.query_embedding import QueryEmbedding
from knowledge_base.schema import Entry, Kind
from knowledge_base.search import Searcher
from passerelle.language import SUPPORTED, detect_language
from passerelle.settings import Settings
from passerelle.text import clean_inbound, has_letters
from passerelle.triage.cues import load_cues
from passerelle.triage.learned import LearnedTriage
from passerelle.triage.model_store import load_or_train
from passerelle.triage.myth import NO_MYTH, gather_evidence, myth_verdict
from passerelle.triage.patterns import load_patterns
from passerelle.triage.references import KnowledgeView
from passerelle.triage.urgency import ModelCutoffs, closest_urgent, combined_verdict, urgency_verdict
from passerelle.triage.verdicts import MythVerdict, TriageVerdict

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 10_000  # what triage reads of one message
EMBED_CHARS = 500  # what the embedding sees: its cost grows with length, the gist comes first
LANGUAGE_CHARS = 1_000
GENERAL_EMERGENCY_TOPIC = "numeros-urgence"
# From this length a message of several clauses also has each clause read by the urgency model
# (`clauses_to_read`): most SMS are shorter, so the extra embeddings are rare.
LONG_MESSAGE_CHARS = 120
MAX_CLAUSES = 6  # clauses read at most (the first ones): the cost of a long paste stays bounded
# Vetoes that make an urgent entry's own question unfit as a similarity reference.
NOT_AN_EMERGENCY = frozenset({"information", "hypothetical", "prevention", "media"})
ModelSource = Callable[[KnowledgeView, Embedder, Callable[[str], bool]], LearnedTriage | None]


class Triage:
    """Urgency and misinformation verdicts for messages, from one index snapshot at a time."""

    def __init__(self, settings: Settings, searcher: Searcher | None = None,
                 learn: ModelSource = load_or_train) -> None:
        """`learn` gives the learned models of a snapshot; the cross-validation passes models
        trained without the messages it measures."""
        self.settings = settings
        self.learn = learn
        self.searcher = searcher if searcher is not None else Searcher(settings)
        self.patterns = load_patterns()
        self.cues = load_cues()
        self.cutoffs = ModelCutoffs(urgent=settings.urgency_model_threshold,
                                    calm=settings.urgency_model_calm_threshold,
                                    veto=settings.urgency_model_veto_threshold)
        self._view: KnowledgeView | None = None
        self._model: LearnedTriage | None = None
        self._lock = threading.Lock()  # one training at a time when gateway threads start together

    def _knowledge(self) -> tuple[KnowledgeView | None, LearnedTriage | None]:
        """The view of the searcher's current snapshot and its learned models, renewed with it."""
        try:
            snapshot = self.searcher.snapshot
        except FileNotFoundError:
            return None, None
        with self._lock:
            view = self._view
            if view is None or view.snapshot is not snapshot:
                view = KnowledgeView.build(snapshot, self.is_emergency_question)
                self._model = self._learn(view)
                self._view = view
            return view, self._model

    def prepare(self) -> bool:
        """Load (or train and keep) the current snapshot's learned models now, so that no message
        waits for them; True when they are ready. `passerelle train` and `make run` call this."""
        return self._knowledge()[1] is not None

    def _learn(self, view: KnowledgeView) -> LearnedTriage | None:
        try:
            return self.learn(view, self.searcher.embedder, self.is_emergency_question)
        except Exception:  # triage must go on: patterns and similarity still answer
            log.exception("triage models could not be trained; using patterns and similarity only")
            return None

    def is_emergency_question(self, question: str) -> bool:
        """Whether an urgent entry's question describes an emergency rather than asks about one."""
        return not (self.patterns.read(question).vetoes & NOT_AN_EMERGENCY)

    def clauses_to_read(self, text: str) -> list[str]:
        """The clauses of a long message that the urgency model reads on their own, besides the
        whole message; none for a short one or a single clause.

        Why: an emergency told after a paperwork question ("pour porter plainte il faut un
        certificat ? parce que là mon mari vient de me serrer le cou, j'ai du mal à avaler") is
        lost in the whole message's embedding, which the first and longest part dominates. Why
        not always: each clause costs an embedding (one batched call for all of them), and a
        short message is one thought anyway, and the shorter the clause the less context the
        model has: out of fold (5-fold, 1,798 emergencies, 1,409 harmless messages, after the v9
        patterns), from 120 characters the clauses catch 2 more emergencies for no false alarm;
        from 80, 3 more for 1 more false alarm (a joke ending "je meurs"; 2 before the clauses
        with a calming context of their own were left out, `_plain`), and on the dev set "pas les
        urgences mais j'ai très mal à l'oreille", read alone, was an alarm.
        """
        if len(text) < LONG_MESSAGE_CHARS:
            return []
        clauses = [c[:EMBED_CHARS] for c in self.patterns.clauses(text) if has_letters(c)]
        if len(clauses) < 2:
            return []
        return [c for c in clauses[:MAX_CLAUSES] if self._plain(c)]

    def _plain(self, clause: str) -> bool:
        """Whether a clause says nothing calming of its own (a past event, a question asked for
        information, an idiom): read alone, "mon père a eu un infarctus il y a deux ans" loses the
        rest of the message and the model takes it for an emergency; the whole message's reading
        still weighs it."""
        reading = self.patterns.read(clause)
        return not (reading.vetoes or reading.idiom)

    def _embed_clauses(self, clauses: list[str]) -> np.ndarray | None:
        if not clauses:
            return None
        try:
            return np.asarray(self.searcher.embedder.embed_queries(clauses))
        except Exception:  # the whole message's reading still answers
            log.exception("embedding the clauses failed; the whole message is read alone")
            return None

    def _embed(self, text: str) -> np.ndarray | None:
        if not has_letters(text):
            return None
        try:
            return np.asarray(self.searcher.embedder.embed_queries([text[:EMBED_CHARS]])[0])
        except Exception:  # the patterns must still answer if the model fails
            log.exception("embedding failed; triage falls back to patterns only")
            return None

    def assess(self, text: str, language: str | None = None) -> TriageVerdict:
        """Triage one message; `language` None means detect it."""
        text = clean_inbound(text if isinstance(text, str) else "", MAX_TEXT_CHARS)
        if language is None:
            language = detect_language(text[:LANGUAGE_CHARS],
                                       default=self.settings.default_language).language
        reading = self.patterns.read(text, language)
        cues = self.cues.read(text)
        view, model = self._knowledge()
        vector = self._embed(text) if view is not None else None
        if view is None or vector is None:
            urgency = urgency_verdict(reading, None, self.settings.urgency_similarity_threshold)
            return TriageVerdict(language=language, urgency=urgency, myth=NO_MYTH, rumour_cue=cues.rumour)
        similarities = view.similarities(vector)
        claim_reading = None
        if model is not None:
            clauses = self.clauses_to_read(text)
            urgency_reading, claim_reading = model.read(text[:EMBED_CHARS], vector, clauses,
                                                        self._embed_clauses(clauses))
            urgency = combined_verdict(reading, urgency_reading, self.cutoffs)
        else:
            urgency = urgency_verdict(reading, closest_urgent(view, similarities),
                                      self.settings.urgency_similarity_threshold)
        myth: MythVerdict = myth_verdict(gather_evidence(text, view, similarities, cues),
                                         self.settings.myth_high_threshold, self.settings.myth_low_threshold,
                                         claim_reading)
        embedding = QueryEmbedding(text[:EMBED_CHARS], vector, self.searcher.embedder.name)
        return TriageVerdict(language=language, urgency=urgency, myth=myth, rumour_cue=cues.rumour,
                             embedding=embedding)

    def urgent_entry(self, category: str | None, language: str) -> Entry | None:
        """The urgent entry answering `category` in `language` (else French, else English).

        An unknown or missing category gets the general emergency-numbers entry, and so does a
        language we do not serve: someone who cannot read the French advice can still call the
        112 it leads with, whose operators take calls in many languages.
        """
        try:
            entries = self.searcher.snapshot.entries
        except FileNotFoundError:
            return None
        served = language in SUPPORTED
        topic = next((e.topic for e in entries
                      if served and e.kind is Kind.urgent and category in e.urgency_categories),
                     GENERAL_EMERGENCY_TOPIC)
        entry, _ = self.searcher.pick_variant(topic, language)
        return entry
