"""Where the registration poller and the operator's import read a registration's
status: End User Messaging (``EumRegistrations``) or Twilio's Messaging API.

Twilio: brand registrations (``/v1/a2p/BrandRegistrations/{BN…}``: ``status``,
``failure_reason``), A2P campaigns on a Messaging Service
(``/v1/Services/{MG…}/Compliance/Usa2p/{QE…}``: ``campaign_status``, ``errors``) and
toll-free verifications (``/v1/Tollfree/Verifications/{HH…}``: ``status``,
``rejection_reason``), with the account's credentials (``TwilioCredentials``).
"""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.eum_registrations import EumRegistrations
from chalicelib.adapters.twilio_credentials import TwilioCredentials
from chalicelib.domain.compliance import Registration

TWILIO_MESSAGING = "https://messaging.twilio.com"
Fetch = Callable[[str, str], dict[str, Any]]  # (url, basic auth header) -> JSON


def _get_json(url: str, authorization: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Authorization": authorization})
    with urllib.request.urlopen(request, timeout=10) as response:
        payload = json.loads(response.read() or b"{}")
    return payload if isinstance(payload, dict) else {}


def twilio_path(registration: Registration) -> str:
    sid = registration.provider_id
    if registration.type == "brand":
        return f"/v1/a2p/BrandRegistrations/{sid}"
    if registration.type == "toll_free":
        return f"/v1/Tollfree/Verifications/{sid}"
    service = str(registration.details.get("messaging_service_sid", ""))
    return f"/v1/Services/{service}/Compliance/Usa2p/{sid}"


def twilio_words(registration: Registration, payload: dict[str, Any]) -> tuple[str, str]:
    """(status, reason) from the resource Twilio answered."""
    if registration.type == "campaign":
        errors = payload.get("errors") or []
        reason = "; ".join(
            str(e.get("description") or e.get("error_code") or "")
            for e in errors
            if isinstance(e, dict)
        )
        return str(payload.get("campaign_status") or ""), reason
    key = "failure_reason" if registration.type == "brand" else "rejection_reason"
    return str(payload.get("status") or ""), str(payload.get(key) or "")


class TwilioRegistrations:
    def __init__(
        self,
        credentials: TwilioCredentials,
        base_url: str = TWILIO_MESSAGING,
        fetch: Fetch = _get_json,
    ) -> None:
        self._credentials = credentials
        self._base = base_url.rstrip("/")
        self._fetch = fetch

    def registration_status(self, registration: Registration) -> tuple[str, str]:
        user, password = self._credentials.current().rest_auth()
        auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return twilio_words(registration, self._fetch(self._base + twilio_path(registration), auth))


class ProviderRegistrations:
    """The registration source for every provider, each built on first use."""

    def __init__(
        self,
        credentials: TwilioCredentials,
        twilio_base_url: str = TWILIO_MESSAGING,
        eum_client: Any = None,
    ) -> None:
        self._twilio = TwilioRegistrations(credentials, twilio_base_url)
        self._eum = EumRegistrations(eum_client)

    def registration_status(self, registration: Registration) -> tuple[str, str]:
        source = self._eum if registration.provider == "eum" else self._twilio
        return source.registration_status(registration)
