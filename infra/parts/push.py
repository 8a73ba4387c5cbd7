"""The Web Push VAPID key's secret (``webpush_vapid_secret_name``).

The stack makes the secret empty (``{}``); ``infra/admin.py generate-vapid-key``
stores a new P-256 key in it (Secrets Manager cannot make one). Until then Web Push
is unavailable: ``GET /push/key`` answers 503 ``push_unavailable`` and no browser can
subscribe. The key never passes through the template, the package or a log.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.parts import Part
from infra.stages import StageConfig


class WebPushKey(Part):
    """``secret``: where the stage's VAPID private key is kept."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "VapidKeySecret",
            secret_name=config.webpush_vapid_secret_name,
            description=f"{config.prefix} Web Push VAPID key (infra/admin.py generate-vapid-key)",
            # no key yet: an empty JSON object, filled by the admin command
            secret_string_value=cdk.SecretValue.unsafe_plain_text("{}"),
            removal_policy=(
                cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
            ),
        )
