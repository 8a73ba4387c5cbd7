"""Web Push subscriptions (RFC 8030, RFC 8291): what a browser registers, and where a
push may be sent.

A browser's ``PushSubscription`` names an ``endpoint`` URL on its vendor's push
service and two keys: ``p256dh``, the browser's P-256 public key (65 bytes,
uncompressed), and ``auth``, a 16-byte secret. Both travel base64url-encoded.

The endpoint is a URL the client chose, and the server will POST to it: without a
rule that is a server-side request forgery hole (``http://169.254.169.254/…``). So an
endpoint is accepted only on the browsers' push services, over https on port 443,
with no user info, no IP literal and a lower-case ASCII host; and, only where a
setting names it (the local stack), on the local simulator's push service.

Pure Python: no AWS, no HTTP, no cryptography library (the curve check is the
curve's equation).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
from dataclasses import dataclass, field

from chalicelib.domain.errors import ValidationError

# The browsers' push services (https, port 443): Chrome, Edge's Chromium and others on
# Firebase Cloud Messaging; Firefox on Mozilla's autopush; Edge on Windows Push
# Notification Services; Safari on Apple's (web.push.apple.com).
PUSH_SERVICE_HOSTS: tuple[str, ...] = ("fcm.googleapis.com",)
PUSH_SERVICE_SUFFIXES: tuple[str, ...] = (
    ".push.services.mozilla.com",
    ".notify.windows.com",
    ".push.apple.com",
)
MAX_ENDPOINT = 2048
AUTH_BYTES = 16
POINT_BYTES = 65
# the local simulator's push service: one path segment names the subscription
LOCAL_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_URL_TEXT = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces
_B64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")
# scheme, authority, the rest: enough to spell an endpoint one way (never to judge it)
_URL_PARTS = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)", re.DOTALL)
DEFAULT_PORTS = {"https": ":443", "http": ":80"}

# P-256 (secp256r1): y^2 = x^3 - 3x + b over GF(p)
_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


def b64url(data: bytes) -> str:
    """Unpadded base64url, as Web Push writes keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """base64url with or without padding; anything else raises ValueError."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    bare = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


def normalised_endpoint(endpoint: str) -> str:
    """The endpoint as the browser's vendor spells its origin: the scheme in lower case
    and no default port (``https://fcm.googleapis.com:443/x`` → ``https://fcm.googleapis.com/x``).
    The VAPID token's ``aud`` is the endpoint's origin, and push services refuse one
    with an explicit ``:443``. Anything else (host case, user info, another port) is
    left as it is, for ``PushEndpoints`` to judge."""
    match = _URL_PARTS.fullmatch(endpoint)
    if match is None:
        return endpoint
    scheme, authority, rest = match.group(1).lower(), match.group(2), match.group(3)
    default = DEFAULT_PORTS.get(scheme, "")
    if default and "@" not in authority and authority.endswith(default):
        authority = authority.removesuffix(default)
    return f"{scheme}://{authority}{rest}"


def is_p256_point(point: bytes) -> bool:
    """An uncompressed P-256 public key: 0x04, x, y, on the curve."""
    if len(point) != POINT_BYTES or point[0] != 4:
        return False
    x = int.from_bytes(point[1:33], "big")
    y = int.from_bytes(point[33:], "big")
    if not (x < _P and y < _P):
        return False
    return (y * y - (x * x * x - 3 * x + _B)) % _P == 0


@dataclass(frozen=True)
class Subscription:
    """A browser's push subscription; its keys stay out of ``repr``."""

    endpoint: str
    p256dh: bytes = field(repr=False)
    auth: bytes = field(repr=False)

    @property
    def origin(self) -> str:
        """The endpoint's origin: the VAPID token's audience (RFC 8292)."""
        parts = urllib.parse.urlsplit(self.endpoint)
        return f"{parts.scheme}://{parts.netloc}"

    def token(self) -> str:
        """The one spelling stored for this subscription (so the same subscription sent
        with other spacing or key order is the same token)."""
        keys = {"p256dh": b64url(self.p256dh), "auth": b64url(self.auth)}
        return json.dumps({"endpoint": self.endpoint, "keys": keys}, separators=(",", ":"))


def parse_subscription(token: str) -> Subscription:
    """The serialized ``PushSubscription`` (``JSON.stringify(subscription)``), checked:
    ``invalid_push_subscription`` when it is not one, ``invalid_push_key`` when a key
    is not a P-256 point or a 16-byte secret. The endpoint is normalised
    (``normalised_endpoint``), its host not judged here (``PushEndpoints.check``)."""
    try:
        value = json.loads(token)
    except (TypeError, ValueError):
        value = None
    keys = value.get("keys") if isinstance(value, dict) else None
    endpoint = value.get("endpoint") if isinstance(value, dict) else None
    if not isinstance(endpoint, str) or not isinstance(keys, dict):
        raise ValidationError(
            "token must be the browser's PushSubscription as JSON, with endpoint and keys",
            code="invalid_push_subscription",
        )
    try:
        p256dh = b64url_decode(keys.get("p256dh"))  # type: ignore[arg-type]
        auth = b64url_decode(keys.get("auth"))  # type: ignore[arg-type]
    except ValueError:
        p256dh = auth = b""
    if not is_p256_point(p256dh):
        raise ValidationError(
            "keys.p256dh must be an uncompressed P-256 public key (65 bytes, base64url)",
            code="invalid_push_key",
        )
    if len(auth) != AUTH_BYTES:
        raise ValidationError(
            "keys.auth must be a 16-byte secret (base64url)", code="invalid_push_key"
        )
    return Subscription(normalised_endpoint(endpoint), p256dh, auth)


@dataclass(frozen=True)
class PushEndpoints:
    """Where a push may be sent: the browsers' push services; and, only when
    ``local_prefix`` is set (the local stack's ``{simulator_url}/push/``), that
    simulator's ``{local_prefix}{name}``."""

    local_prefix: str = ""

    def allows(self, endpoint: str) -> bool:
        if not isinstance(endpoint, str) or not 0 < len(endpoint) <= MAX_ENDPOINT:
            return False
        if not _URL_TEXT.fullmatch(endpoint):  # no spaces, controls or non-ASCII (IDN)
            return False
        if self.local_prefix and endpoint.startswith(self.local_prefix):
            return bool(LOCAL_NAME.fullmatch(endpoint[len(self.local_prefix) :]))
        if not endpoint.startswith("https://"):  # exactly, in lower case
            return False
        parts = urllib.parse.urlsplit(endpoint)
        host = parts.hostname or ""
        if "@" in parts.netloc or "\\" in endpoint or parts.fragment:
            return False
        if parts.netloc not in (host, f"{host}:443") or not _HOST.fullmatch(host):
            return False  # another port, user info, upper case, an IP literal
        if not parts.path.startswith("/"):
            return False
        return host in PUSH_SERVICE_HOSTS or host.endswith(PUSH_SERVICE_SUFFIXES)

    def check(self, endpoint: str) -> None:
        """Raise ``push_endpoint_not_allowed`` unless ``allows(endpoint)``."""
        if not self.allows(endpoint):
            raise ValidationError(
                "the subscription's endpoint is not a browser push service "
                "(https on fcm.googleapis.com, *.push.services.mozilla.com, "
                "*.notify.windows.com or *.push.apple.com)",
                code="push_endpoint_not_allowed",
            )
