"""One moto per test module for the contract suites, its tables emptied before each test.

Provisioning every resource takes about a second; emptying a few items takes
milliseconds, so a module shares one in-process moto and each test starts from
empty tables (and the same topics, queues and buckets, which the suites here
never leave anything in that another test reads).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

TABLE = "texting-test-messaging"


@pytest.fixture(scope="module")
def moto_module() -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    from local.motoserver import patch_moto
    from local.provision import provision

    patch_moto()
    with mock_aws():
        provision(boto3.session.Session(region_name="us-east-1"), "texting-test")
        yield boto3


def _empty(client: Any, table: str) -> None:
    keys = [
        k["AttributeName"] for k in client.describe_table(TableName=table)["Table"]["KeySchema"]
    ]
    for page in client.get_paginator("scan").paginate(
        TableName=table,
        ProjectionExpression=", ".join(f"#{n}" for n in range(len(keys))),
        ExpressionAttributeNames={f"#{n}": key for n, key in enumerate(keys)},
    ):
        for item in page["Items"]:
            client.delete_item(TableName=table, Key={k: item[k] for k in keys})


@pytest.fixture
def tables(moto_module: Any) -> Any:
    """Empty DynamoDB tables (on the module's moto), the models bound to the stage's table."""
    from chalicelib.adapters import dynamodb

    client = moto_module.client("dynamodb", region_name="us-east-1")
    for table in client.list_tables()["TableNames"]:
        _empty(client, table)
    dynamodb.bind_models(TABLE, "us-east-1")
    return moto_module
