"""One typed settings object, read from the environment when asked for.

Nothing here runs at import time: ``Settings.from_env()`` is called by the
composition root (``bootstrap``) on first use, so tests and the local stack can
set the environment first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

from chalicelib import resources


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    resource_prefix: str
    messaging_table: str
    idempotency_table: str
    events_topic_arn: str
    websocket_management_url: str
    cognito_user_pool_id: str
    cognito_client_id: str
    cognito_jwks_url: str
    im_enabled: bool = True
    sms_enabled: bool = True
    mms_enabled: bool = True
    sms_allowed_countries: tuple[str, ...] = ("US", "CA")
    sms_max_segments: int = 10
    mms_max_bytes: int = 5 * 1024 * 1024  # all attachments of one MMS together
    media_max_bytes: int = 20 * 1024 * 1024  # one upload; an IM attachment
    sms_rate_per_user_per_minute: int = 30
    sms_rate_per_company_per_minute: int = 300
    sms_pacing_local_per_second: float = 1.0
    sms_pacing_toll_free_per_second: float = 3.0
    sms_default_provider: str = "twilio"  # of numbers registered without one
    # Lawful texting (docs/sms.md): a US number texts only once its 10DLC campaign,
    # toll-free verification or short code is approved (on in prod, off for the demo);
    # every End User Messaging send names the configuration set whose event
    # destination brings its delivery statuses back.
    sms_require_registration: bool = False
    eum_configuration_set: str = ""
    registration_poll_batch: int = 100
    # the poller stops this long before its Lambda's time runs out (and resumes from
    # its cursor on the next run)
    registration_poll_margin_seconds: int = 15
    # CTIA: an opt-out's confirmation goes out within 5 minutes; one owed for longer is
    # settled without being sent (``KeywordReplyExpired``)
    keyword_reply_max_age_seconds: int = 300
    twilio_messaging_base_url: str = "https://messaging.twilio.com"
    twilio_secret_name: str = ""
    twilio_account_sid: str = ""  # local stack only; on AWS the secret holds them
    twilio_auth_token: str = ""
    twilio_api_base_url: str = "https://api.twilio.com"
    # Rotation (docs/sms.md): each container re-reads the secret after the TTL, or at
    # once when Twilio answers 401 or a webhook's signature fails, at most once per
    # reread interval; the secret's previous_auth_token signs webhooks for the window
    # after the secret's value was stored.
    twilio_secret_ttl_seconds: int = 300
    twilio_secret_reread_min_seconds: int = 30
    twilio_previous_token_window_seconds: int = 3600
    public_api_base_url: str = ""
    media_bucket: str = ""
    push_apns_application_arn: str = ""
    push_fcm_application_arn: str = ""
    # Web Push (docs/api.md "Web Push"): the Secrets Manager secret holding the VAPID
    # private key (read by the pushing function only) and the SSM parameter holding its
    # public key (what GET /push/key answers and registration checks), both written by
    # infra/admin.py generate-vapid-key and each kept by a container for
    # webpush_key_ttl_seconds; the VAPID token's subject (mailto: or https:, a contact
    # for the push services); how long a push service keeps a push for a browser that
    # is off (never 0); the wait for a push service's answer; and, on the local stack
    # only, its simulator's push service ({simulator_url}/push/), accepted as an
    # endpoint besides the browsers' push services (never set on AWS)
    webpush_vapid_secret_name: str = ""
    webpush_public_key_parameter: str = ""
    webpush_key_ttl_seconds: int = 300
    webpush_subject: str = "mailto:webpush@example.com"
    webpush_ttl_seconds: int = 24 * 60 * 60
    webpush_timeout_seconds: float = 5.0
    webpush_local_endpoint: str = ""
    # The most push devices (phones and browsers) one user keeps: registering one more
    # forgets the least recently registered (every message reads them all, on one item)
    push_max_devices_per_user: int = 20
    photo_max_bytes: int = 2 * 1024 * 1024
    max_text_length: int = 4000
    max_group_members: int = 50
    page_size_default: int = 25
    page_size_max: int = 100
    idempotency_ttl_seconds: int = 24 * 60 * 60
    # the contact center's routing queue (the stack sets CC_ROUTING_QUEUE_URL; "" is
    # looked up by its name once)
    cc_routing_queue_url: str = ""
    # Shared lines (docs/sms.md): a customer's text to an assigned conversation pushes
    # to its assignee at once and to the others on the line only if it is still unread
    # this many seconds later (held on the realtime queue, REALTIME_QUEUE_URL: "" is
    # looked up by its name once; at most 900, SQS's longest delay)
    assignee_first_seconds: int = 120
    realtime_queue_url: str = ""
    # Search (docs/architecture.md "Search"): off, GET /search answers 403
    # search_disabled and the web client hides the box; the endpoint is the stage's
    # OpenSearch domain (signed with SigV4) or the local engine (unsigned)
    search_enabled: bool = False
    search_endpoint: str = ""
    search_index: str = ""  # the alias; "" is {resource_prefix}-messages
    search_sigv4: bool = True

    @property
    def search_alias(self) -> str:
        return self.search_index or f"{self.resource_prefix}-messages"

    @property
    def cognito_issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.cognito_user_pool_id}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Every field with a default reads the variable of its name in capitals
        (``sms_max_segments`` ← ``SMS_MAX_SEGMENTS``); the defaults above are the
        only place they are stated (the infra stack reads them from here)."""
        env = os.environ if env is None else env
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        prefix = env.get("RESOURCE_PREFIX", resources.DEFAULT_PREFIX)
        pool_id = env.get("COGNITO_USER_POOL_ID", "")
        issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
        values: dict[str, Any] = {
            "stage": env.get("STAGE", "local"),
            "region": region,
            "resource_prefix": prefix,
            "messaging_table": env.get(
                "MESSAGING_TABLE", resources.physical(prefix, resources.MESSAGING_TABLE.logical)
            ),
            "idempotency_table": env.get(
                "IDEMPOTENCY_TABLE",
                resources.physical(prefix, resources.IDEMPOTENCY_TABLE.logical),
            ),
            "events_topic_arn": env.get("EVENTS_TOPIC_ARN", ""),
            "websocket_management_url": env.get("WEBSOCKET_MANAGEMENT_URL", ""),
            "cognito_user_pool_id": pool_id,
            "cognito_client_id": env.get("COGNITO_CLIENT_ID", ""),
            "cognito_jwks_url": env.get("COGNITO_JWKS_URL") or f"{issuer}/.well-known/jwks.json",
        }
        for spec in fields(cls):
            if spec.name in values:
                continue
            raw = env.get(spec.name.upper())
            if spec.name == "media_bucket" and not raw:
                values[spec.name] = resources.physical(prefix, "media")
            elif raw is not None and (raw != "" or isinstance(spec.default, tuple)):
                # an empty list is a list (no countries allowed); other empties are unset
                values[spec.name] = _parse(raw, spec.default, spec.name)
        return cls(**values)


def defaults() -> dict[str, Any]:
    """Every setting's default, by field name (for the infra stack's stage flags)."""
    return {f.name: f.default for f in fields(Settings) if f.default is not MISSING}


def _parse(raw: str, default: Any, name: str) -> Any:
    """A variable's text as the type of the field's default."""
    if isinstance(default, bool):
        return _flag(raw, default)
    if isinstance(default, tuple):
        return tuple(c.strip().upper() for c in raw.split(",") if c.strip())
    try:
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise ValueError(f"{name.upper()} must be a number, not {raw!r}") from None
    return raw
