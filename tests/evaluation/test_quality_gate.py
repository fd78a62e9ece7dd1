"""The quality gate of `make test`: the quick evaluation must meet evaluation/targets.yaml.

Slow: it runs `passerelle eval all --quick` for real (retrieval with both embedders, triage,
plain language, the started stack for conversations and speed, the scale benchmark). The stack
uses ports 8450/5450-5452 and var/eval/gate-stack, so it runs beside `make run` and `make eval`;
the report is kept in var/eval/gate-report/ for reading when the gate fails.
"""

from __future__ import annotations

import pytest

from evaluation.eval_stack import Ports
from evaluation.run_all import RunOptions, run_all
from passerelle.settings import ROOT

pytestmark = pytest.mark.slow


def test_quick_evaluation_meets_every_target() -> None:
    options = RunOptions(quick=True, reports_dir=ROOT / "var" / "eval" / "gate-report", stack_name="gate-stack",
                         ports=Ports(web=8450, rasa=5450, actions=5451, rasa_faq=5452))
    report, figures = run_all(options, say=lambda _message: None)
    assert report.exists()
    assert not figures["meta"]["errors"], f"sections failed: {figures['meta']['errors']} (see {report})"
    missed = [f"{g['label']}: {g['value']} < {g['min']}" for g in figures["gate"] if not g["passed"]]
    assert not missed, f"quality below target: {missed} (see {report})"
    assert len(figures["gate"]) >= 5
