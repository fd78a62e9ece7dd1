"""Child processes of the evaluation: memory high-water marks, and servers that always stop."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from evaluation.processes import Server, peak_rss_mb, process_tree, run_measured, self_peak_rss_mb


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_peak_memory_of_this_process_is_read_from_proc() -> None:
    assert self_peak_rss_mb() > 10
    assert peak_rss_mb(os.getpid()) >= self_peak_rss_mb()


def test_a_started_process_is_stopped_with_its_children(tmp_path: Path) -> None:
    code = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); " \
           "time.sleep(60)"
    server = Server("sleeper", [sys.executable, "-c", code], tmp_path / "sleeper.log")
    with server:
        assert server.process is not None
        pid = server.process.pid
        server.wait_until(lambda: len(process_tree(pid)) == 2, timeout_s=20)
        assert server.ready_s is not None and server.peak_rss_mb() > 0
        tree = process_tree(pid)
    assert server.process is None
    deadline = time.monotonic() + 10  # the kernel delivers the signal to the grandchild asynchronously
    while any(_alive(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in tree)


def test_waiting_on_a_process_that_died_fails_at_once(tmp_path: Path) -> None:
    server = Server("dies", [sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "dies.log")
    with server, pytest.raises(RuntimeError, match="exited early"):
        server.wait_until(lambda: False, timeout_s=30)


def test_a_measured_child_counts_its_own_cpu_time_only(tmp_path: Path) -> None:
    """Two children at once, as in `eval all`: each one's CPU time is its own, not the other's."""
    burn = [sys.executable, "-c", "import time; end = time.process_time() + 0.5\nwhile time.process_time() < end: pass"]
    with (tmp_path / "other.log").open("wb") as out:
        other = subprocess.Popen(burn, stdout=out)
    reaper = threading.Thread(target=other.wait)  # ends, and is waited for, while the measured child runs
    reaper.start()
    slow = [sys.executable, "-c", "import time; time.sleep(1.5); print('done')"]
    with (tmp_path / "slow.log").open("wb") as out:
        finished = run_measured(slow, out, timeout_s=30)
    reaper.join()
    assert other.returncode == 0
    assert finished.returncode == 0 and finished.wall_seconds >= 1.5
    assert finished.cpu_seconds < 0.4  # the sleeper's own start-up, not the other's 0.5 s
    assert (tmp_path / "slow.log").read_text() == "done\n"
    with (tmp_path / "fail.log").open("wb") as out:
        assert run_measured([sys.executable, "-c", "raise SystemExit(3)"], out).returncode == 3
    with (tmp_path / "hang.log").open("wb") as out:
        assert run_measured([sys.executable, "-c", "import time; time.sleep(30)"], out, timeout_s=1).returncode < 0
