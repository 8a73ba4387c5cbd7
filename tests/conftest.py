"""Shared fixtures: AWS stand-ins (moto in-process) and the app wired to them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# Before anything creates a boto3 client: fake credentials, one region, no real AWS.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_SESSION_TOKEN", "testing")
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture
def aws() -> Iterator[Any]:
    """In-process moto with every resource chalicelib.resources declares (as the stacks do)."""
    import boto3
    from moto import mock_aws

    from local.motoserver import keep_streams_on_rollback
    from local.provision import provision

    keep_streams_on_rollback()  # moto loses stream records after a cancelled transaction
    with mock_aws():
        provision(boto3.session.Session(region_name="us-east-1"), "texting-test")
        yield boto3
