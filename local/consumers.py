"""The local stack's event consumers, in a process of their own (``python -m local.consumers``).

On AWS the queue and stream consumers run in Lambda containers of their own,
never in the one serving the API. Here they run in a child of the stack
(``ConsumersProcess``) so they do not share one interpreter lock with the
gateway: in one process, every batch the pollers handle stalled the REST
requests and WebSocket frames, and the other way round.

The child inherits the stack's environment (moto's endpoint, the app's
settings, the management API's URL: it posts frames to the gateway over HTTP,
as a Lambda does), reads where its sources are from the first line of stdin,
starts the pollers of ``local.pollers`` and prints ``ready``. Every further line
is a command: ``kill <function> <n>`` arms ``local.pollers.FAULTS`` (``make
faults``) and answers ``armed <function> <n>``; ``status <function> <n>`` answers
``armed`` until the fault has fired, then ``idle``.
End of input (the stack stopping) stops it: each poller finishes the batch in
hand, then it exits 0.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # ``app`` lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

log = logging.getLogger("local.consumers")

READY_SECONDS = 120.0
JOIN_SECONDS = 30.0  # all pollers: a batch in hand is finished, not dropped
STOP_SECONDS = JOIN_SECONDS + 15.0
ACK_SECONDS = 10.0


GONE = b"\x00gone"  # queued when the child's output ends
FUNCTION_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")


class ConsumersProcess:
    """The child process, seen from the stack. One thread reads every line the child
    answers into a queue, so a late answer can never be taken for the next one."""

    def __init__(self, sources: dict[str, Any], region: str) -> None:
        self._sources = sources
        self._region = region
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._answers: queue.Queue[bytes] = queue.Queue()
        self._ready = False  # no question before the child said ready
        self._asked = 0
        self.stopping = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = READY_SECONDS) -> None:
        """Start the child (its output goes where this process's stderr goes) and
        wait for its ``ready`` line."""
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local.consumers"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        threading.Thread(
            target=self._read_answers, args=(self._process.stdout,), daemon=True
        ).start()
        config = {"sources": self._sources, "region": self._region}
        self._process.stdin.write(json.dumps(config).encode() + b"\n")
        self._process.stdin.flush()
        if not self._answer(b"ready", timeout):
            self.stop()
            raise RuntimeError("the consumers did not start (see the log above)")
        self._ready = True

    def _read_answers(self, stream: IO[bytes]) -> None:
        for line in stream:
            self._answers.put(line.strip())
        self._answers.put(GONE)  # end of output: the child has exited

    def _answers_until(self, deadline: float) -> Iterator[bytes]:
        """The child's answers as they come, until ``deadline``; RuntimeError once the
        child has exited (the marker stays queued for whoever asks next)."""
        while (left := deadline - time.monotonic()) > 0:
            try:
                answer = self._answers.get(timeout=left)
            except queue.Empty:
                return
            if answer == GONE:
                self._answers.put(GONE)
                raise RuntimeError("the consumers are not running")
            yield answer

    def _answer(self, expected: bytes, timeout: float) -> bool:
        """Wait for ``expected``, skipping any other (late) answer; False at once if
        the child has exited."""
        try:
            return expected in self._answers_until(time.monotonic() + timeout)
        except RuntimeError:
            return False

    def _ask(self, verb: str, function: str) -> str:
        """Send ``verb function n`` and return the child's state word from the answer
        ``<state> function n``: the number ties an answer to its question, so a late
        answer to an earlier one is skipped, never taken."""
        _check_name(function)
        with self._lock:
            process = self._process
            if not self._ready or process is None or process.stdin is None:
                raise RuntimeError("the consumers are not running")
            self._asked += 1
            number = self._asked
            try:
                process.stdin.write(f"{verb} {function} {number}\n".encode())
                process.stdin.flush()
            except (OSError, ValueError) as error:  # a closed pipe: the child is gone
                raise RuntimeError("the consumers are not running") from error
            for answer in self._answers_until(time.monotonic() + ACK_SECONDS):
                state, _, rest = answer.decode(errors="replace").partition(" ")
                if rest == f"{function} {number}":
                    return state
        raise RuntimeError(f"the consumers did not answer {verb} {function} in time")

    def kill(self, function: str) -> None:
        """Arm the fault: ``function``'s next batch dies half-way."""
        self._ask("kill", function)

    def armed(self, function: str) -> bool:
        """Whether ``function``'s fault is armed and has not fired yet."""
        return self._ask("status", function) == "armed"

    def wait(self) -> int | None:
        """Block until the child exits; its exit code."""
        return self._process.wait() if self._process else None

    def stop(self, timeout: float = STOP_SECONDS) -> int | None:
        """End of input, then wait for the batches in hand; killed after ``timeout``."""
        self.stopping = True
        process = self._process
        if process is None:
            return None
        with self._lock, contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.error("the consumers did not stop within %.0f s; killed", timeout)
            process.kill()
            return process.wait()


def _check_name(function: str) -> None:
    if not FUNCTION_NAME.fullmatch(function):
        raise ValueError(f"not a function name: {function!r}")


class _Terminated(Exception):
    """SIGTERM (a whole process group stopped): stop as at end of input."""


def _terminated(signum: int, frame: Any) -> None:
    raise _Terminated


def _serve() -> int:
    from local import pollers
    from local.environment import wide_connection_pools
    from local.logs import app_logs_to_stderr, configure_logging

    # stdout is the pipe the stack reads ``ready`` from, and nothing else: what the app
    # prints there (Powertools' metrics) goes to stderr, the stack's log, as its own does.
    to_stack = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    configure_logging()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the stack, which stops us
    config = json.loads(sys.stdin.readline() or "{}")
    if not config:
        return 2
    wide_connection_pools()
    import boto3

    app_module = importlib.import_module("app")
    app_logs_to_stderr()
    from chalicelib.bootstrap import services

    services()
    stop = threading.Event()
    session = boto3.session.Session()
    running = pollers.build_pollers(
        app_module.app, pollers.Sources(**config["sources"]), config["region"], stop, session
    )
    for poller in running:
        poller.start()
    print("ready", file=to_stack, flush=True)
    signal.signal(signal.SIGTERM, _terminated)  # as end of input: finish, then exit
    try:
        for line in sys.stdin:
            verb, function, number = [*line.split(), "", "", ""][:3]
            if verb == "kill" and function:
                pollers.FAULTS.kill(function)
            if verb in ("kill", "status") and function:
                state = "armed" if pollers.FAULTS.armed(function) else "idle"
                print(f"{state} {function} {number}", file=to_stack, flush=True)
    except _Terminated:
        log.info("SIGTERM: the pollers finish their batches")
    stop.set()
    deadline = time.monotonic() + JOIN_SECONDS
    for poller in running:
        poller.join(max(0.0, deadline - time.monotonic()))
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
