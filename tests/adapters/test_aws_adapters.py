"""The stage's event routing (SNS filter policies onto the queues) and Cognito JWT
verification, against AWS stand-ins.

The adapters' own behaviour, shared with their fakes, is in test_gateway_contracts.py.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from chalicelib.adapters.aws import SnsEventPublisher
from chalicelib.adapters.jwt_verifier import CognitoJwtVerifier
from chalicelib.domain.errors import Unauthorized
from chalicelib.domain.model import Event


def test_published_events_reach_the_realtime_queue_with_their_type(aws: Any) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="texting-test-events")["TopicArn"]
    queue_url = sqs.get_queue_url(QueueName="texting-test-realtime")["QueueUrl"]
    events = [
        Event(f"e{n}", "message.created", "acme", ["u-bob"], {"seq": n}, "c1") for n in range(12)
    ]  # more than one PublishBatch
    SnsEventPublisher(topic, client=sns).publish(events)
    received: list[dict[str, Any]] = []
    for _ in range(5):
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        received += [json.loads(m["Body"]) for m in batch.get("Messages", [])]
    assert sorted(r["event_id"] for r in received) == sorted(e.event_id for e in events)
    assert received[0]["type"] == "message.created" and received[0]["recipients"] == ["u-bob"]


def test_events_outside_the_filter_policy_do_not_reach_the_queue(aws: Any) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="texting-test-events")["TopicArn"]
    queue_url = sqs.get_queue_url(QueueName="texting-test-realtime")["QueueUrl"]
    SnsEventPublisher(topic, client=sns).publish(
        [Event("x", "billing.reported", "acme", [], {}, None)]
    )
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)


def test_a_token_issued_by_cognito_is_verified_against_its_jwks(aws: Any) -> None:
    """moto's Cognito signs real RS256 IdTokens; its JWKS is the one it serves."""
    from moto.utilities.utils import load_resource

    idp = boto3.client("cognito-idp", region_name="us-east-1")
    pool = idp.create_user_pool(PoolName="p")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool, Username="alice", TemporaryPassword="Tmp-pass-1!")
    idp.admin_set_user_password(
        UserPoolId=pool, Username="alice", Password="Pass-word-1!", Permanent=True
    )
    tokens = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Pass-word-1!"},
    )
    jwks = load_resource("moto.cognitoidp.responses", "resources/jwks-public.json")
    verifier = CognitoJwtVerifier(
        issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
        client_id=client_id,
        jwks_url="unused",
        fetcher=lambda _url: jwks,
    )
    claims = verifier.verify(tokens["AuthenticationResult"]["IdToken"])
    sub = idp.admin_get_user(UserPoolId=pool, Username="alice")["UserAttributes"]
    assert claims["sub"] == next(a["Value"] for a in sub if a["Name"] == "sub")
    with pytest.raises(Unauthorized):  # the AccessToken is not an IdToken
        verifier.verify(tokens["AuthenticationResult"]["AccessToken"])


def test_jwks_is_fetched_once_and_refetched_for_an_unknown_key() -> None:
    from tests.support import CLIENT_ID, ISSUER, KeyPair

    old, new = KeyPair("old"), KeyPair("new")
    served = {"jwks": old.jwks}
    fetches: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetches.append(url)
        return served["jwks"]

    verifier = CognitoJwtVerifier(
        issuer=ISSUER, client_id=CLIENT_ID, jwks_url="https://j", fetcher=fetch, refetch_after=0
    )
    for _ in range(3):
        verifier.verify(old.token("u-1"))
    assert len(fetches) == 1
    served["jwks"] = new.jwks  # the pool rotated its key
    assert verifier.verify(new.token("u-1"))["sub"] == "u-1"
    assert len(fetches) == 2


def test_keys_that_cannot_be_loaded_fail_the_check_instead_of_denying() -> None:
    """A denial would be cached by API Gateway for the token's TTL (5 minutes of 401s
    for a signed-in user); a failure is a 500 that the next request retries."""
    from chalicelib.adapters import jwt_verifier
    from chalicelib.adapters.jwt_verifier import KeysUnavailable
    from tests.support import CLIENT_ID, ISSUER, KeyPair

    keys = KeyPair("k")
    down = [True]

    def fetch(url: str) -> dict[str, Any]:
        if down[0]:
            raise OSError("connection refused")
        return keys.jwks

    verifier = CognitoJwtVerifier(
        issuer=ISSUER, client_id=CLIENT_ID, jwks_url="https://j", fetcher=fetch, refetch_after=0
    )
    with pytest.raises(KeysUnavailable):
        verifier.verify(keys.token("u-1"))
    down[0] = False
    with pytest.raises(KeysUnavailable):  # right after a failure: no second slow fetch
        verifier.verify(keys.token("u-1"))
    verifier._failed_at -= jwt_verifier.FAILED_LOAD_BACKOFF  # the back-off has passed
    assert verifier.verify(keys.token("u-1"))["sub"] == "u-1"
