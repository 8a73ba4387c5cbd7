"""Accounts on the real local stack: an invitation goes to the mailbox with the web
client's address; an offboarded person's unexpired IdToken stops working on REST
within 60 s (the authorizer's cached allow included), their WebSocket connect is
refused at once and their open connection is closed; re-enabled, they are back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.e2e.clients import FRAME_SECONDS, Api, Stack

pytestmark = pytest.mark.e2e

PASSWORD = "Paula-chose-this-1"


def _poll(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds}s: {what}")
        time.sleep(0.5)


def _invite_and_sign_in(stack: Stack, admin: Api) -> tuple[str, str]:
    """A new co-worker invited by the admin, who then chooses a password: (user_id, IdToken)."""
    username = f"paula-{uuid.uuid4().hex[:8]}"
    invited = admin.post(
        "/admin/users",
        {"username": username, "email": f"{username}@acme.test", "name": "Paula Part"},
    )
    assert invited.status_code == 201, invited.text
    letters = requests.get(f"{stack['simulator_url']}/mail/{username}@acme.test", timeout=10)
    (invitation,) = letters.json()["items"]
    assert stack["web_url"].rstrip("/") in invitation["text"]
    temporary = invitation["text"].split("temporary password ")[1].split(". ")[0]
    cognito: Any = boto3.client(
        "cognito-idp",
        endpoint_url=stack["aws_endpoint_url"],
        region_name=stack["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client_id = stack["cognito"]["client_id"]
    challenge = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": username, "PASSWORD": temporary},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": PASSWORD},
    )
    return str(invited.json()["user_id"]), str(done["AuthenticationResult"]["IdToken"])


def test_an_offboarded_persons_token_is_refused_everywhere_within_a_minute(
    stack: Stack, api: Callable[[str | None], Api]
) -> None:
    admin = api("alice")
    user_id, token = _invite_and_sign_in(stack, admin)
    paula = Api(stack["rest_url"], token)
    assert paula.get("/me").status_code == 200  # the authorizer now holds an allow
    socket = connect(f"{stack['ws_url']}?token={token}", proxy=None, open_timeout=FRAME_SECONDS)

    disabled = admin.post(f"/admin/users/{user_id}/disable")
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False

    # the open connection is closed by the offboarding
    with pytest.raises(ConnectionClosed):
        socket.recv(timeout=FRAME_SECONDS)
    # a new connection is refused at once
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{stack['ws_url']}?token={token}", proxy=None, open_timeout=FRAME_SECONDS)
    assert refused.value.response.status_code in (401, 403)
    # REST: refused within 60 s, the authorizer's cached allow notwithstanding
    started = time.monotonic()
    _poll(lambda: paula.get("/me").status_code == 401, 60, "REST refused")
    assert time.monotonic() - started <= 60

    assert admin.post(f"/admin/users/{user_id}/enable").json()["enabled"] is True
    _poll(lambda: paula.get("/me").status_code == 200, 60, "REST allowed again")


def test_a_co_worker_of_another_company_cannot_be_offboarded(
    api: Callable[[str | None], Api], stack: Stack
) -> None:
    acme = stack["companies"][0]["company_id"]
    other = next(u for u in stack["users"] if u["company_id"] != acme)
    response = api("alice").post(f"/admin/users/{other['user_id']}/disable")
    assert response.status_code == 404
