"""A browser's half of Web Push for tests: a subscription's keys, and reading a push."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.adapters.webpush_crypto import decrypt, new_vapid_secret, point_of
from chalicelib.domain.errors import PushUnavailable
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

    @classmethod
    def fixed(cls, endpoint: str) -> Browser:
        """Keys that are the same in every process: for test parameters, which pytest-xdist's
        workers must each collect identically."""
        seed = int.from_bytes(hashlib.sha256(endpoint.encode()).digest(), "big") % (2**255) + 1
        auth = hashlib.sha256(b"auth" + endpoint.encode()).digest()[:16]
        return cls(endpoint, ec.derive_private_key(seed, ec.SECP256R1()), auth)

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


@dataclass
class PublishedKey:
    """The stage's VAPID public key as its parameter holds it (``WebPushKey``); None:
    no key generated yet."""

    value: str | None

    def public_key(self) -> str:
        if self.value is None:
            raise PushUnavailable("Web Push is not configured on this stage (no VAPID key)")
        return self.value


@dataclass
class Clock:
    """Monotonic seconds moved by hand."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class PushService:
    """A push service on a loopback port: answers each POST with the next status of
    ``answers`` (then 201), a 3xx pointing elsewhere; records every request. A path
    ending in ``/slow`` is answered only once ``hang`` is set (or after 5 s)."""

    url: str  # the endpoint prefix: {url}{name}
    answers: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    hang: threading.Event = field(default_factory=threading.Event)


@contextmanager
def serving_push() -> Iterator[PushService]:
    state = PushService("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path.endswith("/slow"):
                state.hang.wait(5)
            state.received.append(
                {"path": self.path, "headers": dict(self.headers.items()), "body": body}
            )
            status = state.answers.pop(0) if state.answers else 201
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"{state.url}elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/_sim/push/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.hang.set()
        server.shutdown()
        server.server_close()
