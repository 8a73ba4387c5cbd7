"""``infra/admin.py generate-vapid-key``: a new P-256 key into the stage's empty VAPID
secret (the one the stack makes), printed as its public key only; a key already there is
kept unless replaced on purpose."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.adapters.webpush import VapidKeys
from tests.infra.test_admin_tool import deployed  # noqa: F401 - the fixture

SECRET = "texting/dev/vapid"


@pytest.fixture
def empty_secret(deployed: Any) -> Iterator[Any]:  # noqa: F811
    session, _ = deployed
    client = session.client("secretsmanager")
    client.create_secret(Name=SECRET, SecretString="{}")  # as the stack makes it
    yield client


def test_the_command_stores_a_key_the_app_reads_and_prints_only_its_public_half(
    empty_secret: Any, capsys: Any
) -> None:
    from infra import admin

    admin.main(["--stage", "dev", "generate-vapid-key"])
    out = capsys.readouterr().out
    stored = json.loads(empty_secret.get_secret_value(SecretId=SECRET)["SecretString"])
    assert f"public_key={stored['public_key']}" in out
    assert stored["private_key"] not in out
    assert VapidKeys.named(SECRET, empty_secret).public_key() == stored["public_key"]


def test_a_key_already_there_is_kept_unless_replaced(empty_secret: Any, capsys: Any) -> None:
    from infra import admin

    admin.main(["--stage", "dev", "generate-vapid-key"])
    first = json.loads(empty_secret.get_secret_value(SecretId=SECRET)["SecretString"])
    with pytest.raises(SystemExit) as refused:
        admin.main(["--stage", "dev", "generate-vapid-key"])
    assert "--replace" in str(refused.value) and first["private_key"] not in str(refused.value)
    assert json.loads(empty_secret.get_secret_value(SecretId=SECRET)["SecretString"]) == first
    admin.main(["--stage", "dev", "generate-vapid-key", "--replace"])
    second = json.loads(empty_secret.get_secret_value(SecretId=SECRET)["SecretString"])
    assert second["private_key"] != first["private_key"]


def test_a_stage_not_deployed_yet_is_told_so(deployed: Any) -> None:  # noqa: F811
    from infra.admin_push import generate_vapid_key

    with pytest.raises(SystemExit) as refused:
        generate_vapid_key(boto3.client("secretsmanager", region_name="us-east-1"), SECRET)
    assert "deploy the stage first" in str(refused.value)
