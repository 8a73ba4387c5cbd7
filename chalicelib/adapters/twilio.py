"""Twilio: webhook signatures, webhook parsing, and a Messages API client.

Only the standard library is used at runtime (the ``twilio`` package is a
development dependency: the tests check this module against its
``RequestValidator``). Signatures are pure functions with no I/O, after
twilio-python's ``request_validator.py``.

Webhook URLs: Twilio signs the exact public URL it requested. Behind API
Gateway the app sees the path without the stage (``/webhooks/twilio/sms``), so
``public_url`` rebuilds what Twilio called from the configured public base URL
(``https://abc.execute-api.us-east-1.amazonaws.com/prod`` or a custom domain
with its base path). Webhook URLs we hand to Twilio carry no query string, so
nothing depends on the order API Gateway gives query parameters back in.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.sms import (
    DELIVERED,
    FAILED,
    FINAL_STATUSES,
    QUEUED,
    SENDING,
    SENT,
    UNDELIVERED,
    InboundMedia,
    InboundSms,
    ProviderRejected,
    ProviderRetryable,
    ProviderSend,
    StatusUpdate,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "SIGNATURE_HEADER",
    "HttpResult",
    "ProviderRejected",
    "ProviderRetryable",
    "ProviderSend",
    "TwilioAuthFailed",
    "TwilioClient",
    "map_status",
    "parse_form",
    "parse_inbound",
    "parse_status",
    "public_url",
    "twilio_signature",
    "urllib_transport",
    "valid_twilio_signature",
]

DEFAULT_BASE_URL = "https://api.twilio.com"
API_VERSION = "2010-04-01"
SIGNATURE_HEADER = "X-Twilio-Signature"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
MAX_MEDIA = 10  # Twilio accepts at most ten MediaUrl per message
# Twilio answers in well under a second; five leaves a Lambda time to record a retry
# (and is shorter than the local simulator's ten-second "timeout" mode).
DEFAULT_TIMEOUT_SECONDS = 5.0

Params = Mapping[str, str | Sequence[str]]


# -- signatures -------------------------------------------------------------------------


def _values(params: Any, key: str) -> list[str]:
    getall = getattr(params, "getall", None)  # aiohttp/multidict MultiDict
    if getall is not None:
        return [str(v) for v in getall(key)]
    value = params[key]
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _signed_string(url: str, params: Params) -> str:
    # Twilio's own validator de-duplicates repeated values before sorting them; so do we,
    # or a request with a repeated identical value would never verify.
    parts = [url]
    for key in sorted(set(params)):
        parts.extend(key + value for value in sorted(set(_values(params, key))))
    return "".join(parts)


def twilio_signature(url: str, params: Params, auth_token: str) -> str:
    """The ``X-Twilio-Signature`` Twilio sends for a form POST of ``params`` to ``url``.

    HMAC-SHA1, keyed with the auth token, over the full URL followed by every
    POST parameter sorted by name, each name immediately followed by its value
    (values of a repeated name sorted too); base64.
    """
    mac = hmac.new(auth_token.encode(), _signed_string(url, params).encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as given, and the form Twilio's validator also accepts: with the scheme's
    default port added when none is given, or with the port removed when one is."""
    parsed = urllib.parse.urlsplit(url)
    variants = [url]
    try:
        port = parsed.port
    except ValueError:
        return variants
    host = parsed.netloc.rpartition("@")[2]
    userinfo = parsed.netloc[: len(parsed.netloc) - len(host)]
    if port is None:
        default = 443 if parsed.scheme == "https" else 80
        variants.append(parsed._replace(netloc=f"{parsed.netloc}:{default}").geturl())
    else:
        bare = host.rsplit(":", 1)[0]
        variants.append(parsed._replace(netloc=userinfo + bare).geturl())
    return variants


def valid_twilio_signature(url: str, params: Params, signature: str, auth_token: str) -> bool:
    """True if ``signature`` is Twilio's for this request (constant-time comparison).

    A missing signature or token is never valid. JSON-bodied webhooks signed
    with a ``bodySHA256`` query parameter are not used by the messaging
    webhooks and are not accepted here.
    """
    if not signature or not auth_token:
        return False
    given = signature.strip().encode()
    matched = False
    for candidate in _url_variants(url):
        expected = twilio_signature(candidate, params, auth_token).encode()
        matched |= hmac.compare_digest(expected, given)
    return matched


def public_url(base_url: str, path: str, query: str | None = None) -> str:
    """The URL Twilio requested: the public base URL (stage or custom-domain base path
    included) joined with the path the app routed on, and the raw query string."""
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{query}" if query else url


def parse_form(body: bytes | str) -> dict[str, list[str]]:
    """An ``application/x-www-form-urlencoded`` body as name -> values.

    Blank values are kept: Twilio signs parameters it sends empty (``FromZip=``),
    and dropping them would make every such signature fail.
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return urllib.parse.parse_qs(text, keep_blank_values=True, strict_parsing=False)


# -- webhooks ---------------------------------------------------------------------------

_STATUS = {
    "accepted": QUEUED,
    "queued": QUEUED,
    "scheduled": QUEUED,
    "sending": SENDING,
    "sent": SENT,
    "delivered": DELIVERED,
    "read": DELIVERED,
    "undelivered": UNDELIVERED,
    "failed": FAILED,
    "canceled": FAILED,
}


def map_status(twilio_status: str) -> str | None:
    """Twilio's message status in our vocabulary; None for statuses we do not track
    (``receiving``/``received`` belong to inbound messages)."""
    return _STATUS.get((twilio_status or "").strip().lower())


def _first(params: Any, *keys: str) -> str:
    for key in keys:
        if key in params:
            values = _values(params, key)
            if values:
                return values[0]
    return ""


def _required(params: Any, *keys: str) -> str:
    value = _first(params, *keys)
    if not value:
        raise ValidationError(f"the webhook has no {keys[0]}", code="invalid_webhook")
    return value


def parse_inbound(params: Params) -> InboundSms:
    """An inbound-message webhook (form parameters) as an ``InboundSms``."""
    try:
        count = min(int(_first(params, "NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    media = tuple(
        InboundMedia(url, _first(params, f"MediaContentType{n}"))
        for n in range(count)
        if (url := _first(params, f"MediaUrl{n}"))
    )
    return InboundSms(
        provider="twilio",
        provider_message_id=_required(params, "MessageSid", "SmsMessageSid", "SmsSid"),
        from_=_required(params, "From"),
        to=_required(params, "To"),
        body=_first(params, "Body"),
        media=media,
        account_id=_first(params, "AccountSid"),
        messaging_service_id=_first(params, "MessagingServiceSid"),
    )


def parse_status(params: Params) -> StatusUpdate:
    """A status callback as a ``StatusUpdate`` in our status vocabulary.

    An unknown status raises ``ValidationError`` with code ``unknown_status``;
    the webhook should acknowledge it anyway (Twilio does not retry callbacks,
    and a new status word must not break delivery reports).
    """
    raw = _required(params, "MessageStatus", "SmsStatus")
    status = map_status(raw)
    if status is None:
        raise ValidationError(f"unknown Twilio message status '{raw}'", code="unknown_status")
    return StatusUpdate(
        provider="twilio",
        provider_message_id=_required(params, "MessageSid", "SmsSid"),
        status=status,
        provider_status=raw,
        final=status in FINAL_STATUSES,
        error_code=_first(params, "ErrorCode") or None,
        error_message=_first(params, "ErrorMessage"),
        to=_first(params, "To"),
        from_=_first(params, "From"),
    )


# -- Messages API -----------------------------------------------------------------------


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: Mapping[str, str]  # names lower-cased
    body: bytes


Transport = Callable[[urllib.request.Request, float], HttpResult]


def urllib_transport(request: urllib.request.Request, timeout: float) -> HttpResult:
    """One HTTP exchange with urllib; HTTP error statuses are results, not exceptions."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return HttpResult(response.status, headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            headers = {k.lower(): v for k, v in (error.headers or {}).items()}
            return HttpResult(error.code, headers, error.read())


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class TwilioAuthFailed(ProviderRejected):
    """Twilio answered 401: it refused the credentials, so it certainly took nothing.
    Whoever holds the credentials may re-read them and send again."""


class TwilioClient:
    """Sends through Twilio's Messages API (or the local simulator's copy of it).

    Authenticates as the account (SID and auth token) or, when ``api_key_sid`` and
    ``api_key_secret`` are given, with that API key; the account SID is in the URL
    either way.

    Errors: 429, 5xx, timeouts and connection failures raise ``ProviderRetryable``
    (a timed-out request may still have been accepted, so retries must reuse the
    idempotency key); 401 raises ``TwilioAuthFailed``; other 4xx raise
    ``ProviderRejected`` with Twilio's error code. No token or key secret is ever
    part of an error message.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str = "",
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: Transport | None = None,
        *,
        api_key_sid: str = "",
        api_key_secret: str = "",
    ) -> None:
        scheme = urllib.parse.urlsplit(base_url).scheme
        if scheme not in ("http", "https"):
            raise ValueError("the Twilio base URL must be http(s)")
        self._account_sid = account_sid
        user, password = (api_key_sid, api_key_secret) if api_key_sid else (account_sid, auth_token)
        self._auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._transport = transport or urllib_transport

    @property
    def messages_url(self) -> str:
        sid = urllib.parse.quote(self._account_sid, safe="")
        return f"{self._base_url}/{API_VERSION}/Accounts/{sid}/Messages.json"

    def send(
        self,
        from_: str,
        to: str,
        body: str,
        media_urls: Sequence[str] = (),
        status_callback: str = "",
        idempotency_key: str | None = None,
    ) -> ProviderSend:
        """Create a message; ``from_`` may be a number or a Messaging Service SID (``MG...``)."""
        if len(media_urls) > MAX_MEDIA:
            raise ProviderRejected(
                f"Twilio accepts at most {MAX_MEDIA} media per message",
                provider_code="too_many_media",
            )
        fields: list[tuple[str, str]] = [
            ("MessagingServiceSid" if from_.startswith("MG") else "From", from_),
            ("To", to),
        ]
        if body or not media_urls:
            fields.append(("Body", body))
        fields += [("MediaUrl", url) for url in media_urls]
        if status_callback:
            fields.append(("StatusCallback", status_callback))
        headers = {
            "Authorization": f"Basic {self._auth}",
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": "texting-backend",
        }
        if idempotency_key:
            # Twilio's Messages API does not deduplicate on it; the simulator does. The
            # app never relies on it: it claims each text before sending (services.sms).
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        request = urllib.request.Request(
            self.messages_url,
            data=urllib.parse.urlencode(fields).encode(),
            headers=headers,
            method="POST",
        )
        try:
            result = self._transport(request, self._timeout)
        except TimeoutError as exc:
            raise ProviderRetryable("Twilio did not answer in time", ambiguous=True) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise ProviderRetryable(
                f"Twilio could not be reached ({type(exc).__name__})", ambiguous=True
            ) from exc
        return self._result(result)

    def _result(self, result: HttpResult) -> ProviderSend:
        payload = self._json(result.body)
        if result.status == 429 or result.status >= 500:
            raise ProviderRetryable(
                f"Twilio answered {result.status}",
                retry_after=_retry_after(result.headers.get("retry-after")),
            )
        if not 200 <= result.status < 300:
            code = payload.get("code")
            refusal = TwilioAuthFailed if result.status == 401 else ProviderRejected
            raise refusal(
                str(payload.get("message") or f"Twilio answered {result.status}"),
                provider_code=str(code) if code is not None else None,
                status=result.status,
            )
        sid = payload.get("sid")
        if not isinstance(sid, str) or not sid:
            # Accepted or not? Unknown: retrying with the same idempotency key is the safe side.
            raise ProviderRetryable("Twilio answered without a message SID", ambiguous=True)
        return ProviderSend(sid, map_status(str(payload.get("status") or "")) or QUEUED)

    @staticmethod
    def _json(body: bytes) -> dict[str, Any]:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return {}
        return payload if isinstance(payload, dict) else {}
