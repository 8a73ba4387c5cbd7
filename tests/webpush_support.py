"""A browser's half of Web Push for tests: a subscription's keys, and reading a push."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.adapters.webpush_crypto import decrypt, new_vapid_secret, point_of
from chalicelib.domain.webpush import b64url

FCM = "https://fcm.googleapis.com/fcm/send/"


@dataclass
class Browser:
    """One browser profile's push subscription: its key pair and auth secret."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()), repr=False
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16), repr=False)

    def subscription(self) -> dict[str, Any]:
        """What ``JSON.parse(JSON.stringify(pushSubscription))`` gives."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point_of(self.key.public_key())), "auth": b64url(self.auth)},
        }

    def token(self) -> str:
        return json.dumps(self.subscription())

    def read(self, body: bytes) -> dict[str, Any]:
        """The payload of one push body, as the service worker's ``event.data.json()``."""
        return dict(json.loads(decrypt(body, self.key, self.auth)))

    def read_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """One item of the simulator's ``GET /push/{name}`` (its body is base64)."""
        return self.read(base64.b64decode(item["body"]))


def vapid_secret() -> dict[str, str]:
    return new_vapid_secret()
