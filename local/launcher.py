"""Start the local stack as a developer does (``python -m local.stack``) and stop it.

The one launcher of the end-to-end tests (``tests/e2e``), ``make load`` and
``make faults``: a subprocess on free loopback ports, with no AWS setting of the
caller's environment, its output in a log file; ready once its ``stack.json``
exists (the only thing a caller learns about it). ``stop`` sends SIGTERM and
waits for the stack to drain: one that served a heavy load takes a while (its
pollers finish their batches, every WebSocket's ``$disconnect`` runs).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 120.0
STOP_SECONDS = 90.0  # SIGTERM to exit, under load; then it is killed (and that is an error)
STATE_FILE = "stack.json"
LOG_FILE = "stack.log"


class StackError(RuntimeError):
    """The stack did not start, or did not stop cleanly (the message has its log's tail)."""


def log_tail(path: Path | None, lines: int = 40) -> str:
    if path is None:
        return ""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _rss_mb(pid: int) -> float | None:
    """A process's proportional share of memory (PSS: pages it shares with the other
    processes counted in part), so the processes' figures add up; RSS if PSS is not
    available."""
    for path, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            text = Path(path).read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return None


@dataclass
class RunningStack:
    """A local stack this module started (``process``) or found (``process`` None)."""

    state: dict[str, Any]
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def memory_mb(self) -> dict[str, float]:
        """Each of the stack's processes' proportional memory (see ``rss_mb``)."""
        found = {name: _rss_mb(pid) for name, pid in self.processes().items()}
        return {name: size for name, size in found.items() if size is not None}

    def rss_mb(self) -> float | None:
        """Memory of the stack's processes (the gateway, moto, the consumers) together
        (proportional set sizes, so shared pages count once), if this module started it."""
        sizes = self.memory_mb()
        return sum(sizes.values()) if sizes else None

    def processes(self) -> dict[str, int]:
        """The stack process (``gateway``) and its children ``moto`` and ``consumers``."""
        if self.process is None:
            return {}
        pids = {"gateway": self.process.pid}
        children: list[str] = []  # started from any of the stack's threads
        tasks: list[Path] = []
        with contextlib.suppress(OSError):
            tasks = list(Path(f"/proc/{self.process.pid}/task").iterdir())
        for task in tasks:
            with contextlib.suppress(OSError):  # a thread that ended meanwhile
                children += (task / "children").read_text().split()
        for child in children:
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{child}/cmdline").read_text()
                for module, name in (
                    ("local.motoserver", "moto"),
                    ("local.consumers", "consumers"),
                ):
                    if module in command:
                        pids[name] = int(child)
        return pids

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far (user + system) by each of the stack's processes: what
        a load costs, whatever else the machine is doing."""
        found = {name: _cpu_seconds(pid) for name, pid in self.processes().items()}
        return {name: seconds for name, seconds in found.items() if seconds is not None}

    def stop(self, timeout: float = STOP_SECONDS) -> int | None:
        """SIGTERM, then wait; killed after ``timeout`` (returns -SIGKILL then)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return -signal.SIGKILL


def start_stack(state_dir: Path, start_seconds: float = START_SECONDS) -> RunningStack:
    """``python -m local.stack`` on free ports; returns once its stack.json exists."""
    log = state_dir / LOG_FILE
    state_file = state_dir / STATE_FILE
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local.stack",
                "--port",
                "0",
                "--moto-port",
                "0",
                "--state-dir",
                str(state_dir),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = RunningStack(state={}, process=process, log=log)
    deadline = time.monotonic() + start_seconds
    while time.monotonic() < deadline:
        if state_file.exists():
            running.state = json.loads(state_file.read_text())
            return running
        if process.poll() is not None:
            raise StackError(f"the local stack exited with {process.returncode}:\n{log_tail(log)}")
        time.sleep(0.1)
    running.stop()
    raise StackError(f"the local stack was not ready within {start_seconds}s:\n{log_tail(log)}")


@contextlib.contextmanager
def local_stack(
    state_file: str | None = None, state_dir: Path | None = None
) -> Iterator[RunningStack]:
    """A running stack for the ``with`` block: the one whose ``stack.json`` is
    ``state_file``, or a new one (in ``state_dir``, or a temporary directory), stopped
    at the end; a new stack that does not exit 0 on SIGTERM raises ``StackError``."""
    if state_file:
        yield RunningStack(state=json.loads(Path(state_file).read_text()))
        return
    with contextlib.ExitStack() as cleanup:
        if state_dir is None:
            state_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="local-")))
        running = start_stack(state_dir)
        try:
            yield running
        except BaseException:
            running.stop()
            raise
        code = running.stop()
        if code != 0:
            raise StackError(
                f"the local stack exited with {code} on SIGTERM:\n{log_tail(running.log)}"
            )
