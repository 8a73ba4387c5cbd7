"""The local gateway's own answers are API Gateway's: a WebSocket message over 128 KB
closes the connection with 1009 (message too big), and every error it answers
itself — a path aiohttp cannot route, a request line over API Gateway's 10240 bytes —
has the contract's JSON shape."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from websockets.exceptions import ConnectionClosed

from local.gateway import MAX_MESSAGE_BYTES, MAX_REQUEST_LINE
from tests.e2e.clients import FRAME_SECONDS, Api, Device

pytestmark = pytest.mark.e2e


def _ping_of(size: int) -> str:
    """A ping frame of exactly ``size`` bytes (its request_id pads it)."""
    empty = json.dumps({"action": "ping", "request_id": ""})
    return json.dumps({"action": "ping", "request_id": "x" * (size - len(empty))})


def _closed_with(device: Device) -> int | None:
    """The close code the server sent, once the connection is closed (deadline-bound)."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            device.socket.recv(timeout=FRAME_SECONDS)
    received = closed.value.rcvd
    return received.code if received is not None else None


def test_a_message_over_128_kb_closes_the_connection_with_1009(
    device: Callable[[str], Device],
) -> None:
    alice = device("alice")
    alice.socket.send(_ping_of(MAX_MESSAGE_BYTES + 1))
    assert _closed_with(alice) == 1009


def test_a_message_of_exactly_128_kb_is_delivered_to_the_function(
    device: Callable[[str], Device],
) -> None:
    alice = device("alice")
    alice.socket.send(_ping_of(MAX_MESSAGE_BYTES))
    reply = alice.wait_for(lambda f: f.get("type") in ("pong", "error"))
    assert reply["type"] in ("pong", "error")  # the function answered: not closed
    alice.send({"action": "ping", "request_id": "after"})
    assert alice.wait_for(lambda f: f.get("type") == "pong")["data"]["request_id"] == "after"


def test_after_a_1009_close_the_user_connects_again(device: Callable[[str], Device]) -> None:
    first = device("alice")
    first.socket.send(_ping_of(2 * MAX_MESSAGE_BYTES))
    assert _closed_with(first) == 1009
    again = device("alice")
    again.send({"action": "ping", "request_id": "again"})
    assert again.wait_for(lambda f: f.get("type") == "pong")["data"]["request_id"] == "again"


@pytest.mark.parametrize(
    "path",
    [
        "/conversations/%0A",
        "/contacts/%0A",
        "/conversations/d1/messages/%0A/media/0",
        "/directory/a%0Ab",
        "/%0A",
    ],
)
def test_a_newline_in_a_path_parameter_is_a_json_error(
    api: Callable[[str | None], Api], path: str
) -> None:
    client = api("alice")
    for method in ("GET", "DELETE"):
        response = client.session.request(method, client.base_url + path, timeout=FRAME_SECONDS)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
        assert response.headers["Content-Type"].startswith("application/json")
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)


def test_a_request_line_over_api_gateways_limit_is_a_json_414(
    api: Callable[[str | None], Api],
) -> None:
    client = api("alice")
    path = "/contacts/" + "k" * MAX_REQUEST_LINE
    response = client.session.get(client.base_url + path, timeout=FRAME_SECONDS)
    assert response.status_code == 414
    assert response.json()["error"]["code"] == "uri_too_long"
    just_under = "/contacts/" + "k" * (MAX_REQUEST_LINE - 100)
    assert (
        client.session.get(client.base_url + just_under, timeout=FRAME_SECONDS).json()["error"][
            "code"
        ]
        == "not_found"
    )  # reached the app: longer than any id
