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


@pytest.fixture(autouse=True, scope="session")
def _one_botocore_session_per_thread() -> Iterator[None]:
    """PynamoDB starts a new botocore session for every model's connection, and each
    parses the DynamoDB service model again; tests rebind the models for every test.
    One session per thread keeps that parse to once per run."""
    import threading

    import botocore.session
    from pynamodb.connection import base

    local = threading.local()
    original = base.get_session

    def get_session() -> botocore.session.Session:
        if getattr(local, "session", None) is None:
            local.session = original()
        return local.session

    base.get_session = get_session
    yield
    base.get_session = original


@pytest.fixture
def aws() -> Iterator[Any]:
    """In-process moto with every resource chalicelib.resources declares (as the stacks do)."""
    import boto3
    from moto import mock_aws

    from local.motoserver import patch_moto
    from local.provision import provision

    patch_moto()  # moto loses stream records after a cancelled transaction
    with mock_aws():
        provision(boto3.session.Session(region_name="us-east-1"), "texting-test")
        yield boto3


@pytest.fixture(scope="session")
def osmem_server() -> Iterator[Any]:
    """The OpenSearch-protocol engine the search tests run on (osmem-server, pinned in
    requirements-dev.txt): one process per test worker; each test takes a clone."""
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    yield server
    server.close()


@pytest.fixture
def search_index(osmem_clone: Any) -> Any:
    """An empty message index (alias ``texting-test-messages``) on a fresh engine clone."""
    from chalicelib.adapters.opensearch import OpenSearchIndex

    index = OpenSearchIndex(osmem_clone.url, "texting-test-messages")
    index.ensure()
    return index
