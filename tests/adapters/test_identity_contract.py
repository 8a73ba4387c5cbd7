"""The user pool port: Cognito (on moto) and the in-memory fake behave alike.

RevokeToken is not in moto, so its call is checked with botocore's Stubber against
the service model: the request's shape, and what each answer means to sign-out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.adapters.cognito import CognitoIdentityProvider
from chalicelib.domain.errors import Conflict
from tests import fakes


@pytest.fixture(params=["cognito", "memory"])
def identity(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield fakes.MemoryIdentityProvider()
        return
    request.getfixturevalue("aws")
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool = cognito.create_user_pool(PoolName="contract")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="web")
    yield CognitoIdentityProvider(
        pool, client["UserPoolClient"]["ClientId"], "us-east-1", client=cognito
    )


def test_an_invited_account_has_a_sub_its_email_and_waits_for_a_new_password(
    identity: Any,
) -> None:
    made = identity.invite("dana", "dana@acme.test", "Dana", {"company_name": "Acme"})
    assert made.user_id and made.username == "dana" and made.email == "dana@acme.test"
    assert made.status == "FORCE_CHANGE_PASSWORD" and made.enabled is True
    assert identity.find("dana") == made


def test_a_second_invitation_of_the_same_username_is_a_conflict(identity: Any) -> None:
    identity.invite("dana", "dana@acme.test", "Dana", {})
    with pytest.raises(Conflict) as raised:
        identity.invite("dana", "other@evil.test", "Mallory", {})
    assert raised.value.code == "username_taken"
    assert identity.find("dana").email == "dana@acme.test"


def test_disable_and_enable_show_on_the_account_and_unknown_names_are_ignored(
    identity: Any,
) -> None:
    identity.invite("dana", "dana@acme.test", "Dana", {})
    identity.set_enabled("dana", False)
    assert identity.find("dana").enabled is False
    identity.set_enabled("dana", True)
    assert identity.find("dana").enabled is True
    identity.set_enabled("nobody", False)
    identity.sign_out_everywhere("nobody")
    assert identity.find("nobody") is None


def _stubbed() -> tuple[CognitoIdentityProvider, Stubber]:
    client = boto3.client(
        "cognito-idp",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    return CognitoIdentityProvider("us-east-1_pool", "client-1", "us-east-1", client), Stubber(
        client
    )


def test_sign_out_revokes_the_refresh_token_with_the_public_clients_id() -> None:
    provider, stub = _stubbed()
    stub.add_response("revoke_token", {}, {"Token": "refresh-1", "ClientId": "client-1"})
    with stub:
        provider.revoke("refresh-1")
    stub.assert_no_pending_responses()


@pytest.mark.parametrize("code", ["UnauthorizedException", "UnsupportedTokenTypeException"])
def test_a_token_that_is_no_longer_valid_needs_no_revoking(code: str) -> None:
    provider, stub = _stubbed()
    stub.add_client_error("revoke_token", service_error_code=code, http_status_code=400)
    with stub:
        provider.revoke("refresh-1")
    stub.assert_no_pending_responses()


def test_a_pool_that_cannot_revoke_says_so() -> None:
    provider, stub = _stubbed()
    stub.add_client_error(
        "revoke_token", service_error_code="TooManyRequestsException", http_status_code=429
    )
    with stub, pytest.raises(Exception) as raised:
        provider.revoke("refresh-1")
    assert "TooManyRequests" in type(raised.value).__name__ + str(raised.value)
