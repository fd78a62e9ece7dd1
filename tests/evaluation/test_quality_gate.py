"""The quality gate of `make test`: the quick evaluation must meet the issues' targets.

Slow: it runs `passerelle eval all --quick` for real (retrieval, triage on the test split,
plain language, the started stack for conversations and speed). The stack uses ports
8510/5510-5512 and the end-to-end tests' data folder, whose trained Rasa model it reuses
(tests/support/rasa_model.py); the report is kept in var/eval/gate-report/ for reading when the gate
fails. The bounds are in evaluation/targets.yaml.
"""

from __future__ import annotations

import pytest

from evaluation.eval_stack import Ports
from evaluation.run_all import RunOptions, run_all
from passerelle.settings import ROOT, Settings
from tests.support.rasa_model import provide_rasa_model

pytestmark = pytest.mark.slow


def test_quick_evaluation_meets_every_target() -> None:
    provide_rasa_model(Settings(data_dir=ROOT / "var" / "test-e2e"))
    options = RunOptions(quick=True, reports_dir=ROOT / "var" / "eval" / "gate-report",
                         stack_dir=ROOT / "var" / "test-e2e", ports=Ports(web=8510, rasa=5510, actions=5511,
                                                                           rasa_faq=5512))
    report, figures = run_all(options, say=lambda _message: None)
    assert report.exists()
    assert not figures["meta"]["errors"], f"sections failed: {figures['meta']['errors']} (see {report})"
    missed = [f"{g['label']}: {g['value']} (target {g['target']}, {g['source']})"
              for g in figures["gate"] if not g["holds"]]
    assert not missed, f"quality below the issues' targets: {missed} (see {report})"
