"""One contract for where Twilio's credentials are kept: Secrets Manager (on moto)
and the in-memory fake the unit tests use behave alike."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Protocol

import pytest

from chalicelib.adapters.twilio_credentials import (
    CredentialsUnavailable,
    SecretsManagerSource,
    SecretSource,
)
from tests.fakes import MemorySecretSource

NAME = "texting/test/twilio"
TOKEN = "auth-token-0123456789abcdef"


class Store(Protocol):
    source: SecretSource

    def put(self, value: dict[str, Any] | str) -> None: ...

    def lose(self) -> None:
        """Make the secret unreadable."""
        ...


class SecretsManagerStore:
    def __init__(self, client: Any) -> None:
        self._client = client
        self.source: SecretSource = SecretsManagerSource(NAME, client)

    def put(self, value: dict[str, Any] | str) -> None:
        import json

        text = value if isinstance(value, str) else json.dumps(value)
        try:
            self._client.put_secret_value(SecretId=NAME, SecretString=text)
        except self._client.exceptions.ResourceNotFoundException:
            self._client.create_secret(Name=NAME, SecretString=text)

    def lose(self) -> None:
        self._client.delete_secret(SecretId=NAME, ForceDeleteWithoutRecovery=True)


class MemoryStore:
    def __init__(self) -> None:
        self.fake = MemorySecretSource()
        self.source: SecretSource = self.fake

    def put(self, value: dict[str, Any] | str) -> None:
        self.fake.put(value)

    def lose(self) -> None:
        self.fake.failing = True


@pytest.fixture(params=["secretsmanager", "memory"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield SecretsManagerStore(boto3.client("secretsmanager", region_name="us-east-1"))


def test_a_read_gives_the_json_fields_and_when_they_were_stored(store: Store) -> None:
    before = time.time()
    store.put({"account_sid": "AC1", "auth_token": TOKEN})
    read = store.source.read()
    assert dict(read.values) == {"account_sid": "AC1", "auth_token": TOKEN}
    assert read.stored_at is not None and before - 2 <= read.stored_at <= time.time() + 2


def test_a_new_value_is_read_at_once(store: Store) -> None:
    store.put({"account_sid": "AC1", "auth_token": TOKEN})
    store.source.read()
    store.put({"account_sid": "AC1", "auth_token": "new-" + TOKEN, "previous_auth_token": TOKEN})
    assert store.source.read().values["previous_auth_token"] == TOKEN


@pytest.mark.parametrize("text", ["not json " + TOKEN, '["' + TOKEN + '"]'])
def test_a_value_that_is_not_a_json_object_is_unavailable_and_not_quoted(
    store: Store, text: str
) -> None:
    store.put(text)
    with pytest.raises(CredentialsUnavailable) as error:
        store.source.read()
    assert TOKEN not in str(error.value)


def test_a_secret_that_cannot_be_read_is_unavailable(store: Store) -> None:
    store.put({"account_sid": "AC1", "auth_token": TOKEN})
    store.lose()
    with pytest.raises(CredentialsUnavailable) as error:
        store.source.read()
    assert NAME not in str(error.value)
