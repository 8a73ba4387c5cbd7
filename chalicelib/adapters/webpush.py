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
- 401/403: the token was refused. The key may have been replaced since this
  container read it (``generate-vapid-key --replace``): the key is read again at once
  (``VapidKeys.refresh``) and, if it changed, the push is signed and sent once more.
  A 403 to a token signed with the current key means the subscription was made for
  another key: ``PushRejected`` (pruned; the web client subscribes again with the key
  ``GET /push/key`` now answers). A 401 with the current key: logged and dropped.
- 429, 5xx or a connection refused (nothing reached the push service): tried again
  in the same record, ``attempts`` in all, ``backoff`` seconds apart and doubling
  (0.25 s, 0.5 s by default). Still busy; a request sent but never answered (a read
  timeout, a dropped connection: it may have been delivered, so it is never sent
  again); or no connection within the timeout (a second wait would hold the record
  too long): logged, counted (``WebPushDeferred``) and dropped. One
  vendor's outage never fails the realtime record, which carries the message to
  everyone else too; and a push is never made twice to one device (each has its own
  once-key in the fan-out, and a retried push carries the same ``Topic``, so a push
  service that did keep the first holds one of them).
- anything else (400, a 3xx, which is never followed): logged and dropped.

The endpoint is checked against ``PushEndpoints`` before every request, not only
at registration (a rule tightened later applies to stored subscriptions too). The
endpoint is a capability URL: it never appears in logs or error messages.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.vapid import VapidKeys, VapidPublicKey
from chalicelib.adapters.webpush_crypto import encrypt, vapid_authorization
from chalicelib.domain.errors import PushRejected, ValidationError
from chalicelib.domain.webpush import PushEndpoints, Subscription, b64url, parse_subscription
from chalicelib.observability import count, logger
from chalicelib.services.common import WORKER_THREADS
from chalicelib.services.push_ports import PushGateway

__all__ = ["PushByPlatform", "VapidKeys", "VapidPublicKey", "WebPushGateway"]

MAX_PAYLOAD_BYTES = 3 * 1024  # before encryption; every push service takes this
ELLIPSIS = "…"
TOPIC_BYTES = 24  # 32 base64url characters, the most RFC 8030 allows
ATTEMPTS = 3
BACKOFF_SECONDS = 0.25
# Pushes run on the fan-out's worker threads, one connection each at most: a pool per
# push service host as large as that, so no thread's connection is thrown away.
POOL_CONNECTIONS = WORKER_THREADS
POOL_HOSTS = 8  # FCM, Mozilla, Apple, and a few of Windows' many hosts


class _Deferred(Exception):
    """Give this push up now: the request went out but no answer came back (it may have
    been delivered), or no connection came in time (another wait would hold the whole
    record)."""


def topic_of(conversation_id: str) -> str:
    """The ``Topic`` (collapse key) of a conversation's pushes: 32 base64url characters."""
    return b64url(hashlib.sha256(conversation_id.encode()).digest()[:TOPIC_BYTES])


def conversation_url(conversation_id: str) -> str:
    """Where a click on the notification goes: relative to the web app's own address
    (the service worker resolves it against its scope), so it is right wherever the
    app is served, at an origin's root (AWS) or under a path (the local stack). No
    setting names the web client's address to the functions that push."""
    return f"#/conversations/{conversation_id}"


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
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._keys = keys
        self._subject = subject
        self._ttl = max(1, ttl)
        self._timeout = timeout
        self._endpoints = endpoints
        self._http = http
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._sleep = sleep
        self._lock = threading.Lock()

    def _pool(self) -> Any:
        with self._lock:
            if self._http is None:
                import urllib3

                self._http = urllib3.PoolManager(
                    num_pools=POOL_HOSTS,
                    maxsize=POOL_CONNECTIONS,
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
        """Deliver, prune (``PushRejected``) or give up (logged, counted, no raise);
        ``PushUnavailable`` when there is no key to sign with."""
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
        try:
            status = self._signed(subscription, note)
            if status == 413 and note["body"]:
                logger.warning("web push payload too large; sending it without the preview")
                status = self._signed(subscription, {**note, "body": ""})
        except _Deferred as deferred:
            self._defer(str(deferred))
            return
        if 200 <= status < 300:
            return
        if status in (404, 410):
            raise PushRejected("the push subscription is gone")
        if status == 403:  # signed with the current key: made for another one
            raise PushRejected("the push subscription was made for another VAPID key")
        if status == 429 or status >= 500:
            self._defer(f"the push service answered {status}")
            return
        logger.warning("web push refused; dropped", extra={"status": status})

    def _signed(self, subscription: Subscription, note: dict[str, Any]) -> int:
        """The push service's answer to the push signed with the current key; after a
        401/403, once more with the key read again if it changed."""
        key = self._keys.private_key()
        status = self._busy_retried(subscription, note, key)
        if status in (401, 403):
            fresh = self._keys.refresh(key)
            if fresh is not key:
                logger.info("web push token refused; sending again with the re-read key")
                status = self._busy_retried(subscription, note, fresh)
        return status

    def _busy_retried(self, subscription: Subscription, note: dict[str, Any], key: Any) -> int:
        """The answer, with a busy push service (429, 5xx, a refused connection) tried
        again up to ``attempts`` in all; the last busy answer when it stays busy (a
        refused connection counts as 503). ``_Deferred`` for a request sent but not
        answered, or no connection in time."""
        delay = self._backoff
        status = 503
        for attempt in range(1, self._attempts + 1):
            status = self._post(subscription, note, key)
            if status != 429 and status < 500:
                return status
            if attempt < self._attempts:
                self._sleep(delay)
                delay *= 2
        return status

    def _defer(self, why: str) -> None:
        logger.warning("web push deferred; dropped", extra={"reason": why})
        count("WebPushDeferred")

    def _post(self, subscription: Subscription, note: dict[str, Any], key: Any) -> int:
        import urllib3

        body = encrypt(fitted(note), subscription.p256dh, subscription.auth)
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
        except urllib3.exceptions.NewConnectionError:
            return 503  # refused or unresolved at once: nothing was sent, try again
        except urllib3.exceptions.HTTPError as exc:
            raise _Deferred(f"the push service did not answer ({type(exc).__name__})") from None
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
