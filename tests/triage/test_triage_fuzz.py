"""Property-based fuzzing of triage: any text, in any language, gets a verdict, never an exception."""

from typing import get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passerelle.language import SUPPORTED
from passerelle.triage import Triage
from passerelle.triage.verdicts import MythLevel

ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=1500)  # gateway passes at most 1 000
# Words triage looks for, mixed with noise, so the fuzzing also reaches the patterns and the model.
CUES = st.sampled_from(["poitrine", "respire", "suicide", "vaccin", "5G", "autisme", "saigne", "javel",
                        "chest pain", "no puedo respirar", "قلبي", "😀", "\u200b", "\x00", "URGENT"])
MIXED = st.lists(st.one_of(CUES, st.text(max_size=20)), max_size=30).map(" ".join)
BOUNDED = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@BOUNDED
@given(text=st.one_of(ANY_TEXT, MIXED), language=st.sampled_from([None, *SUPPORTED]))
def test_triage_answers_any_text(triage: Triage, text: str, language: str | None) -> None:
    verdict = triage.assess(text, language)
    assert verdict.language in SUPPORTED
    assert isinstance(verdict.urgency.urgent, bool) and verdict.myth.level in get_args(MythLevel)
    if verdict.urgency.urgent:  # an emergency always has an answer to send
        assert triage.urgent_entry(verdict.urgency.category, verdict.language) is not None
