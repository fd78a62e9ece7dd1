"""Which topics to offer when the search is not sure: none when it answers, none under the bar,
else the first three, one per topic."""

from knowledge_base.schema import Kind, SearchHit
from knowledge_base.search import SearchResult
from knowledge_base.suggest import suggestion_score, suggestions
from passerelle.settings import Settings

SETTINGS = Settings(suggest_threshold=0.94, suggest_gap_weight=1.0)


def _result(*scores: float, answerable: bool = False) -> SearchResult:
    hits = [SearchHit(id=f"t{i}-fr", topic=f"t{i}", title=f"Titre {i}", score=s, language="fr", kind=Kind.service)
            for i, s in enumerate(scores, 1)]
    return SearchResult(text="x", language="fr", answerable=answerable, hits=hits)


def test_the_score_adds_the_lead_over_the_second_topic() -> None:
    assert suggestion_score(_result(0.93, 0.90).hits, 1.0) == 0.93 + (0.93 - 0.90)
    assert suggestion_score(_result(0.93).hits, 1.0) == 0.93
    assert suggestion_score([], 1.0) == 0.0


def test_a_near_miss_gets_its_first_three_topics() -> None:
    offered = suggestions(_result(0.93, 0.91, 0.905, 0.90), SETTINGS)
    assert [hit.topic for hit in offered] == ["t1", "t2", "t3"]


def test_flat_scores_under_the_bar_get_none() -> None:
    # an out-of-scope message: first topics almost alike, none standing out
    assert suggestions(_result(0.93, 0.928, 0.925), SETTINGS) == []


def test_an_answered_search_gets_none() -> None:
    assert suggestions(_result(0.99, 0.90, answerable=True), SETTINGS) == []
    assert suggestions(_result(), SETTINGS) == []
