"""Invitations, offboarding and sign-out through the real app, on moto's Cognito and
DynamoDB: an admin acts on their own company only, and an offboarded person's
unexpired token is refused on REST and on WebSocket connect."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.adapters.cognito import CognitoIdentityProvider
from chalicelib.domain.errors import DomainError, Forbidden
from chalicelib.domain.model import Connection, Device
from chalicelib.services.commands import InviteUser
from chalicelib.services.common import Caller
from tests.api.conftest import Api, running_api
from tests.api.test_websocket import connect, send_frame
from tests.support import KEYS


@pytest.fixture
def pool(aws: Any) -> tuple[Any, str, str]:
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool_id = cognito.create_user_pool(PoolName="accounts")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")
    return cognito, pool_id, client["UserPoolClient"]["ClientId"]


@pytest.fixture
def api(pool: tuple[Any, str, str]) -> Iterator[Api]:
    cognito, pool_id, client_id = pool
    identity = CognitoIdentityProvider(pool_id, client_id, "us-east-1", client=cognito)
    with running_api(adapters={"identity": identity}) as running:
        yield running


INVITE = {"username": "dana", "email": "dana@acme.test", "name": "Dana Diaz"}


def _cognito_user(pool: tuple[Any, str, str], username: str) -> dict[str, Any]:
    cognito, pool_id, _ = pool
    return dict(cognito.admin_get_user(UserPoolId=pool_id, Username=username))


def test_an_admin_invites_a_co_worker_into_their_own_company(
    api: Api, pool: tuple[Any, str, str]
) -> None:
    response = api.call("POST", "/admin/users", "alice", {**INVITE, "role": "admin"})
    assert response.status_code == 201
    user = response.json_body
    assert (user["username"], user["email"], user["name"]) == (
        "dana",
        "dana@acme.test",
        "Dana Diaz",
    )
    assert (user["company_id"], user["role"], user["enabled"]) == ("acme", "admin", True)
    account = _cognito_user(pool, "dana")
    assert account["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    sub = next(a["Value"] for a in account["UserAttributes"] if a["Name"] == "sub")
    assert user["user_id"] == sub
    # the new co-worker is in the company's directory at once
    listed = api.call("GET", "/directory?limit=100", "bob").json_body["items"]
    assert sub in {entry["user_id"] for entry in listed}


def test_a_retried_invitation_answers_the_same_profile_and_makes_no_second_account(
    api: Api,
) -> None:
    first = api.call("POST", "/admin/users", "alice", INVITE)
    again = api.call("POST", "/admin/users", "alice", INVITE)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json_body["user_id"] == first.json_body["user_id"]


def test_an_invitation_whose_profile_write_was_lost_is_completed_by_the_retry(
    api: Api, pool: tuple[Any, str, str]
) -> None:
    cognito, pool_id, _ = pool
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="dana",
        UserAttributes=[{"Name": "email", "Value": "dana@acme.test"}],
    )
    response = api.call("POST", "/admin/users", "alice", INVITE)
    assert response.status_code == 201
    assert api.services.adapters.directory.get_user(response.json_body["user_id"]) is not None


def test_a_username_taken_anywhere_is_a_conflict_that_names_no_company(api: Api) -> None:
    assert api.call("POST", "/admin/users", "dave", INVITE).status_code == 201  # globex
    taken = api.call("POST", "/admin/users", "alice", INVITE)  # acme, same username and email
    assert taken.status_code == 409
    assert taken.json_body["error"]["code"] == "username_taken"
    assert "globex" not in taken.body.decode().lower()
    other = api.call("POST", "/admin/users", "alice", {**INVITE, "email": "x@acme.test"})
    assert other.json_body["error"]["code"] == "username_taken"


@pytest.mark.parametrize(
    ("who", "status"),
    [("bob", 403), (None, 401)],
)
def test_only_an_admin_invites(api: Api, who: str | None, status: int) -> None:
    assert api.call("POST", "/admin/users", who, INVITE).status_code == status


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**INVITE, "username": ""}, "invalid_username"),
        ({**INVITE, "username": "has space"}, "invalid_username"),
        ({**INVITE, "username": "a" * 129}, "invalid_username"),
        ({**INVITE, "username": "\ud800"}, "invalid_body"),  # refused before any field
        ({**INVITE, "email": "not-an-email"}, "invalid_email"),
        ({**INVITE, "name": "   "}, "invalid_name"),
        ({**INVITE, "name": 7}, "invalid_name"),
        ({**INVITE, "role": "owner"}, "invalid_role"),
        ({**INVITE, "role": None}, "invalid_role"),
        ({**INVITE, "extra": 1}, "invalid_request"),
        ({"username": "dana"}, "invalid_email"),
    ],
)
def test_a_bad_invitation_is_refused_and_creates_nothing(
    api: Api, pool: tuple[Any, str, str], body: dict[str, Any], code: str
) -> None:
    response = api.call("POST", "/admin/users", "alice", body)
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == code
    cognito, pool_id, _ = pool
    assert cognito.list_users(UserPoolId=pool_id)["Users"] == []


def _invite(api: Api) -> str:
    user_id = str(api.call("POST", "/admin/users", "alice", INVITE).json_body["user_id"])
    api.people["dana"] = api.services.adapters.directory.get_user(user_id)
    return user_id


def test_a_disabled_users_unexpired_token_is_refused_on_rest_and_websocket(
    api: Api, pool: tuple[Any, str, str]
) -> None:
    user_id = _invite(api)
    assert api.call("GET", "/me", "dana").status_code == 200
    assert connect("conn-dana-1", KEYS.token(user_id))["statusCode"] == 200
    disabled = api.call("POST", f"/admin/users/{user_id}/disable", "alice")
    assert disabled.status_code == 200 and disabled.json_body["enabled"] is False
    assert api.call("GET", "/me", "dana").status_code in (401, 403)
    assert connect("conn-dana-2", KEYS.token(user_id))["statusCode"] == 401
    assert "conn-dana-1" in api.sender.closed
    assert _cognito_user(pool, "dana")["Enabled"] is False
    enabled = api.call("POST", f"/admin/users/{user_id}/enable", "alice")
    assert enabled.status_code == 200 and enabled.json_body["enabled"] is True
    assert api.call("GET", "/me", "dana").status_code == 200
    assert _cognito_user(pool, "dana")["Enabled"] is True


def test_offboarding_ends_every_device_and_keeps_what_they_wrote(api: Api) -> None:
    user_id = _invite(api)
    created = api.call("POST", "/conversations", "dana", {"type": "im", "members": ["u-bob"]})
    conversation_id = created.json_body["id"]
    sent = api.call(
        "POST",
        f"/conversations/{conversation_id}/messages",
        "dana",
        {"client_id": "c-1", "text": "handing over"},
    )
    assert sent.status_code in (200, 201)
    notifications = api.services.adapters.notifications
    notifications.put_device(Device(user_id, "phone", "fcm", "tok", "2026-01-01T00:00:00Z"))
    api.call("POST", f"/admin/users/{user_id}/disable", "alice")
    assert notifications.devices(user_id) == []
    history = api.call("GET", f"/conversations/{conversation_id}/messages", "bob").json_body
    assert [m["text"] for m in history["items"]] == ["handing over"]


def test_a_frame_from_a_connection_of_a_disabled_user_is_refused(api: Api) -> None:
    user_id = _invite(api)
    assert connect("conn-dana", KEYS.token(user_id))["statusCode"] == 200
    api.services.adapters.directory.set_enabled(user_id, False)  # an offboarding under way
    api.sender.frames.clear()
    # a frame that reads or writes anything (a ping only keeps the line; the connection
    # is being closed by the offboarding)
    send_frame("conn-dana", {"action": "typing", "conversation_id": "c-1", "request_id": "r1"})
    replies = api.sender.frames.get("conn-dana", [])
    assert replies[-1]["type"] == "error" and replies[-1]["data"]["code"] == "account_disabled"


@pytest.mark.parametrize("path", ["disable", "enable"])
def test_an_admin_cannot_touch_another_companys_user(api: Api, path: str) -> None:
    response = api.call("POST", f"/admin/users/u-erin/{path}", "alice")
    assert response.status_code == 404
    assert api.services.adapters.directory.get_user("u-erin").enabled is True


def test_a_non_admin_cannot_disable_and_an_admin_cannot_disable_themselves(api: Api) -> None:
    assert api.call("POST", "/admin/users/u-carol/disable", "bob").status_code == 403
    itself = api.call("POST", "/admin/users/u-alice/disable", "alice")
    assert itself.status_code == 409
    assert itself.json_body["error"]["code"] == "cannot_disable_self"
    assert api.services.adapters.directory.get_user("u-alice").enabled is True


def test_disabling_twice_is_harmless(api: Api) -> None:
    user_id = _invite(api)
    for _ in range(2):
        assert api.call("POST", f"/admin/users/{user_id}/disable", "alice").status_code == 200


def test_sign_out_ends_this_device_only(api: Api) -> None:
    notifications = api.services.adapters.notifications
    for device in ("laptop", "phone"):
        notifications.put_device(Device("u-bob", device, "fcm", f"t-{device}", "2026-01-01"))
    connections = api.services.adapters.connections
    for device in ("laptop", "phone"):
        connections.add(
            Connection(f"c-{device}", "u-bob", "acme", "2026-01-01", device, deadline=2**31)
        )
    response = api.call(
        "POST", "/me/sign-out", "bob", {"device_id": "laptop", "refresh_token": None}
    )
    assert response.status_code == 204
    assert [d.device_id for d in notifications.devices("u-bob")] == ["phone"]
    assert "c-laptop" in api.sender.closed and "c-phone" not in api.sender.closed
    # a device that is already signed out: nothing left to end, still 204
    assert api.call("POST", "/me/sign-out", "bob", {"device_id": "laptop"}).status_code == 204


@pytest.mark.parametrize(
    "body", [{"device_id": ""}, {"device_id": 5}, {"refresh_token": ["x"]}, {"other": 1}]
)
def test_a_bad_sign_out_body_is_refused(api: Api, body: dict[str, Any]) -> None:
    assert api.call("POST", "/me/sign-out", "bob", body).status_code == 400


def test_an_offboarded_admin_cannot_undo_it_within_the_authorizers_cache(api: Api) -> None:
    """Alice disables admin Dana while Dana's token still holds a cached allow: Dana can
    neither re-enable herself, nor invite a way back in, nor disable Alice."""
    response = api.call("POST", "/admin/users", "alice", {**INVITE, "role": "admin"})
    dana = response.json_body["user_id"]
    api.people["dana"] = api.services.adapters.directory.get_user(dana)
    assert api.call("POST", f"/admin/users/{dana}/disable", "alice").status_code == 200
    caller = Caller(dana, "acme", "admin")  # what the cached authorizer answer still says
    accounts = api.services.accounts
    with pytest.raises(DomainError) as refused:
        accounts.enable(caller, dana)
    assert refused.value.code in ("admin_only", "cannot_enable_self")
    for attempt in (
        lambda: accounts.invite(caller, InviteUser("backdoor", "dana@evil.test", "Backdoor")),
        lambda: accounts.disable(caller, "u-alice"),
        lambda: accounts.enable(caller, "u-bob"),
    ):
        with pytest.raises(Forbidden):
            attempt()
    assert api.services.adapters.directory.get_user("u-alice").enabled is True
    assert api.services.adapters.directory.get_user(dana).enabled is False


def test_an_admin_cannot_enable_themselves(api: Api) -> None:
    response = api.call("POST", "/admin/users/u-alice/enable", "alice")
    assert response.status_code == 409
    assert response.json_body["error"]["code"] == "cannot_enable_self"


def test_an_offboarded_person_cannot_register_a_device_for_push_afterwards(api: Api) -> None:
    user_id = _invite(api)
    api.call("POST", f"/admin/users/{user_id}/disable", "alice")
    caller = Caller(user_id, "acme", "user")  # a token the authorizer still allows
    with pytest.raises(DomainError) as refused:
        api.services.notifications.register_device(caller, "phone", "fcm", "tok-after")
    assert refused.value.code == "account_disabled"
    assert api.services.adapters.notifications.devices(user_id) == []


def test_a_legacy_profile_without_a_username_is_found_by_its_sub_and_offboarded(
    api: Api, pool: tuple[Any, str, str]
) -> None:
    user_id = _invite(api)
    directory = api.services.adapters.directory
    legacy = directory.get_user(user_id)
    legacy.username = ""
    directory.put_user(legacy)
    assert api.call("POST", f"/admin/users/{user_id}/disable", "alice").status_code == 200
    assert _cognito_user(pool, "dana")["Enabled"] is False
    assert directory.get_user(user_id).username == "dana"  # kept from now on
