"""Which topics to offer ("did you mean 1, 2 or 3?") when the search is not sure enough to answer.

A person on a basic phone who gets "not sure" twice ends up waiting for a mediator, although the
right topic is often among the first three (recall@3 96.6% against 69.5% answered right on the
blind retrieval set). Offering those topics costs one reply; offering them for a message the
knowledge base does not cover (the weather, taxes) is noise, so a second, lower bar decides.

The bar reads the best score and its lead over the second topic: on the tuning sets an
out-of-scope message scores its first topics almost alike (median lead 0.008) while a near miss
leads more (0.021). With best score + 1 x lead, 0.945 is the lowest bar of the sweep at which
at most 15% of the tuning out-of-scope messages (retrieval_tune_out_of_scope + out_of_scope, 160)
are offered topics (14.4%); it offers the right topic to 41% of the tuning set's not-answered
messages. The best score alone offered it to 27% at a like out-of-scope rate (bar 0.93, 15.6%)
(evaluation/reports/suggestions-2026-11-24/).
"""

from __future__ import annotations

from knowledge_base.schema import SearchHit
from knowledge_base.search import SearchResult
from passerelle.settings import Settings

MAX_SUGGESTIONS = 3


def suggestion_score(hits: list[SearchHit], gap_weight: float) -> float:
    """Best score plus `gap_weight` x its lead over the second topic (0 without hits)."""
    if not hits:
        return 0.0
    lead = hits[0].score - hits[1].score if len(hits) > 1 else 0.0
    return hits[0].score + gap_weight * lead


def suggestions(result: SearchResult, settings: Settings) -> list[SearchHit]:
    """The topics to offer for an unanswered search, best first (one hit per topic); none when the
    search answers or when its hits do not reach the suggest bar."""
    if result.answerable or suggestion_score(result.hits, settings.suggest_gap_weight) < settings.suggest_threshold:
        return []
    return result.hits[:MAX_SUGGESTIONS]
