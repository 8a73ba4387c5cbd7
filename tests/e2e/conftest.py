"""End-to-end fixtures: the real local stack in a subprocess, driven like a client would.

The stack is started once per session exactly as a developer starts it
(``python -m local.stack``), on free ports, and its ``stack.json`` is the only
thing the tests know about it. Clients are real: Cognito ``USER_PASSWORD_AUTH``
for tokens, ``requests`` for REST and the ``websockets`` sync client for
WebSockets.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.e2e.clients import FRAME_SECONDS, Api, Device, Stack, login

REPO_ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60.0
STOP_SECONDS = 15.0


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _wait_for_state(process: subprocess.Popen[bytes], state_file: Path, log: Path) -> Stack:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if state_file.exists():
            return dict(json.loads(state_file.read_text()))
        if process.poll() is not None:
            pytest.fail(f"the local stack exited with {process.returncode}:\n{_log_tail(log)}")
        time.sleep(0.1)
    pytest.fail(f"the local stack was not ready within {START_SECONDS}s:\n{_log_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_SECONDS)
        return -signal.SIGKILL


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The running local stack's ``stack.json``; the stack stops (SIGTERM) after the session."""
    state_dir = tmp_path_factory.mktemp("local-stack")
    log = state_dir / "stack.log"
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
    try:
        yield _wait_for_state(process, state_dir / "stack.json", log)
    finally:
        code = _stop(process)
    assert code == 0, f"the local stack exited with {code} on SIGTERM:\n{_log_tail(log)}"


@pytest.fixture(scope="session")
def tokens(stack: Stack) -> Callable[[str], str]:
    """``tokens(username)``: an IdToken, signed in once per session."""
    cache: dict[str, str] = {}

    def token(username: str) -> str:
        if username not in cache:
            cache[username] = login(stack, username)
        return cache[username]

    return token


@pytest.fixture
def api(stack: Stack, tokens: Callable[[str], str]) -> Callable[[str | None], Api]:
    """``api(username)``: a REST client signed in as that user (``None``: no token)."""

    def make(username: str | None) -> Api:
        return Api(stack["rest_url"], tokens(username) if username else None)

    return make


@pytest.fixture
def device(stack: Stack, tokens: Callable[[str], str]) -> Iterator[Callable[[str], Device]]:
    """``device(username)``: a new WebSocket connection; all are closed after the test."""
    opened: list[Device] = []

    def make(username: str) -> Device:
        socket = connect(
            f"{stack['ws_url']}?token={tokens(username)}", proxy=None, open_timeout=FRAME_SECONDS
        )
        opened.append(Device(socket))
        return opened[-1]

    yield make
    for opened_device in opened:
        opened_device.socket.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``) every test that drives the local stack
    runs on one worker, so the suite starts one stack, not one per worker."""
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("local-stack"))
