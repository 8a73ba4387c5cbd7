"""The operator's Web Push command (``infra.admin``): store a new VAPID key in the
stage's secret (the stack makes the secret empty; Secrets Manager cannot make a P-256
key)::

    .venv/bin/python -m infra.admin --stage dev generate-vapid-key
    .venv/bin/python -m infra.admin --stage dev generate-vapid-key --replace

A key already there is kept unless ``--replace`` is given: browsers subscribed with
the old public key stop receiving pushes (their push services refuse the new
signature) until the web client subscribes them again. Only the public key is
printed; the private key goes straight into the secret.
"""

from __future__ import annotations

import json
from typing import Any

COMMANDS = ("generate-vapid-key",)


def add_commands(commands: Any) -> None:
    """The Web Push commands on ``infra.admin``'s parser."""
    generate = commands.add_parser(
        "generate-vapid-key", help="store a new Web Push VAPID key in the stage's secret"
    )
    generate.add_argument(
        "--replace",
        action="store_true",
        help="replace a key already there (every browser must subscribe again)",
    )


def generate_vapid_key(client: Any, secret_name: str, replace: bool = False) -> str:
    """Store a new P-256 key in the secret ``secret_name``; returns its public key.
    Refuses (SystemExit) when the secret already holds one and ``replace`` is off."""
    from chalicelib.adapters.webpush_crypto import new_vapid_secret

    try:
        current = client.get_secret_value(SecretId=secret_name).get("SecretString") or "{}"
    except client.exceptions.ResourceNotFoundException:
        raise SystemExit(f"no secret {secret_name!r}: deploy the stage first") from None
    try:
        held = json.loads(current)
    except ValueError:
        held = {}
    if isinstance(held, dict) and held.get("private_key") and not replace:
        raise SystemExit(
            f"{secret_name} already holds a VAPID key (public key {held.get('public_key')}); "
            "--replace makes a new one, and every browser must then subscribe again"
        )
    secret = new_vapid_secret()
    client.put_secret_value(SecretId=secret_name, SecretString=json.dumps(secret))
    return secret["public_key"]


def run(session: Any, stage: Any, args: Any) -> list[str]:
    client = session.client("secretsmanager", region_name=stage.region)
    name = stage.config.webpush_vapid_secret_name
    public = generate_vapid_key(client, name, replace=args.replace)
    return [f"stored a new VAPID key in {name}", f"public_key={public}"]
