"""The provider bridge: one SmsProvider per provider name, built on first use.

Twilio's credentials (``chalicelib.adapters.twilio_credentials``) come from the
stage's Secrets Manager secret, cached per container with a TTL and re-read at
once when Twilio answers 401; they are never logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.adapters.twilio_credentials import TwilioCredentials, TwilioSecret
from chalicelib.domain.sms import ProviderRejected, ProviderRetryable, ProviderSend
from chalicelib.observability import logger
from chalicelib.services.sms.ports import SmsProvider
from chalicelib.settings import Settings

__all__ = [
    "EumProvider",
    "HttpMediaFetcher",
    "ProviderRegistry",
    "TwilioCredentials",
    "TwilioProvider",
]


class TwilioProvider:
    """Twilio's Messages API (or the local simulator's copy of it).

    A 401 means Twilio took nothing: the credentials are re-read (bounded, see
    ``TwilioCredentials.refresh``) and, if they changed, the same request is made
    once more with the same idempotency key. If they did not change, or Twilio
    refuses the new ones too, the text goes back to the queue (``ProviderRetryable``)
    rather than failing: a rotation in progress settles within minutes.
    """

    def __init__(self, settings: Settings, credentials: TwilioCredentials) -> None:
        self._settings = settings
        self._credentials = credentials

    def send(
        self, from_: str, to: str, body: str, idempotency_key: str, media_urls: Sequence[str] = ()
    ) -> ProviderSend:
        from chalicelib.adapters.twilio import TwilioAuthFailed

        secret = self._credentials.current()
        try:
            return self._send(secret, from_, to, body, idempotency_key, media_urls)
        except TwilioAuthFailed:
            logger.warning("Twilio refused the credentials (401); re-reading them")
        fresh = self._credentials.refresh(secret)
        if fresh != secret:
            try:
                return self._send(fresh, from_, to, body, idempotency_key, media_urls)
            except TwilioAuthFailed:
                logger.warning("Twilio refused the re-read credentials too (401)")
        raise ProviderRetryable(
            "Twilio refused the credentials; the text waits for working ones",
            retry_after=self._credentials.min_interval,
        )

    def _send(
        self,
        secret: TwilioSecret,
        from_: str,
        to: str,
        body: str,
        idempotency_key: str,
        media_urls: Sequence[str],
    ) -> ProviderSend:
        from chalicelib.adapters.twilio import TwilioClient

        if not secret.configured:
            raise ProviderRejected("Twilio is not configured", provider_code="not_configured")
        client = TwilioClient(
            secret.account_sid,
            secret.auth_token,
            base_url=self._settings.twilio_api_base_url,
            api_key_sid=secret.api_key_sid,
            api_key_secret=secret.api_key_secret,
        )
        base = self._settings.public_api_base_url.rstrip("/")
        # Without a public base URL, Twilio uses the callback set on the number or service.
        # Our message id rides in the (signed) callback URL: a callback that overtakes
        # the recording of Twilio's id still finds its text.
        callback = f"{base}/webhooks/twilio/status?message_id={idempotency_key}" if base else ""
        return client.send(
            from_,
            to,
            body,
            media_urls=list(media_urls),
            status_callback=callback,
            idempotency_key=idempotency_key,
        )


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
    """Fetches a provider's media URL (Twilio's with the account's basic auth, or its
    API key; a 401 re-reads the credentials and tries once more)."""

    def __init__(self, twilio: TwilioCredentials, timeout: float = 10.0) -> None:
        self._twilio = twilio
        self._timeout = timeout

    def fetch(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        import urllib.error
        import urllib.parse

        from chalicelib.domain.errors import ValidationError

        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValidationError("media must come over https", code="media_unavailable")
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
        # Only Twilio's own hosts (and the local simulator) get the account's credentials:
        # "twilio.com" anywhere else in a URL is not Twilio.
        twilio = host == "twilio.com" or host.endswith(".twilio.com") or host == "127.0.0.1"
        secret = self._twilio.current() if twilio else None
        try:
            try:
                return self._get(url, secret, max_bytes)
            except urllib.error.HTTPError as error:
                if secret is None or error.code != 401:
                    raise
                fresh = self._twilio.refresh(secret)
                if fresh == secret:
                    raise
                return self._get(url, fresh, max_bytes)
        except OSError as exc:
            raise ValidationError(
                "the media could not be fetched", code="media_unavailable"
            ) from exc

    def _get(self, url: str, secret: TwilioSecret | None, max_bytes: int) -> tuple[bytes, str]:
        import base64
        import urllib.request

        from chalicelib.domain.errors import ValidationError

        request = urllib.request.Request(url)
        if secret is not None and secret.configured:
            user, password = secret.rest_auth()
            auth = base64.b64encode(f"{user}:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {auth}")
        with urllib.request.urlopen(request, timeout=self._timeout) as response:
            data = response.read(max_bytes + 1)
            content_type = response.headers.get_content_type()
        if len(data) > max_bytes:
            raise ValidationError("the media is too large", code="media_too_large")
        return data, content_type
