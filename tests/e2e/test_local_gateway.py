"""The local API Gateway emulation answers the way botocore and clients expect from AWS."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from websockets.exceptions import ConnectionClosed

from chalicelib import resources
from local.launcher import start_stack
from tests.e2e.clients import FRAME_SECONDS, Api, Device, Stack, user

pytestmark = pytest.mark.e2e


@pytest.fixture
def management(stack: Stack) -> Any:
    """The WebSocket Management API client, exactly as the app's sender builds it."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack["rest_url"],
        region_name=stack["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_unknown_connection_is_gone_for_botocore(management: Any) -> None:
    gone = management.exceptions.GoneException
    with pytest.raises(gone):
        management.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"{}")
    with pytest.raises(gone):
        management.get_connection(ConnectionId="AAAAAAAAAAAAAAA=")
    with pytest.raises(gone):
        management.delete_connection(ConnectionId="AAAAAAAAAAAAAAA=")


def test_simulator_serves_under_its_url(stack: Stack) -> None:
    response = Api(stack["simulator_url"], None).get("/phones/+15550001111/inbox")
    assert response.status_code == 200
    assert response.json() == []
    unknown = Api(stack["simulator_url"], None).get("/no/such/route")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"


def test_stack_json_has_the_contract_keys(stack: Stack) -> None:
    assert set(stack) == {
        "rest_url",
        "ws_url",
        "aws_endpoint_url",
        "region",
        "cognito",
        "simulator_url",
        "users",
        "companies",
        "numbers",
        "providers",
        "contact_center",
        "web_url",
    }
    assert set(stack["cognito"]) == {"user_pool_id", "client_id"}
    assert len(stack["companies"]) >= 2
    first = stack["companies"][0]["company_id"]
    for company in stack["companies"]:
        people = [u for u in stack["users"] if u["company_id"] == company["company_id"]]
        assert len(people) >= 3
        assert any(u["role"] == "admin" for u in people)
    numbers = [n for n in stack["numbers"] if n["company_id"] == first]
    assert len(numbers) >= 2
    assert any(len(n["users"]) >= 2 for n in numbers)
    assert any(n["provider"] == "twilio" for n in numbers)
    twilio = stack["providers"]["twilio"]
    assert twilio["account_sid"].startswith("AC") and len(twilio["account_sid"]) == 34
    assert twilio["auth_token"]


def connection_ids(stack: Stack, user_id: str) -> set[str]:
    """Live connection ids of a user, read from the app's table (attributes, not key layout)."""
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack["aws_endpoint_url"],
        region_name=stack["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ids: set[str] = set()
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=f"{resources.DEFAULT_PREFIX}-{resources.MESSAGING_TABLE.logical}",
        FilterExpression="user_id = :u AND attribute_exists(connection_id)",
        ExpressionAttributeValues={":u": {"S": user_id}},
    ):
        ids.update(item["connection_id"]["S"] for item in page["Items"])
    return ids


def test_management_api_posts_describes_and_closes_a_live_connection(
    stack: Stack, management: Any, device: Callable[[str], Device]
) -> None:
    grace = user(stack, "grace")
    before = connection_ids(stack, grace["user_id"])
    socket = device("grace")
    [connection_id] = connection_ids(stack, grace["user_id"]) - before

    management.post_to_connection(ConnectionId=connection_id, Data=b'{"type":"test"}')
    assert socket.wait_for(lambda f: f.get("type") == "test") == {"type": "test"}
    info = management.get_connection(ConnectionId=connection_id)
    assert info["Identity"]["SourceIp"] == "127.0.0.1"
    assert info["ConnectedAt"].year >= 2024

    management.delete_connection(ConnectionId=connection_id)
    # frames already on their way (its own presence, a missed-messages summary) may
    # arrive first; the close must follow them before the deadline
    deadline = time.monotonic() + FRAME_SECONDS
    with pytest.raises(ConnectionClosed):
        while True:
            socket.socket.recv(timeout=max(0.01, deadline - time.monotonic()))
    with pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(ConnectionId=connection_id, Data=b"{}")
    deadline = time.monotonic() + FRAME_SECONDS  # $disconnect removes it from the app's table
    while connection_id in connection_ids(stack, grace["user_id"]):
        assert time.monotonic() < deadline, "$disconnect did not remove the connection"
        time.sleep(0.05)


def test_the_stack_stops_and_exits_1_when_its_consumers_process_dies(tmp_path: Path) -> None:
    """The consumers run in a child process: dead, nothing would reach a device again;
    the stack must not go on serving as if all were well."""
    running = start_stack(tmp_path)
    try:
        processes = running.processes()
        assert set(processes) == {"gateway", "moto", "consumers"}
        os.kill(processes["consumers"], signal.SIGKILL)
        assert running.process is not None
        assert running.process.wait(timeout=90) == 1
        assert "the consumers' process exited" in (tmp_path / "stack.log").read_text()
        assert not (tmp_path / "stack.json").exists()  # no longer looks ready
    finally:
        running.stop()
