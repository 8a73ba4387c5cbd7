"""The provider bridge: one SmsProvider per provider name, built on first use.

Twilio's credentials come from Secrets Manager on AWS (``TWILIO_SECRET_NAME``,
a JSON ``{"account_sid", "auth_token"}``) and from the environment locally; they
are read once per container and never logged.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from chalicelib.domain.sms import ProviderRejected, ProviderSend
from chalicelib.services.sms.ports import SmsProvider
from chalicelib.settings import Settings


class TwilioCredentials:
    def __init__(self, settings: Settings, client: Any = None) -> None:
        self._settings = settings
        self._client = client
        self._loaded: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def get(self) -> tuple[str, str]:
        """(account_sid, auth_token)."""
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> tuple[str, str]:
        if self._settings.twilio_secret_name:
            if self._client is None:
                import boto3

                self._client = boto3.client("secretsmanager")
            raw = self._client.get_secret_value(SecretId=self._settings.twilio_secret_name)
            secret = json.loads(raw["SecretString"])
            return str(secret["account_sid"]), str(secret["auth_token"])
        return self._settings.twilio_account_sid, self._settings.twilio_auth_token


class TwilioProvider:
    """Twilio's Messages API (or the local simulator's copy of it)."""

    def __init__(self, settings: Settings, credentials: TwilioCredentials) -> None:
        self._settings = settings
        self._credentials = credentials
        self._client: Any = None

    def send(
        self, from_: str, to: str, body: str, idempotency_key: str, media_urls: Sequence[str] = ()
    ) -> ProviderSend:
        if self._client is None:
            from chalicelib.adapters.twilio import TwilioClient

            sid, token = self._credentials.get()
            if not sid or not token:
                raise ProviderRejected("Twilio is not configured", provider_code="not_configured")
            self._client = TwilioClient(sid, token, base_url=self._settings.twilio_api_base_url)
        base = self._settings.public_api_base_url.rstrip("/")
        # Without a public base URL, Twilio uses the callback set on the number or service.
        # Our message id rides in the (signed) callback URL: a callback that overtakes
        # the recording of Twilio's id still finds its text.
        callback = f"{base}/webhooks/twilio/status?message_id={idempotency_key}" if base else ""
        sent: ProviderSend = self._client.send(
            from_,
            to,
            body,
            media_urls=list(media_urls),
            status_callback=callback,
            idempotency_key=idempotency_key,
        )
        return sent


class EumProvider:
    """AWS End User Messaging SMS (pinpoint-sms-voice-v2)."""

    def __init__(self, configuration_set: str = "", client: Any = None) -> None:
        self._configuration_set = configuration_set
        self._client = client
        self._eum: Any = None

    def send(
        self, from_: str, to: str, body: str, idempotency_key: str, media_urls: Sequence[str] = ()
    ) -> ProviderSend:
        if self._eum is None:
            from chalicelib.adapters.eum import EumClient

            self._eum = EumClient(client=self._client)
        sent: ProviderSend = self._eum.send(
            from_,
            to,
            body,
            media_urls=media_urls,
            configuration_set=self._configuration_set,
            idempotency_key=idempotency_key,
        )
        return sent


class ProviderRegistry:
    """``registry(name)`` → the provider a number uses."""

    def __init__(self, settings: Settings, twilio_credentials: TwilioCredentials) -> None:
        self._providers: dict[str, SmsProvider] = {
            "twilio": TwilioProvider(settings, twilio_credentials),
            "eum": EumProvider(),
        }

    def __call__(self, name: str) -> SmsProvider:
        provider = self._providers.get(name)
        if provider is None:
            raise ProviderRejected(f"no provider called {name}", provider_code="unknown_provider")
        return provider


class HttpMediaFetcher:
    """Fetches a provider's media URL (Twilio's with the account's basic auth)."""

    def __init__(self, twilio: TwilioCredentials, timeout: float = 10.0) -> None:
        self._twilio = twilio
        self._timeout = timeout

    def fetch(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        import base64
        import urllib.request

        from chalicelib.domain.errors import ValidationError

        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValidationError("media must come over https", code="media_unavailable")
        request = urllib.request.Request(url)
        if "twilio.com" in url or url.startswith("http://127.0.0.1"):
            sid, token = self._twilio.get()
            if sid and token:
                auth = base64.b64encode(f"{sid}:{token}".encode()).decode()
                request.add_header("Authorization", f"Basic {auth}")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                data = response.read(max_bytes + 1)
                content_type = response.headers.get_content_type()
        except OSError as exc:
            raise ValidationError(
                "the media could not be fetched", code="media_unavailable"
            ) from exc
        if len(data) > max_bytes:
            raise ValidationError("the media is too large", code="media_too_large")
        return data, content_type
