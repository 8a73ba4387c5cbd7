"""``infra/admin.py generate-vapid-key``: a new P-256 key into the stage's empty VAPID
secret (the one the stack makes) and its public key into the stage's parameter, printed
as its public key only; a key already there is kept unless replaced on purpose (and its
public key published where the parameter lacks it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.adapters.webpush import VapidKeys, VapidPublicKey
from tests.infra.test_admin_tool import deployed  # noqa: F401 - the fixture

SECRET = "texting/dev/vapid"
PARAMETER = "/texting/dev/webpush-public-key"


@pytest.fixture
def empty_secret(deployed: Any) -> Iterator[Any]:  # noqa: F811
    session, _ = deployed
    client = session.client("secretsmanager")
    client.create_secret(Name=SECRET, SecretString="{}")  # as the stack makes it
    session.client("ssm").put_parameter(Name=PARAMETER, Value="none", Type="String")
    yield client


def published(deployed: Any) -> str:  # noqa: F811
    session, _ = deployed
    return VapidPublicKey(PARAMETER, session.client("ssm")).public_key()


def test_the_command_stores_a_key_the_app_reads_and_prints_only_its_public_half(
    empty_secret: Any,
    deployed: Any,  # noqa: F811
    capsys: Any,
) -> None:
    from infra import admin

    admin.main(["--stage", "dev", "generate-vapid-key"])
    out = capsys.readouterr().out
    stored = json.loads(empty_secret.get_secret_value(SecretId=SECRET)["SecretString"])
    assert f"public_key={stored['public_key']}" in out
    assert stored["private_key"] not in out
    assert VapidKeys.named(SECRET, empty_secret).public_key() == stored["public_key"]
    assert published(deployed) == stored["public_key"]


def test_a_key_stored_before_the_parameter_existed_is_published_and_kept(
    empty_secret: Any,
    deployed: Any,  # noqa: F811
) -> None:
    from infra import admin

    admin.main(["--stage", "dev", "generate-vapid-key"])
    first = json.loads(empty_secret.get_secret_value(SecretId=SECRET)["SecretString"])
    session, _ = deployed
    session.client("ssm").put_parameter(Name=PARAMETER, Value="none", Type="String", Overwrite=True)
    admin.main(["--stage", "dev", "generate-vapid-key"])  # no --replace: kept, published
    assert json.loads(empty_secret.get_secret_value(SecretId=SECRET)["SecretString"]) == first
    assert published(deployed) == first["public_key"]


def test_a_key_already_there_is_kept_unless_replaced(
    empty_secret: Any,
    deployed: Any,  # noqa: F811
) -> None:
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
    assert published(deployed) == second["public_key"]


def test_a_stage_not_deployed_yet_is_told_so(deployed: Any) -> None:  # noqa: F811
    from infra.admin_push import generate_vapid_key

    with pytest.raises(SystemExit) as refused:
        generate_vapid_key(
            boto3.client("secretsmanager", region_name="us-east-1"),
            boto3.client("ssm", region_name="us-east-1"),
            SECRET,
            PARAMETER,
        )
    assert "deploy the stage first" in str(refused.value)
