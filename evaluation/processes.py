"""Child processes the evaluation starts: one server at a time, always stopped, memory and CPU measured.

Peak memory is the kernel's high-water mark (`VmHWM` in /proc/<pid>/status), summed over the
process and its descendants: unlike a sampled RSS it cannot miss a short spike. psutil is not
needed for that on Linux, which is the only platform the project runs on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from passerelle.settings import ROOT

STOP_GRACE_S = 15.0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants that are still alive."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        if Path(f"/proc/{current}").exists():
            tree.append(current)
            todo += _children(current)
    return tree


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of `pid` and its live descendants, in MiB."""
    return round(sum(_status_kb(p, "VmHWM") for p in process_tree(pid)) / 1024, 1)


def self_peak_rss_mb() -> float:
    """Peak resident memory of the current process, in MiB."""
    return round(_status_kb(os.getpid(), "VmHWM") / 1024, 1)


@dataclass(frozen=True)
class Finished:
    """How a child process ended and what it cost."""

    returncode: int
    wall_seconds: float
    cpu_seconds: float  # user + system of the child and the descendants it waited for


def run_measured(command: list[str], out: BinaryIO, env: dict[str, str] | None = None, cwd: Path = ROOT,
                 timeout_s: float | None = None) -> Finished:
    """Run `command` to its end, its output to `out`; killed after `timeout_s`.

    The CPU time is the kernel's count for this child alone (`wait4`), right even while other
    children of the evaluation run beside it in other threads, which os.times() would mix in.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    timer = threading.Timer(timeout_s, process.kill) if timeout_s is not None else None
    if timer is not None:
        timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        if timer is not None:
            timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    return Finished(process.returncode, round(time.perf_counter() - started, 1),
                    round(usage.ru_utime + usage.ru_stime, 1))


class Server:
    """A server command run in its own session, logged to a file, stopped with its children."""

    def __init__(self, name: str, command: list[str], log_file: Path, env: dict[str, str] | None = None,
                 cwd: Path = ROOT) -> None:
        self.name = name
        self.cwd = cwd
        self.command = command
        self.log_file = log_file
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.ready_s: float | None = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Spawn the command, its output appended to the log file."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as out:
            self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.perf_counter()

    def wait_until(self, ready: Callable[[], bool], timeout_s: float) -> float:
        """Poll `ready` until true; seconds since start. Fails early if the process died."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early; see {self.log_file}")
            if ready():
                self.ready_s = time.perf_counter() - self.started_at
                return self.ready_s
            time.sleep(0.5)
        raise TimeoutError(f"{self.name} not ready after {timeout_s:.0f} s; see {self.log_file}")

    def peak_rss_mb(self) -> float:
        """Peak memory of the server and its children so far."""
        return peak_rss_mb(self.process.pid) if self.process is not None else 0.0

    def stop(self) -> None:
        """SIGTERM the session, then SIGKILL whatever is left after a grace period."""
        process, self.process = self.process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the session may outlive its leader
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
