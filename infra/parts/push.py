"""The Web Push VAPID key: its private half's secret (``webpush_vapid_secret_name``)
and its public half's parameter (``webpush_public_key_parameter``).

The stack makes the secret empty (``{}``) and the parameter a placeholder (``none``:
SSM keeps no empty value); ``infra/admin.py generate-vapid-key`` stores a new P-256
key in the secret and publishes its public key in the parameter (Secrets Manager
cannot make one). Until then Web Push is unavailable: ``GET /push/key`` and a
browser's registration answer 503 ``push_unavailable``. The private key never passes
through the template, the package or a log; the public key is no secret, so the
internet-facing function reads it from the parameter and never the private key.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.parts import Part
from infra.stages import StageConfig

NO_KEY_YET = "none"


class WebPushKey(Part):
    """``secret``: where the stage's VAPID private key is kept; ``public_key``: the
    parameter browsers' key is published in."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        removal = cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
        self.secret = secretsmanager.Secret(
            self,
            "VapidKeySecret",
            secret_name=config.webpush_vapid_secret_name,
            description=f"{config.prefix} Web Push VAPID key (infra/admin.py generate-vapid-key)",
            # no key yet: an empty JSON object, filled by the admin command
            secret_string_value=cdk.SecretValue.unsafe_plain_text("{}"),
            removal_policy=removal,
        )
        self.public_key = ssm.StringParameter(
            self,
            "VapidPublicKey",
            parameter_name=config.webpush_public_key_parameter,
            description=f"{config.prefix} Web Push VAPID public key (generate-vapid-key)",
            string_value=NO_KEY_YET,
        )
        self.public_key.apply_removal_policy(removal)
