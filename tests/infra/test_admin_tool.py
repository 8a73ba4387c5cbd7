"""The operator tool creates the first company and its admin on a deployed stage (moto here)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.admin import NewUser, Stage, add_user, create_company

STACK = "texting-dev"


@pytest.fixture
def deployed() -> Iterator[tuple[boto3.session.Session, Stage]]:
    """A stand-in for a deployed stage: its table and pool, and a stack whose outputs name them."""
    from moto import mock_aws

    from local.provision import provision

    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        provision(session, "texting-dev")
        pool_id = session.client("cognito-idp").create_user_pool(PoolName="texting-dev-users")[
            "UserPool"
        ]["Id"]
        template = {
            "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {
                "Region": {"Value": "us-east-1"},
                "UserPoolId": {"Value": pool_id},
                "MessagingTableName": {"Value": "texting-dev-messaging"},
            },
        }
        session.client("cloudformation").create_stack(
            StackName=STACK, TemplateBody=json.dumps(template)
        )
        yield session, Stage.from_stack(session, STACK)


def _directory(stage: Stage) -> Any:
    from chalicelib.adapters import dynamodb

    dynamodb.bind_models(stage.table_name, stage.region)
    return dynamodb.DynamoDirectoryRepository()


def test_stage_is_found_from_the_stack_outputs(
    deployed: tuple[boto3.session.Session, Stage],
) -> None:
    _, stage = deployed
    assert stage.table_name == "texting-dev-messaging"
    assert stage.user_pool_id.startswith("us-east-1_")


def test_first_company_gets_an_admin_who_is_a_cognito_user(
    deployed: tuple[boto3.session.Session, Stage],
) -> None:
    session, stage = deployed
    admin = NewUser(
        username="alice",
        email="alice@acme.example",
        name="Alice Admin",
        extension="101",
        numbers=("+14155550100",),
        password="A-long-enough-Passw0rd",
    )
    company, profile = create_company(session, stage, "Acme Plumbing", admin)
    directory = _directory(stage)
    assert directory.get_company(company.company_id).name == "Acme Plumbing"
    stored = directory.get_user(profile.user_id)
    assert stored.role == "admin" and stored.company_id == company.company_id
    assert stored.numbers == ["+14155550100"]
    cognito = session.client("cognito-idp")
    attributes = cognito.admin_get_user(UserPoolId=stage.user_pool_id, Username="alice")
    sub = next(a["Value"] for a in attributes["UserAttributes"] if a["Name"] == "sub")
    assert sub == profile.user_id  # the app's user id is the token's sub


def test_added_users_join_an_existing_company_only(
    deployed: tuple[boto3.session.Session, Stage],
) -> None:
    session, stage = deployed
    company, _ = create_company(
        session, stage, "Acme", NewUser(username="alice", email="a@acme.example", name="Alice")
    )
    bob = add_user(
        session, stage, company.company_id, NewUser("bob", "bob@acme.example", "Bob Baker")
    )
    assert _directory(stage).get_user(bob.user_id).role == "user"
    with pytest.raises(SystemExit, match="no company"):
        add_user(session, stage, "c-missing", NewUser("eve", "eve@example.com", "Eve"))
