"""End-to-end fixtures: the real local stack in a subprocess, driven like a client would.

The stack is started once per session exactly as a developer starts it
(``python -m local.stack``, through ``local.launcher``), on free ports, and its
``stack.json`` is the only thing the tests know about it. Clients are real: Cognito ``USER_PASSWORD_AUTH``
for tokens, ``requests`` for REST and the ``websockets`` sync client for
WebSockets.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from websockets.sync.client import connect

from local.launcher import StackError, local_stack
from tests.e2e.clients import FRAME_SECONDS, Api, Device, Stack, login


@contextlib.contextmanager
def running_stack(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Stack]:
    """A local stack of its own (``local.launcher``) for the ``with`` block: its
    ``stack.json``. A stack that does not start, or does not exit 0 on SIGTERM (it
    is given time to drain first), fails the test that used it."""
    try:
        with local_stack(state_dir=tmp_path_factory.mktemp(name)) as running:
            yield dict(running.state)
    except StackError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The running local stack's ``stack.json``; the stack stops (SIGTERM) after the session."""
    with running_stack(tmp_path_factory, "local-stack") as state:
        yield state


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
