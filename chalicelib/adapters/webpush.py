"""Web Push to browsers (RFC 8030), and the push gateway that picks SNS or Web Push by
platform.

A Web Push device's ``endpoint`` (as the service stores it) is its subscription
itself, the JSON the browser gave: the sender needs the keys as well as the URL.

Every push is a POST of the encrypted payload (``aes128gcm``, RFC 8291) with a VAPID
token (RFC 8292) and these headers:

==================  ==============================================================
``TTL``             ``webpush_ttl_seconds``: how long the push service keeps it for
                    a browser that is off (never 0: a push to a sleeping phone
                    would be dropped at once)
``Urgency``         ``high`` for a new message shown to the user, ``normal`` when
                    silent (do-not-disturb), ``low`` for anything else
``Topic``           one per conversation: the push service keeps only the newest
                    undelivered push of a conversation
``Content-Encoding``  ``aes128gcm``
``Authorization``   ``vapid t=<ES256 JWT: aud = the endpoint's origin, exp, sub>,
                    k=<the VAPID public key>``
==================  ==============================================================

The push service's answer decides what happens next:

- 201/202 (any 2xx): delivered to the push service.
- 404/410: the subscription is gone: ``PushRejected``, and the service forgets the
  device (pruned).
- 413: too big: sent once more without the preview text, then dropped (logged).
- 429, 5xx, a timeout or a refused connection: ``PushRetryLater``; the realtime
  consumer's record fails and SQS brings it back (pushes already made are not
  repeated: each has its own once-key), until the queue's redrive sends it to the
  dead-letter queue.
- anything else (400, 401, 403: a bad VAPID token or a subscription made for
  another key; a 3xx, which is never followed): logged and dropped.

The endpoint is checked against ``PushEndpoints`` before every request, not only
at registration (a rule tightened later applies to stored subscriptions too). The
endpoint is a capability URL: it never appears in logs or error messages.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from chalicelib.adapters.twilio_credentials import (
    CredentialsUnavailable,
    SecretsManagerSource,
    SecretSource,
)
from chalicelib.adapters.webpush_crypto import (
    encrypt,
    point_of,
    vapid_authorization,
    vapid_key_from,
)
from chalicelib.domain.errors import PushRejected, PushUnavailable, ValidationError
from chalicelib.domain.webpush import PushEndpoints, b64url, parse_subscription
from chalicelib.observability import logger
from chalicelib.services.ports import PushGateway

MAX_PAYLOAD_BYTES = 3 * 1024  # before encryption; every push service takes this
ELLIPSIS = "…"
TOPIC_BYTES = 24  # 32 base64url characters, the most RFC 8030 allows


class PushRetryLater(Exception):
    """The push service is busy or unreachable (429, 5xx, a timeout): try again later.
    The message never names the endpoint."""


class VapidKeys:
    """The stage's VAPID key pair, from its Secrets Manager secret (``{"private_key":
    "<32 bytes, base64url>"}``), read once per container and kept. A secret that
    cannot be read is tried again on the next use; none named: ``PushUnavailable``.
    The private key never appears in a log, an error or a ``repr``."""

    def __init__(self, source: SecretSource | None) -> None:
        self._source = source
        self._key: Any = None
        self._lock = threading.Lock()

    @classmethod
    def named(cls, secret_name: str, client: Any = None) -> VapidKeys:
        if not secret_name:
            return cls(None)
        return cls(SecretsManagerSource(secret_name, client, what="VAPID"))

    def __repr__(self) -> str:
        return "VapidKeys(…)"

    def private_key(self) -> Any:
        with self._lock:
            if self._key is None:
                self._key = self._read()
            return self._key

    def public_key(self) -> str:
        """The public key browsers subscribe with (``applicationServerKey``), base64url."""
        return b64url(point_of(self.private_key().public_key()))

    def _read(self) -> Any:
        if self._source is None:
            raise PushUnavailable("Web Push is not configured on this stage (no VAPID key)")
        try:
            stored = self._source.read()
        except CredentialsUnavailable:
            raise PushUnavailable("the VAPID key could not be read; try again later") from None
        try:
            return vapid_key_from(str(stored.values.get("private_key", "")))
        except ValueError:
            raise PushUnavailable("the VAPID secret holds no P-256 private key") from None


def topic_of(conversation_id: str) -> str:
    """The ``Topic`` (collapse key) of a conversation's pushes: 32 base64url characters."""
    return b64url(hashlib.sha256(conversation_id.encode()).digest()[:TOPIC_BYTES])


def conversation_url(conversation_id: str) -> str:
    """Where a click on the notification goes (relative to the web client's origin)."""
    return f"/#/conversations/{conversation_id}"


def notification(payload: dict[str, Any], silent: bool) -> dict[str, Any]:
    """The JSON a browser's service worker receives (docs/api.md "Web Push payload")."""
    conversation_id = str(payload.get("conversation_id") or "")
    return {
        "type": str(payload.get("type") or "message"),
        "conversation_id": conversation_id,
        "message_id": payload.get("message_id"),
        "title": str(payload.get("title") or ""),
        "body": str(payload.get("body") or ""),
        "url": conversation_url(conversation_id),
        "silent": silent,
        "tag": f"conversation-{conversation_id}",
    }


def _encoded(note: dict[str, Any]) -> bytes:
    return json.dumps(note, ensure_ascii=False, separators=(",", ":")).encode()


def fitted(note: dict[str, Any], limit: int = MAX_PAYLOAD_BYTES) -> bytes:
    """The payload as JSON of at most ``limit`` bytes: the preview (``body``), then the
    title, cut short (with an ellipsis) as much as needed, never the ids."""
    data = _encoded(note)
    for name in ("body", "title"):
        if len(data) <= limit:
            return data
        text = str(note[name])
        low, high = 0, len(text)  # the longest prefix that fits
        while low < high:
            middle = (low + high + 1) // 2
            trial = {**note, name: text[:middle] + ELLIPSIS}
            if len(_encoded(trial)) <= limit:
                low = middle
            else:
                high = middle - 1
        note = {**note, name: text[:low] + ELLIPSIS if low else ""}
        data = _encoded(note)
    if len(data) > limit:
        raise ValueError("a push payload's ids alone exceed the limit")
    return data


class WebPushGateway:
    """Sends pushes to browsers' push services (see the module's docstring)."""

    def __init__(
        self,
        keys: VapidKeys,
        subject: str,
        *,
        ttl: int,
        timeout: float,
        endpoints: PushEndpoints,
        http: Any = None,
    ) -> None:
        self._keys = keys
        self._subject = subject
        self._ttl = max(1, ttl)
        self._timeout = timeout
        self._endpoints = endpoints
        self._http = http
        self._lock = threading.Lock()

    def _pool(self) -> Any:
        with self._lock:
            if self._http is None:
                import urllib3

                self._http = urllib3.PoolManager(
                    num_pools=8,
                    maxsize=8,
                    retries=False,
                    timeout=urllib3.Timeout(connect=self._timeout, read=self._timeout),
                )
            return self._http

    def register(self, platform: str, token: str, user_id: str) -> str:
        subscription = parse_subscription(token)
        self._endpoints.check(subscription.endpoint)
        return subscription.token()

    def unregister(self, endpoint: str) -> None:
        """Nothing to undo: the push service holds no state of ours."""

    def push(self, endpoint: str, platform: str, payload: dict[str, Any], silent: bool) -> None:
        if not endpoint:
            return
        try:
            subscription = parse_subscription(endpoint)
        except ValidationError:  # stored before it was checked (an SNS-era registration)
            logger.warning("web push device holds no subscription; device removed")
            raise PushRejected("the device holds no push subscription") from None
        if not self._endpoints.allows(subscription.endpoint):
            logger.warning("web push endpoint no longer allowed; device removed")
            raise PushRejected("the subscription's endpoint is not a browser push service")
        note = notification(payload, silent)
        status = self._post(subscription, note)
        if status == 413 and note["body"]:
            logger.warning("web push payload too large; sending it without the preview")
            status = self._post(subscription, {**note, "body": ""})
        if 200 <= status < 300:
            return
        if status in (404, 410):
            raise PushRejected("the push subscription is gone")
        if status == 429 or status >= 500:
            raise PushRetryLater(f"the push service answered {status}")
        logger.warning("web push refused; dropped", extra={"status": status})

    def _post(self, subscription: Any, note: dict[str, Any]) -> int:
        import urllib3

        body = encrypt(fitted(note), subscription.p256dh, subscription.auth)
        key = self._keys.private_key()
        urgency = "normal" if note["silent"] else "high" if note["type"] == "message" else "low"
        headers = {
            "TTL": str(self._ttl),
            "Urgency": urgency,
            "Topic": topic_of(note["conversation_id"]),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Authorization": vapid_authorization(subscription.origin, key, self._subject),
        }
        try:
            response = self._pool().request(
                "POST",
                subscription.endpoint,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise PushRetryLater(
                f"the push service did not answer ({type(exc).__name__})"
            ) from None
        return int(response.status)


class PushByPlatform:
    """The push port over both transports: Web Push for ``webpush`` devices, SNS
    mobile push (APNs, FCM) for the others."""

    def __init__(self, mobile: PushGateway, web: PushGateway) -> None:
        self._mobile = mobile
        self._web = web

    def _for(self, platform: str) -> PushGateway:
        return self._web if platform == "webpush" else self._mobile

    def register(self, platform: str, token: str, user_id: str) -> str:
        return self._for(platform).register(platform, token, user_id)

    def unregister(self, endpoint: str) -> None:
        # a Web Push device's endpoint is its subscription (a JSON object); SNS's an ARN
        (self._web if endpoint.startswith("{") else self._mobile).unregister(endpoint)

    def push(self, endpoint: str, platform: str, payload: dict[str, Any], silent: bool) -> None:
        self._for(platform).push(endpoint, platform, payload, silent)
