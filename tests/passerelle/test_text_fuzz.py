"""Property-based fuzzing of the text pipeline: any text gets a result, never an exception."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge_base.search import Searcher
from passerelle.language import SUPPORTED, detect_language
from passerelle.log_redaction import redact
from passerelle.text import clean_inbound, content_tokens, fold, normalise

ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=3000)
# No deadlines: this machine is shared and noisy; speed is measured in benchmarks, not here.
QUICK = settings(max_examples=100, deadline=None)


@QUICK
@given(ANY_TEXT)
def test_normalisation_is_total_and_bounded(text: str) -> None:
    cleaned = clean_inbound(text, 1000)
    assert len(cleaned) <= 1000
    assert isinstance(fold(text), str) and isinstance(normalise(text), str)
    assert all(token for token in content_tokens(text))


@QUICK
@given(ANY_TEXT, st.sampled_from([None, *SUPPORTED]))
def test_language_detection_always_answers_a_supported_language(text: str, previous: str | None) -> None:
    assert detect_language(text, previous=previous).language in SUPPORTED


@QUICK
@given(ANY_TEXT)
def test_redaction_is_total(text: str) -> None:
    assert isinstance(redact(text), str)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ANY_TEXT)
def test_search_answers_any_text(searcher: Searcher, text: str) -> None:
    result = searcher.search(text, language="fr")
    assert isinstance(result.answerable, bool) and len(result.hits) <= 3
