"""`bot.serve` (how the stack starts Rasa) keeps Rasa's checks and only removes their repeated cost:
action server responses and events posted to the HTTP API are still validated (a bad one gets
Rasa's own error), and the SQLite tracker store keeps its connections and writes ahead like the
gateway's database."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from passerelle.settings import ROOT

pytestmark = pytest.mark.slow  # imports Rasa (and TensorFlow) in its own environment


def test_rasa_keeps_its_checks_with_the_fixes(tmp_path: Path) -> None:
    command = [str(ROOT / ".venv-rasa" / "bin" / "python"), str(ROOT / "tests" / "support" / "rasa_serve_check.py"),
               str(tmp_path / "tracker.db")]
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["installed"] and report["replaced"]
    assert report["valid"] is True
    assert "Failed to validate Action server response" in report["invalid"]
    assert report["events_installed"]
    assert report["invalid_events"].startswith("Failed to validate the events format")
    assert report["pooled"] and report["pool"] == "QueuePool"
    assert report["events_kept"] == 1  # saved twice through the pooled engine, stored once
    assert report["postgres_kwargs"] == ["max_overflow", "pool_size"]  # Rasa's own options
    assert report["journal_mode"] == "wal"
    assert report["synchronous"] == 1  # NORMAL
