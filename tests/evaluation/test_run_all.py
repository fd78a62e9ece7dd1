"""The run's plumbing: sections that fail without hiding the others, options, JSON of numpy numbers."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from evaluation.run_all import RunOptions, Sections, write_outputs


def test_a_failing_section_is_recorded_and_the_next_one_still_runs() -> None:
    said: list[str] = []
    sections = Sections(say=said.append)
    assert sections.run("broken", lambda: {}["missing"]) is None
    assert sections.run("fine", lambda: 42) == 42
    assert sections.errors == {"broken": "KeyError: 'missing'"}
    assert set(sections.seconds) == {"broken", "fine"}
    assert any("broken FAILED" in line for line in said)


def test_a_background_section_runs_beside_the_next_ones_and_is_timed_and_recorded_alike() -> None:
    sections = Sections(say=lambda _line: None)
    started = threading.Event()
    finish = threading.Event()

    def background() -> str:
        started.set()
        assert finish.wait(10)
        return "trained"

    join = sections.start("training", background)
    assert started.wait(10)
    assert sections.run("foreground", lambda: 42) == 42  # ran while the background one waited
    finish.set()
    assert join() == "trained"
    assert sections.start("broken", lambda: {}["missing"])() is None
    assert sections.errors == {"broken": "KeyError: 'missing'"}
    assert set(sections.seconds) == {"training", "foreground", "broken"}
    assert sections.background == ["training", "broken"]


def test_options_name_the_report_folder_by_date_and_mode(tmp_path: Path) -> None:
    full = RunOptions(reports_dir=tmp_path, work_dir=tmp_path / "work", date="2026-01-02")
    quick = RunOptions(quick=True, reports_dir=tmp_path, date="2026-01-02", stack_dir=tmp_path / "e2e")
    assert full.out_dir == tmp_path / "2026-01-02" and quick.out_dir == tmp_path / "2026-01-02-quick"
    assert full.stack_data_dir == tmp_path / "work" / "stack" and quick.stack_data_dir == tmp_path / "e2e"


def test_numpy_numbers_are_saved_as_plain_json(tmp_path: Path) -> None:
    figures = {"meta": {"date": "2026-01-02", "mode": "quick", "command": "c", "total_seconds": 1.0,
                        "section_seconds": {}, "errors": {}, "machine": {"cpu": "x", "cores": 2, "memory_gib": 1,
                                                                         "os": "Linux", "load_average_start": [0]},
                        "versions": {}, "commit": {"sha": "abc"}},
               "extra": {"value": np.float32(0.5), "count": np.int64(3), "pair": (1, 2)}}
    write_outputs(figures, tmp_path)
    saved = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    assert saved["extra"] == {"value": 0.5, "count": 3, "pair": [1, 2]}


def test_cpu_time_counts_this_process_and_its_ended_children() -> None:
    import subprocess
    import sys

    from evaluation.machine import cpu_seconds

    before = cpu_seconds()
    subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)
    assert cpu_seconds() > before > 0
