"""The operator's Web Push command (``infra.admin``): store a new VAPID key in the
stage's secret and publish its public key in the stage's parameter (the stack makes
the secret empty and the parameter a placeholder; Secrets Manager cannot make a P-256
key)::

    .venv/bin/python -m infra.admin --stage dev generate-vapid-key
    .venv/bin/python -m infra.admin --stage dev generate-vapid-key --replace

A key already there is kept unless ``--replace`` is given (its public key is
published if the parameter does not hold it yet: a stage deployed before the
parameter existed). After ``--replace``, warm functions go on with the old key for
up to ``webpush_key_ttl_seconds`` (5 minutes by default) — sooner where a push
service refuses a token signed with it — and browsers subscribed with the old public
key stop receiving pushes (their push services refuse the new signature, and the
device is pruned) until the web client subscribes them again. Only the public key is
printed; the private key goes straight into the secret.
"""

from __future__ import annotations

import json
from typing import Any

COMMANDS = ("generate-vapid-key",)


def add_commands(commands: Any) -> None:
    """The Web Push commands on ``infra.admin``'s parser."""
    generate = commands.add_parser(
        "generate-vapid-key",
        help="store a new Web Push VAPID key in the stage's secret and publish its public key",
    )
    generate.add_argument(
        "--replace",
        action="store_true",
        help="replace a key already there (every browser must subscribe again)",
    )


def _published(ssm: Any, parameter: str) -> str:
    try:
        return str(ssm.get_parameter(Name=parameter)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return ""


def _publish(ssm: Any, parameter: str, public_key: str) -> None:
    ssm.put_parameter(Name=parameter, Value=public_key, Type="String", Overwrite=True)


def generate_vapid_key(
    secrets: Any, ssm: Any, secret_name: str, parameter: str, replace: bool = False
) -> tuple[str, bool]:
    """Store a new P-256 key in the secret ``secret_name`` and publish its public key in
    the parameter ``parameter``; returns the public key and whether it is new. A key
    already there (and ``replace`` off) is kept and its public key published; when the
    parameter holds it already, refuses (SystemExit)."""
    from chalicelib.adapters.webpush_crypto import new_vapid_secret, point_of, vapid_key_from
    from chalicelib.domain.webpush import b64url

    try:
        current = secrets.get_secret_value(SecretId=secret_name).get("SecretString") or "{}"
    except secrets.exceptions.ResourceNotFoundException:
        raise SystemExit(f"no secret {secret_name!r}: deploy the stage first") from None
    try:
        held = json.loads(current)
    except ValueError:
        held = {}
    if isinstance(held, dict) and held.get("private_key") and not replace:
        try:
            key = vapid_key_from(str(held["private_key"]))
        except ValueError:
            raise SystemExit(
                f"{secret_name} holds no P-256 key: --replace stores a new one"
            ) from None
        public = b64url(point_of(key.public_key()))
        if _published(ssm, parameter) != public:
            _publish(ssm, parameter, public)
            return public, False
        raise SystemExit(
            f"{secret_name} already holds a VAPID key (public key {public}); "
            "--replace makes a new one, and every browser must then subscribe again"
        )
    secret = new_vapid_secret()
    secrets.put_secret_value(SecretId=secret_name, SecretString=json.dumps(secret))
    _publish(ssm, parameter, secret["public_key"])
    return secret["public_key"], True


def run(session: Any, stage: Any, args: Any) -> list[str]:
    secrets = session.client("secretsmanager", region_name=stage.region)
    ssm = session.client("ssm", region_name=stage.region)
    name = stage.config.webpush_vapid_secret_name
    parameter = stage.config.webpush_public_key_parameter
    public, new = generate_vapid_key(secrets, ssm, name, parameter, replace=args.replace)
    told = f"stored a new VAPID key in {name}" if new else f"kept the VAPID key in {name}"
    return [told, f"published its public key in {parameter}", f"public_key={public}"]
