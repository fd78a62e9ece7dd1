"""The quality gate's mechanics: reading targets, finding figures, failing when one is low or missing."""

from __future__ import annotations

from pathlib import Path

from evaluation.gate import Target, check, figure_at, load_targets

FIGURES = {"retrieval": {"systems": {"fused": {"overall": {"recall@1": 0.95, "recall@3": 0.96}}}},
           "triage": {"test": {"urgency": {"recall": None}}}}


def test_figure_at_follows_dotted_paths() -> None:
    assert figure_at(FIGURES, "retrieval.systems.fused.overall.recall@1") == 0.95
    assert figure_at(FIGURES, "retrieval.systems.dense.overall.recall@1") is None
    assert figure_at(FIGURES, "triage.test.urgency.recall") is None
    assert figure_at(FIGURES, "retrieval.systems") is None  # not a number


def test_check_passes_meets_and_fails_misses_and_absences() -> None:
    targets = [Target("retrieval.systems.fused.overall.recall@1", 0.90, "r@1"),
               Target("retrieval.systems.fused.overall.recall@3", 0.97, "r@3"),
               Target("triage.test.urgency.recall", 0.98, "urgency")]
    verdicts = check(FIGURES, targets)
    assert [v.passed for v in verdicts] == [True, False, False]
    assert verdicts[1].value == 0.96 and verdicts[2].value is None


def test_the_shipped_targets_cover_the_issues_headline_figures() -> None:
    targets = {t.figure: t.minimum for t in load_targets()}
    assert targets["retrieval.systems.fused.overall.recall@1"] >= 0.90
    assert targets["retrieval.systems.fused.overall.recall@3"] >= 0.97
    assert targets["retrieval.systems.fused.out_of_scope_rejected"] >= 0.85
    assert "triage.test.urgency.recall" in targets and "triage.test.myth.precision" in targets


def test_targets_file_is_read_in_order(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("targets:\n  - {figure: a.b, min: 0.5, label: first}\n"
                    "  - {figure: c, min: 0.8, issue_target: 0.98, label: second}\n")
    assert [(t.figure, t.minimum, t.label, t.issue_target) for t in load_targets(path)] == [
        ("a.b", 0.5, "first", None), ("c", 0.8, "second", 0.98)]


def test_a_temporary_floor_never_hides_the_issue_target() -> None:
    for target in load_targets():
        if target.issue_target is not None:
            assert target.issue_target > target.minimum, target.figure
