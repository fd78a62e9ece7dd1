"""The quality gate's mechanics: reading targets, finding figures, failing when one is missed or missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.gate import Target, check, figure_at, load_targets

FIGURES = {"retrieval": {"systems": {"fused": {"overall": {"recall@1": 0.95, "recall@3": 0.96}}}},
           "triage": {"test": {"urgency": {"recall": None, "groups": {"harmless": {"false_alarm_rate": 0.1}}}}}}


def test_figure_at_follows_dotted_paths() -> None:
    assert figure_at(FIGURES, "retrieval.systems.fused.overall.recall@1") == 0.95
    assert figure_at(FIGURES, "retrieval.systems.dense.overall.recall@1") is None
    assert figure_at(FIGURES, "triage.test.urgency.recall") is None
    assert figure_at(FIGURES, "retrieval.systems") is None  # not a number


def test_minimums_maximums_and_absences() -> None:
    targets = [Target("retrieval.systems.fused.overall.recall@1", "r@1", minimum=0.90),
               Target("retrieval.systems.fused.overall.recall@3", "r@3", minimum=0.97),
               Target("triage.test.urgency.recall", "urgency", minimum=0.98),
               Target("triage.test.urgency.groups.harmless.false_alarm_rate", "alarms", maximum=0.10),
               Target("triage.test.urgency.groups.harmless.false_alarm_rate", "alarms", maximum=0.09)]
    verdicts = check(FIGURES, targets)
    assert [v.passed for v in verdicts] == [True, False, False, True, False]
    assert verdicts[1].value == 0.96 and verdicts[2].value is None
    assert verdicts[3].as_dict()["target"] == "<= 10.0%" and verdicts[0].as_dict()["target"] == ">= 90.0%"


def test_a_floor_holds_a_target_not_reached_yet_at_its_measured_level() -> None:
    figures = {"u": 0.96, "fa": 0.12}
    below_target_above_floor, below_floor, alarms = check(figures, [
        Target("u", "urgency", minimum=0.98, floor=0.95), Target("u", "urgency", minimum=0.98, floor=0.97),
        Target("fa", "alarms", maximum=0.10, floor=0.13)])
    assert not below_target_above_floor.passed and below_target_above_floor.holds
    assert not below_floor.passed and not below_floor.holds
    assert not alarms.passed and alarms.holds
    assert check({}, [Target("u", "urgency", minimum=0.98, floor=0.95)])[0].holds is False  # missing never holds


def test_a_target_has_exactly_one_bound() -> None:
    with pytest.raises(ValueError):
        Target("a", "a")
    with pytest.raises(ValueError):
        Target("a", "a", minimum=0.5, maximum=0.6)


def test_the_shipped_targets_are_the_issues_targets() -> None:
    """Issue 3 (retrieval) and issue 4 (triage), on the triage split nothing was trained on."""
    bounds = {t.figure: (t.minimum, t.maximum) for t in load_targets()}
    assert bounds == {
        "retrieval.systems.fused.overall.recall@1": (0.90, None),
        "retrieval.systems.fused.overall.recall@3": (0.97, None),
        "retrieval.systems.fused.out_of_scope_rejected": (0.85, None),
        "triage.test.urgency.recall": (0.98, None),
        "triage.test.urgency.groups.harmless.false_alarm_rate": (None, 0.10),
        "triage.test.myth.precision": (0.95, None),
        "triage.test.myth.recall": (0.85, None),
    }


def test_targets_file_is_read_in_order(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("targets:\n  - {figure: a.b, min: 0.5, label: first, source: issue 3}\n"
                    "  - {figure: c, max: 0.1, label: second}\n")
    assert load_targets(path) == [Target("a.b", "first", minimum=0.5, source="issue 3"),
                                  Target("c", "second", maximum=0.1)]
