"""The stage's VAPID key pair (RFC 8292), each half where it is needed.

- The **private key** signs every push. It lives in a Secrets Manager secret
  (``webpush_vapid_secret_name``: ``{"private_key": "<32 bytes, base64url>"}``) that
  only the pushing function (``realtime_consumer``) may read: ``VapidKeys``.
- The **public key** is what browsers subscribe with (``GET /push/key``) and what
  registration needs to know exists. ``infra/admin.py generate-vapid-key`` publishes
  it as an SSM String parameter (``webpush_public_key_parameter``), not a secret, so
  the internet-facing ``api_handler`` never holds the private key:
  ``VapidPublicKey``.

Each container keeps what it read for ``ttl`` seconds (a few minutes), so a key
replaced with ``generate-vapid-key --replace`` reaches every warm container within
the TTL. A push service that refuses a token (401/403) makes the sender ask
``VapidKeys.refresh``: a re-read at once, at most once per ``min_interval`` per
container (requests refused meanwhile take its result). A re-read that fails keeps
the cached key; with nothing cached it raises ``PushUnavailable``.

The private key never appears in a log, an error or a ``repr``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.twilio_credentials import (
    CredentialsUnavailable,
    SecretsManagerSource,
    SecretSource,
)
from chalicelib.adapters.webpush_crypto import point_of, vapid_key_from
from chalicelib.domain.errors import PushUnavailable
from chalicelib.domain.webpush import b64url, b64url_decode, is_p256_point
from chalicelib.observability import logger

KEY_TTL_SECONDS = 300.0
REREAD_MIN_SECONDS = 30.0
NOT_CONFIGURED = "Web Push is not configured on this stage (no VAPID key)"


class VapidKeys:
    """The VAPID private key, from its secret, cached ``ttl`` seconds (see the module's
    docstring)."""

    def __init__(
        self,
        source: SecretSource | None,
        *,
        ttl: float = KEY_TTL_SECONDS,
        min_interval: float = REREAD_MIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._ttl = ttl
        self._min_interval = min_interval
        self._clock = clock
        self._key: Any = None
        self._fresh_until = 0.0
        self._last_forced: float | None = None
        self._lock = threading.Lock()

    @classmethod
    def named(
        cls, secret_name: str, client: Any = None, *, ttl: float = KEY_TTL_SECONDS
    ) -> VapidKeys:
        if not secret_name:
            return cls(None, ttl=ttl)
        return cls(SecretsManagerSource(secret_name, client, what="VAPID"), ttl=ttl)

    def __repr__(self) -> str:
        return "VapidKeys(…)"

    def private_key(self) -> Any:
        """The key to sign with: the cached one, read again once older than the TTL."""
        with self._lock:
            if self._key is None or self._clock() >= self._fresh_until:
                self._read()
            return self._key

    def refresh(self, seen: Any) -> Any:
        """The key to sign with now that a push service refused a token signed with
        ``seen``: the one another request read meanwhile, else a forced re-read —
        unless one ran less than ``min_interval`` ago, then ``seen`` again (it is the
        current key as far as this container can tell). ``PushUnavailable`` when the
        secret cannot be read now (nobody can tell whether ``seen`` is current)."""
        with self._lock:
            if self._key is not None and self._key is not seen:
                return self._key
            now = self._clock()
            if self._last_forced is not None and now - self._last_forced < self._min_interval:
                return seen
            self._last_forced = now
            logger.info("re-reading the VAPID key")
            if not self._read():
                raise PushUnavailable("the VAPID key could not be read again; try again later")
            return self._key

    def public_key(self) -> str:
        """The public half of the key (the ``k=`` of every token), base64url."""
        return b64url(point_of(self.private_key().public_key()))

    def _read(self) -> bool:
        """Read the secret; False when that failed and the cached key is kept."""
        try:
            key = self._load()
        except PushUnavailable:
            if self._key is None:
                raise
            logger.warning("the VAPID key could not be re-read; keeping the cached one")
            self._fresh_until = self._clock() + self._min_interval
            return False
        if self._key is None or point_of(key.public_key()) != point_of(self._key.public_key()):
            self._key = key  # the same key read again stays the same object
        self._fresh_until = self._clock() + self._ttl
        return True

    def _load(self) -> Any:
        if self._source is None:
            raise PushUnavailable(NOT_CONFIGURED)
        try:
            stored = self._source.read()
        except CredentialsUnavailable:
            raise PushUnavailable("the VAPID key could not be read; try again later") from None
        try:
            return vapid_key_from(str(stored.values.get("private_key", "")))
        except ValueError:
            raise PushUnavailable("the VAPID secret holds no P-256 private key") from None


class VapidPublicKey:
    """The VAPID public key as ``generate-vapid-key`` publishes it: the SSM String
    parameter ``name`` holding the key (base64url, an uncompressed P-256 point), cached
    ``ttl`` seconds. No parameter, or a value that is not a key (the stack's
    placeholder before the command ran): ``PushUnavailable``."""

    def __init__(
        self,
        name: str,
        client: Any = None,
        *,
        ttl: float = KEY_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._name = name
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._key = ""
        self._fresh_until = 0.0
        self._lock = threading.Lock()

    def public_key(self) -> str:
        with self._lock:
            if not self._key or self._clock() >= self._fresh_until:
                try:
                    self._key = self._read()
                except PushUnavailable:
                    if not self._key:
                        raise
                    logger.warning("the VAPID public key could not be re-read; keeping it")
                    self._fresh_until = self._clock() + REREAD_MIN_SECONDS
                    return self._key
                self._fresh_until = self._clock() + self._ttl
            return self._key

    def _read(self) -> str:
        if not self._name:
            raise PushUnavailable(NOT_CONFIGURED)
        if self._client is None:
            import boto3

            self._client = boto3.client("ssm")
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            value = self._client.get_parameter(Name=self._name)["Parameter"]["Value"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
                raise PushUnavailable(NOT_CONFIGURED) from None
            raise PushUnavailable(
                f"the VAPID public key could not be read ({type(exc).__name__})"
            ) from None
        except BotoCoreError as exc:
            raise PushUnavailable(
                f"the VAPID public key could not be read ({type(exc).__name__})"
            ) from None
        try:
            point = b64url_decode(str(value).strip())
        except ValueError:
            point = b""
        if not is_p256_point(point):
            raise PushUnavailable(NOT_CONFIGURED)
        return b64url(point)
