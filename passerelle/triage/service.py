"""The one entry point the gateway, the Rasa actions and the CLI call to triage a message.

Triage must answer for every message, even when things go wrong: an empty text, a 10,000
character paste, emoji, control bytes, no index built yet, or an embedding failure. In those
cases the curated patterns still run (they need nothing but the text), so an emergency is still
recognised; only the similarity and myth evidence is skipped.
"""

from __future__ import annotations

import logging

import numpy as np

from knowledge_base.schema import Entry, Kind
from knowledge_base.search import Searcher
from passerelle.language import detect_language
from passerelle.settings import Settings
from passerelle.text import clean_inbound, has_letters
from passerelle.triage.cues import load_cues
from passerelle.triage.myth import NO_MYTH, gather_evidence, myth_verdict
from passerelle.triage.patterns import load_patterns
from passerelle.triage.references import KnowledgeView
from passerelle.triage.urgency import closest_urgent, urgency_verdict
from passerelle.triage.verdicts import MythVerdict, TriageVerdict

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 10_000  # what triage reads of one message
EMBED_CHARS = 500  # what the embedding sees: its cost grows with length, the gist comes first
LANGUAGE_CHARS = 1_000
GENERAL_EMERGENCY_TOPIC = "numeros-urgence"
# Vetoes that make an urgent entry's own question unfit as a similarity reference.
NOT_AN_EMERGENCY = frozenset({"information", "hypothetical", "prevention", "media"})


class Triage:
    """Urgency and misinformation verdicts for messages, from one index snapshot at a time."""

    def __init__(self, settings: Settings, searcher: Searcher | None = None) -> None:
        self.settings = settings
        self.searcher = searcher if searcher is not None else Searcher(settings)
        self.patterns = load_patterns()
        self.cues = load_cues()
        self._view: KnowledgeView | None = None

    def _knowledge(self) -> KnowledgeView | None:
        """The view of the searcher's current snapshot, rebuilt when it swapped to a new one."""
        try:
            snapshot = self.searcher.snapshot
        except FileNotFoundError:
            return None
        view = self._view
        if view is None or view.snapshot is not snapshot:
            view = KnowledgeView.build(snapshot, self._is_emergency_question)
            self._view = view
        return view

    def _is_emergency_question(self, question: str) -> bool:
        return not (self.patterns.read(question).vetoes & NOT_AN_EMERGENCY)

    def _similarities(self, view: KnowledgeView, text: str) -> np.ndarray | None:
        if not has_letters(text):
            return None
        try:
            vector = self.searcher.embedder.embed_queries([text[:EMBED_CHARS]])[0]
        except Exception:  # the patterns must still answer if the model fails
            log.exception("embedding failed; triage falls back to patterns only")
            return None
        return view.similarities(vector)

    def assess(self, text: str, language: str | None = None) -> TriageVerdict:
        """Triage one message; `language` None means detect it."""
        text = clean_inbound(text if isinstance(text, str) else "", MAX_TEXT_CHARS)
        if language is None:
            language = detect_language(text[:LANGUAGE_CHARS],
                                       default=self.settings.default_language).language
        reading = self.patterns.read(text, language)
        cues = self.cues.read(text)
        view = self._knowledge()
        similarities = self._similarities(view, text) if view is not None else None
        similar = closest_urgent(view, similarities) if view is not None and similarities is not None else None
        urgency = urgency_verdict(reading, similar, self.settings.urgency_similarity_threshold)
        myth: MythVerdict = NO_MYTH
        if view is not None and similarities is not None:
            myth = myth_verdict(gather_evidence(text, view, similarities, cues),
                                self.settings.myth_high_threshold, self.settings.myth_low_threshold)
        return TriageVerdict(language=language, urgency=urgency, myth=myth, rumour_cue=cues.rumour)

    def urgent_entry(self, category: str | None, language: str) -> Entry | None:
        """The urgent entry answering `category` in `language` (else French, else English).

        An unknown or missing category gets the general emergency-numbers entry.
        """
        try:
            entries = self.searcher.snapshot.entries
        except FileNotFoundError:
            return None
        topic = next((e.topic for e in entries
                      if e.kind is Kind.urgent and category in e.urgency_categories),
                     GENERAL_EMERGENCY_TOPIC)
        entry, _ = self.searcher.pick_variant(topic, language)
        return entry
