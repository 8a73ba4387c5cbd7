"""Twilio's credentials: read with a TTL, re-read at once when they stop working.

On AWS they are the stage's Secrets Manager secret (``TWILIO_SECRET_NAME``), a
JSON object::

    {"account_sid": "AC...",            always: it is in every API URL
     "auth_token": "...",               always: Twilio signs webhooks with it
     "api_key_sid": "SK...",            optional, with the next one: API calls
     "api_key_secret": "...",           authenticate with the key, not the token
     "previous_auth_token": "..."}      only while the auth token is rotated

Each warm container caches what it read for ``ttl`` seconds. ``refresh`` re-reads
at once when the cached credentials failed (Twilio answered 401, or a webhook's
signature matched none of the tokens), at most once per ``min_interval`` seconds
per container: a flood of forged webhooks costs one read per interval, not one
per request. Requests that wait on the lock while another re-reads take its
result without a read of their own.

The previous auth token validates webhooks signed before Twilio promoted the new
one (Twilio does not retry a 403, so such a webhook would otherwise be lost). It
is honoured for ``window`` seconds from the moment the secret's value was stored
(Secrets Manager's ``CreatedDate`` of the version), then never again.

Nothing here logs or raises a token, a key secret or the secret's text.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.adapters.twilio import Params, valid_twilio_signature
from chalicelib.domain.sms import ProviderRetryable
from chalicelib.observability import logger
from chalicelib.settings import Settings

DEFAULT_TTL_SECONDS = 300.0
DEFAULT_MIN_INTERVAL_SECONDS = 30.0
DEFAULT_WINDOW_SECONDS = 3600.0


class CredentialsUnavailable(ProviderRetryable):
    """The credentials could not be read (or are not a JSON object): a send is retried
    later (nothing reached Twilio), a webhook answers 503."""


@dataclass(frozen=True)
class StoredSecret:
    """A secret's value as stored: its JSON fields, and when it was stored (epoch
    seconds; None when the source cannot tell)."""

    values: Mapping[str, Any] = field(repr=False)
    stored_at: float | None = None


class SecretSource(Protocol):
    """Where Twilio's credentials are kept (Secrets Manager on AWS and in the local
    stack; the settings in unit tests). ``read`` raises ``CredentialsUnavailable``
    when the value cannot be read or is not a JSON object."""

    def read(self) -> StoredSecret: ...


@dataclass(frozen=True)
class TwilioSecret:
    """One reading of the credentials. Secrets never appear in its ``repr``."""

    account_sid: str
    auth_token: str = field(default="", repr=False)
    api_key_sid: str = ""
    api_key_secret: str = field(default="", repr=False)
    previous_auth_token: str = field(default="", repr=False)
    previous_valid_until: float = 0.0  # epoch seconds

    @classmethod
    def parse(cls, stored: StoredSecret, window: float, now: float) -> TwilioSecret:
        """The secret's fields; the previous token's window starts when the value was
        stored (``now`` when the source cannot tell)."""
        values = stored.values

        def text(name: str) -> str:
            value = values.get(name)
            return value.strip() if isinstance(value, str) else ""

        key_sid, key_secret = text("api_key_sid"), text("api_key_secret")
        if bool(key_sid) != bool(key_secret):
            logger.warning(
                "the Twilio secret has only one of api_key_sid and api_key_secret; "
                "API calls use the auth token"
            )
            key_sid = key_secret = ""
        previous = text("previous_auth_token")
        started = stored.stored_at if stored.stored_at is not None else now
        return cls(
            account_sid=text("account_sid"),
            auth_token=text("auth_token"),
            api_key_sid=key_sid,
            api_key_secret=key_secret,
            previous_auth_token=previous,
            previous_valid_until=started + window if previous else 0.0,
        )

    @property
    def configured(self) -> bool:
        """Enough to call the API: the account, and a token or an API key."""
        return bool(self.account_sid and (self.auth_token or self.api_key_sid))

    def rest_auth(self) -> tuple[str, str]:
        """HTTP basic auth for the REST API: the API key when there is one, else the
        account SID and auth token."""
        if self.api_key_sid:
            return self.api_key_sid, self.api_key_secret
        return self.account_sid, self.auth_token

    def webhook_tokens(self, now: float) -> tuple[str, ...]:
        """The tokens a webhook may be signed with at ``now`` (epoch seconds): the auth
        token, and the previous one inside its window. Never an API key secret:
        Twilio signs only with the account's auth token."""
        tokens = [self.auth_token] if self.auth_token else []
        if self.previous_auth_token and now < self.previous_valid_until:
            tokens.append(self.previous_auth_token)
        return tuple(tokens)


class SecretsManagerSource:
    """The stage's Secrets Manager secret (its ``AWSCURRENT`` version); ``what`` names
    it in errors (the Twilio secret, the VAPID secret)."""

    def __init__(self, secret_id: str, client: Any = None, what: str = "Twilio") -> None:
        self._secret_id = secret_id
        self._client = client
        self._what = what

    def read(self) -> StoredSecret:
        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager")
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._client.get_secret_value(SecretId=self._secret_id)
        except (BotoCoreError, ClientError) as exc:
            # The exception's class names the trouble; its text could name the secret's ARN.
            raise CredentialsUnavailable(
                f"the {self._what} secret could not be read ({type(exc).__name__})"
            ) from None
        try:
            values = json.loads(answer.get("SecretString") or "")
        except ValueError:
            values = None
        if not isinstance(values, dict):
            raise CredentialsUnavailable(f"the {self._what} secret is not a JSON object")
        created = answer.get("CreatedDate")
        stored_at = created.timestamp() if hasattr(created, "timestamp") else None
        return StoredSecret(values, stored_at)


class StaticSource:
    """Fixed values (the ``TWILIO_ACCOUNT_SID``/``TWILIO_AUTH_TOKEN`` settings, when no
    secret is named): unit tests and a hand-run app without Secrets Manager."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def read(self) -> StoredSecret:
        return StoredSecret(dict(self._values), None)


def source_for(settings: Settings, client: Any = None) -> SecretSource:
    """The secret the settings name, else the settings' own SID and token."""
    if settings.twilio_secret_name:
        return SecretsManagerSource(settings.twilio_secret_name, client)
    return StaticSource(
        {"account_sid": settings.twilio_account_sid, "auth_token": settings.twilio_auth_token}
    )


class TwilioCredentials:
    """This container's Twilio credentials (see the module's docstring for the rules).

    ``current()`` for each use; ``refresh(seen)`` when ``seen`` failed. A re-read
    that fails keeps the cached credentials (and tries again after ``min_interval``);
    with nothing cached it raises ``CredentialsUnavailable``.
    """

    def __init__(
        self,
        source: SecretSource,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        min_interval: float = DEFAULT_MIN_INTERVAL_SECONDS,
        window: float = DEFAULT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._source = source
        self._ttl = ttl
        self._min_interval = min_interval
        self._window = window
        self._clock = clock
        self._wall = wall
        self._secret: TwilioSecret | None = None
        self._fresh_until = 0.0
        self._last_forced: float | None = None
        # auth token -> when this container first saw Twilio sign a webhook with it
        self._signing_since: dict[str, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, client: Any = None) -> TwilioCredentials:
        return cls(
            source_for(settings, client),
            ttl=settings.twilio_secret_ttl_seconds,
            min_interval=settings.twilio_secret_reread_min_seconds,
            window=settings.twilio_previous_token_window_seconds,
        )

    @property
    def min_interval(self) -> float:
        return self._min_interval

    def current(self) -> TwilioSecret:
        """The cached credentials, read again once older than the TTL."""
        with self._lock:
            if self._secret is None or self._clock() >= self._fresh_until:
                self._read()
            assert self._secret is not None
            return self._secret

    def refresh(self, seen: TwilioSecret) -> TwilioSecret:
        """The credentials to use now that ``seen`` failed: what another request read
        meanwhile, else a forced re-read — unless one ran less than ``min_interval``
        ago, then ``seen`` again (the caller knows nothing changed)."""
        with self._lock:
            if self._secret is not None and self._secret != seen:
                return self._secret
            now = self._clock()
            if self._last_forced is not None and now - self._last_forced < self._min_interval:
                return seen
            self._last_forced = now
            logger.info("re-reading the Twilio credentials")
            self._read()
            assert self._secret is not None
            return self._secret

    def signed(self, url: str, params: Params, signature: str) -> bool:
        """True if ``signature`` is Twilio's for this webhook with a token of the current
        credentials or, failing that, of credentials re-read now (a rotation this
        container has not seen yet; bounded as ``refresh`` is). No signature: False,
        and no read."""
        if not signature:
            return False
        secret = self.current()
        if self._signed_by(secret, url, params, signature):
            return True
        fresh = self.refresh(secret)
        return fresh != secret and self._signed_by(fresh, url, params, signature)

    def _signed_by(self, secret: TwilioSecret, url: str, params: Params, signature: str) -> bool:
        """The auth token always; the previous one while Twilio may still sign with it.

        Twilio goes on signing with the old token until the operator promotes the new
        one, which may be long after the secret was stored; so the previous token's
        window runs until at least ``window`` after this container first saw a webhook
        signed with the new token (and never ends before the stored value's window)."""
        now = self._wall()
        if secret.auth_token and valid_twilio_signature(url, params, signature, secret.auth_token):
            if secret.previous_auth_token:
                self._signing_since.setdefault(secret.auth_token, now)
            return True
        if not secret.previous_auth_token:
            return False
        promoted = self._signing_since.get(secret.auth_token)
        open_until = max(
            secret.previous_valid_until,
            float("inf") if promoted is None else promoted + self._window,
        )
        return now < open_until and valid_twilio_signature(
            url, params, signature, secret.previous_auth_token
        )

    def _read(self) -> None:
        try:
            stored = self._source.read()
        except CredentialsUnavailable:
            if self._secret is None:
                raise
            logger.warning("the Twilio credentials could not be re-read; keeping the cached ones")
            self._fresh_until = self._clock() + self._min_interval
            return
        self._secret = TwilioSecret.parse(stored, self._window, self._wall())
        self._fresh_until = self._clock() + self._ttl
