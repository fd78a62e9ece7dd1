"""Real PostgreSQL and Redis servers on 127.0.0.1 for the scale-out and fault tests.

They come from Debian packages (scripts/system-deps.sh), run from throw-away data folders under
var/test-services/ on ports of their own, and stop when the test is over.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from passerelle.settings import ROOT

SERVICES = ROOT / "var" / "test-services"


def _wait_port(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install the postgresql package (scripts/system-deps.sh)")
    return str(found)


def _as_postgres(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; the Debian package creates the `postgres` account.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Postgres:
    """A running PostgreSQL server."""

    port: int
    data_dir: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"

    def restart(self) -> None:
        """Stop and start again (database fault tests)."""
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"]),
                       check=True, capture_output=True)
        self._start()

    def _start(self) -> None:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data_dir), "-w", "-l",
                                     str(self.data_dir / "server.log"), "-o",
                                     f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1",
                                     "start"]), check=True, capture_output=True)
        _wait_port(self.port)


@contextmanager
def postgres(port: int) -> Iterator[Postgres]:
    """A fresh PostgreSQL cluster with trust authentication on 127.0.0.1:`port`."""
    data_dir = SERVICES / f"pg-{port}"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres", "postgres")
        for parent in (SERVICES,):
            os.chmod(parent, 0o755)
    subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust"]),
                   check=True, capture_output=True)
    server = Postgres(port, data_dir)
    server._start()
    try:
        yield server
    finally:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(data_dir), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def redis(port: int) -> Iterator[int]:
    """A Redis server without persistence on 127.0.0.1:`port`."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server not found: install the redis-server package (scripts/system-deps.sh)")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
