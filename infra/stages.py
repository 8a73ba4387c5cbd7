"""The operator's flags per stage, the one place an operator steers a deployment.

A stage is configuration as code: change a value here, commit, and
``make deploy STAGE=...`` rolls it out. Every application flag reaches every
Lambda function as the environment variable ``chalicelib/settings.py`` reads
(``FLAGS`` below is that mapping, and ``docs/deploy.md`` documents each one);
the remaining fields size and protect the infrastructure itself.

Secrets never appear here: a stage names the Secrets Manager secret that holds
a provider's credentials, and the stack grants read access to that one secret.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# The values CloudWatch Logs accepts for a retention period.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
# How CodeDeploy shifts a function's alias to a new version (SAM's DeploymentPreference
# types): all at once, 10% for N minutes then the rest, or 10% more every N minutes.
DEPLOYMENTS = (
    "AllAtOnce",
    "Canary10Percent5Minutes",
    "Canary10Percent10Minutes",
    "Canary10Percent15Minutes",
    "Canary10Percent30Minutes",
    "Linear10PercentEvery1Minute",
    "Linear10PercentEvery2Minutes",
    "Linear10PercentEvery3Minutes",
    "Linear10PercentEvery10Minutes",
)
_SES_IDENTITY = re.compile(r"arn:aws[a-z-]*:ses:[a-z0-9-]+:\d{12}:identity/(?P<identity>[^/\s]+)")


@dataclass(frozen=True)
class Flag:
    """One application flag: the StageConfig field, its variable and what it does."""

    field: str
    env: str
    meaning: str


# Every application flag, in the order docs/deploy.md lists them.
FLAGS: tuple[Flag, ...] = (
    Flag("im_enabled", "IM_ENABLED", "instant messages between co-workers on/off"),
    Flag("sms_enabled", "SMS_ENABLED", "sending and receiving SMS on/off"),
    Flag("mms_enabled", "MMS_ENABLED", "picture/media messages on/off"),
    Flag(
        "sms_allowed_countries",
        "SMS_ALLOWED_COUNTRIES",
        "ISO country codes an SMS may be sent to (comma-separated)",
    ),
    Flag("sms_max_segments", "SMS_MAX_SEGMENTS", "longest SMS accepted, in segments"),
    Flag("mms_max_bytes", "MMS_MAX_BYTES", "largest MMS attachment accepted, in bytes"),
    Flag("media_max_bytes", "MEDIA_MAX_BYTES", "largest upload (an IM attachment), in bytes"),
    Flag(
        "sms_rate_per_user_per_minute",
        "SMS_RATE_PER_USER_PER_MINUTE",
        "SMS one user may send per minute",
    ),
    Flag(
        "sms_rate_per_company_per_minute",
        "SMS_RATE_PER_COMPANY_PER_MINUTE",
        "SMS one company may send per minute",
    ),
    Flag(
        "sms_pacing_local_per_second",
        "SMS_PACING_LOCAL_PER_SECOND",
        "messages per second sent from one local (10DLC) number",
    ),
    Flag(
        "sms_pacing_toll_free_per_second",
        "SMS_PACING_TOLL_FREE_PER_SECOND",
        "messages per second sent from one toll-free number",
    ),
    Flag(
        "sms_require_registration",
        "SMS_REQUIRE_REGISTRATION",
        "US numbers text only once their 10DLC/toll-free registration is approved",
    ),
    Flag(
        "eum_configuration_set",
        "EUM_CONFIGURATION_SET",
        "End User Messaging configuration set every send names (its events bring statuses)",
    ),
    Flag(
        "sms_default_provider",
        "SMS_DEFAULT_PROVIDER",
        "provider for numbers that do not name one (twilio, simulator, ...)",
    ),
    Flag(
        "twilio_secret_name",
        "TWILIO_SECRET_NAME",
        "Secrets Manager secret holding the Twilio account SID and auth token",
    ),
    Flag("twilio_api_base_url", "TWILIO_API_BASE_URL", "Twilio REST API base URL"),
    Flag(
        "public_api_base_url",
        "PUBLIC_API_BASE_URL",
        "public base URL of the REST API (custom domain), used to check webhook signatures",
    ),
    Flag(
        "push_apns_application_arn",
        "PUSH_APNS_APPLICATION_ARN",
        "SNS platform application for Apple push (APNs); empty: no iOS push",
    ),
    Flag(
        "push_fcm_application_arn",
        "PUSH_FCM_APPLICATION_ARN",
        "SNS platform application for Firebase (Android; browsers use Web Push); empty: none",
    ),
    Flag(
        "webpush_vapid_secret_name",
        "WEBPUSH_VAPID_SECRET_NAME",
        "Secrets Manager secret holding the Web Push VAPID key (the stack makes it)",
    ),
    Flag(
        "webpush_public_key_parameter",
        "WEBPUSH_PUBLIC_KEY_PARAMETER",
        "SSM parameter holding the Web Push VAPID public key (the stack makes it)",
    ),
    Flag(
        "webpush_subject",
        "WEBPUSH_SUBJECT",
        "contact the push services see in every VAPID token (mailto: or https:)",
    ),
    Flag(
        "webpush_ttl_seconds",
        "WEBPUSH_TTL_SECONDS",
        "how long a push service keeps a push for a browser that is off, in seconds",
    ),
    Flag("photo_max_bytes", "PHOTO_MAX_BYTES", "largest profile photo accepted, in bytes"),
    Flag("max_text_length", "MAX_TEXT_LENGTH", "longest message text, in characters"),
    Flag("max_group_members", "MAX_GROUP_MEMBERS", "most members in a group conversation"),
    Flag("search_enabled", "SEARCH_ENABLED", "search on/off (the stack then makes its domain)"),
    Flag("log_level", "LOG_LEVEL", "log level of every function (DEBUG, INFO, WARNING, ERROR)"),
)


def _setting(name: str) -> Any:
    """The default ``chalicelib.settings.Settings`` declares for a flag (stated there once)."""
    from chalicelib.settings import Settings

    for candidate in fields(Settings):
        if candidate.name == name:
            if candidate.default is MISSING:
                raise ValueError(f"Settings.{name} has no default to deploy with")
            return candidate.default
    raise ValueError(f"chalicelib.settings.Settings has no field {name!r}")


def _env_value(value: Any) -> str:
    """Lambda environment values are strings; spell them the way settings.py parses them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(str(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class StageConfig:
    """Everything that differs between two deployments of the same code."""

    name: str
    region: str = "us-east-1"
    # None deploys to the account of the credentials `cdk deploy` runs with.
    account: str | None = None

    # --- application flags (FLAGS): defaults are chalicelib/settings.py's, read from it ---
    im_enabled: bool = _setting("im_enabled")
    sms_enabled: bool = _setting("sms_enabled")
    mms_enabled: bool = _setting("mms_enabled")
    sms_allowed_countries: tuple[str, ...] = _setting("sms_allowed_countries")
    sms_max_segments: int = _setting("sms_max_segments")
    mms_max_bytes: int = _setting("mms_max_bytes")
    media_max_bytes: int = _setting("media_max_bytes")
    sms_rate_per_user_per_minute: int = _setting("sms_rate_per_user_per_minute")
    sms_rate_per_company_per_minute: int = _setting("sms_rate_per_company_per_minute")
    sms_pacing_local_per_second: float = _setting("sms_pacing_local_per_second")
    sms_pacing_toll_free_per_second: float = _setting("sms_pacing_toll_free_per_second")
    sms_require_registration: bool = _setting("sms_require_registration")
    eum_configuration_set: str = _setting("eum_configuration_set")
    # The one flag whose deployed default differs from settings.py's: the local
    # carrier simulator (settings' default) does not exist on AWS.
    sms_default_provider: str = "twilio"
    twilio_secret_name: str = _setting("twilio_secret_name")  # "": texting/{name}/twilio
    twilio_api_base_url: str = _setting("twilio_api_base_url")
    public_api_base_url: str = _setting("public_api_base_url")
    push_apns_application_arn: str = _setting("push_apns_application_arn")
    push_fcm_application_arn: str = _setting("push_fcm_application_arn")
    webpush_vapid_secret_name: str = _setting("webpush_vapid_secret_name")  # "": …/vapid
    # "": /texting/{name}/webpush-public-key
    webpush_public_key_parameter: str = _setting("webpush_public_key_parameter")
    webpush_subject: str = _setting("webpush_subject")
    webpush_ttl_seconds: int = _setting("webpush_ttl_seconds")
    search_enabled: bool = _setting("search_enabled")
    photo_max_bytes: int = _setting("photo_max_bytes")
    max_text_length: int = _setting("max_text_length")
    max_group_members: int = _setting("max_group_members")
    # Read by Powertools, not by settings.py, so its default lives here.
    log_level: str = "INFO"

    # --- infrastructure ---
    lambda_memory_mb: int = 512
    log_retention_days: int = 30
    # Keep tables, the media bucket and the user pool when the stack is deleted.
    retain_data: bool = True
    # API Gateway throttling for the whole REST stage (requests/second, burst).
    api_throttle_rate: float = 100.0
    api_throttle_burst: int = 200
    # Where alarms are e-mailed (a subscription to the alarms topic); None: topic only,
    # and synthesis warns that alarms reach nobody. With alarm_email_required a
    # deployment (make deploy) without an address is refused.
    alarm_email: str | None = None
    alarm_email_required: bool = False
    # AWS X-Ray on the REST API stage and every function (Powertools Tracer follows).
    tracing: bool = True
    # Set the region's API Gateway CloudWatch Logs role (AWS::ApiGateway::Account), which
    # API access logs need; off where another stack of the account already sets it.
    api_gateway_cloudwatch_role: bool = True
    # Most concurrent sms_sender invocations its queue may start (2..1000): provider
    # pacing is per number, so this bounds how hard one stage can hit a provider.
    sms_sender_max_concurrency: int = 5
    # Cognito: OAuth (hosted UI) stays off unless callback URLs are given; MFA by
    # authenticator app (off, optional, required); threat protection (off, audit,
    # enforced; on needs the Plus feature plan, which is billed per user).
    cognito_oauth_callback_urls: tuple[str, ...] = ()
    cognito_mfa: str = "optional"
    cognito_threat_protection: str = "off"
    # Cognito's own sender allows 50 e-mails a day: with both set, invitations and
    # reset codes go through SES from the operator's verified address or domain.
    # cognito_email_from: "no-reply@acme.example" or "Acme Texting <no-reply@acme.example>".
    cognito_email_from: str | None = None
    cognito_ses_identity_arn: str | None = None
    # How a new release reaches each function's alias (DEPLOYMENTS); the function's
    # error alarm rolls it back while traffic shifts.
    deployment: str = "AllAtOnce"
    # A text still waiting in the send queue after this many minutes raises an alarm.
    sms_waiting_alarm_minutes: int = 10
    # An AWS Budgets monthly cost budget (USD) of the account, notifying the alarm
    # topic at 80% actual and 100% forecast; None: no budget.
    monthly_budget_usd: float | None = 100.0
    # AWS WAF web ACL on the REST API: AWS's common rule set, and a per-IP rate limit
    # (requests per 5 minutes) on the provider webhooks.
    waf_enabled: bool = False
    waf_webhook_rate_limit: int = 300
    # A consumer falling further behind than this (seconds) raises an alarm.
    consumer_lag_alarm_seconds: int = 300
    # A stream record that keeps failing is retried this often / this long, then
    # its position goes to the consumer's failure queue so the shard moves on.
    stream_max_retry_attempts: int = 20
    stream_max_record_age_seconds: int = 6 * 60 * 60
    # Logical name (chalicelib.resources.TOPICS) of the topic that AWS End User
    # Messaging publishes inbound SMS to (two-way SMS); None while unused.
    sms_inbound_topic: str | None = "sms-events"
    # The OpenSearch domain search runs on (made only with search_enabled): data nodes'
    # type and count (2 or more: spread over two zones, one replica), gp3 GiB per node.
    search_instance_type: str = "t3.small.search"
    search_instance_count: int = 1
    search_volume_gib: int = 10
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.twilio_secret_name:
            object.__setattr__(self, "twilio_secret_name", f"texting/{self.name}/twilio")
        if not self.webpush_vapid_secret_name:
            object.__setattr__(self, "webpush_vapid_secret_name", f"texting/{self.name}/vapid")
        if not self.webpush_public_key_parameter:
            object.__setattr__(
                self, "webpush_public_key_parameter", f"/texting/{self.name}/webpush-public-key"
            )
        self.validate()

    @property
    def prefix(self) -> str:
        """The physical-name prefix of every resource (``chalicelib.resources.physical``)."""
        return f"texting-{self.name}"

    @property
    def stack_name(self) -> str:
        return self.prefix

    def validate(self) -> None:
        """Refuse a configuration that would deploy but misbehave."""
        if not re.fullmatch(r"[a-z][a-z0-9]{0,15}", self.name):
            raise ValueError(f"stage name {self.name!r}: lowercase letters and digits only")
        if not re.fullmatch(r"[a-z][a-z0-9]*\.[a-z0-9]+\.search", self.search_instance_type):
            raise ValueError(
                f"search_instance_type {self.search_instance_type!r}: e.g. t3.small.search"
            )
        if self.search_instance_type.startswith("t2."):
            raise ValueError("search_instance_type: t2 nodes cannot encrypt data at rest")
        if not 1 <= self.search_instance_count <= 10 or not 10 <= self.search_volume_gib <= 1024:
            raise ValueError("search_instance_count is 1..10 and search_volume_gib 10..1024")
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {LOG_LEVELS}, not {self.log_level!r}")
        for country in self.sms_allowed_countries:
            if not re.fullmatch(r"[A-Z]{2}", country):
                raise ValueError(f"sms_allowed_countries: {country!r} is not an ISO alpha-2 code")
        positive = (
            "sms_max_segments",
            "mms_max_bytes",
            "media_max_bytes",
            "sms_rate_per_user_per_minute",
            "sms_rate_per_company_per_minute",
            "sms_pacing_local_per_second",
            "sms_pacing_toll_free_per_second",
            "photo_max_bytes",
            "max_text_length",
            "max_group_members",
            "lambda_memory_mb",
            "api_throttle_rate",
            "api_throttle_burst",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(f"log_retention_days must be one of {LOG_RETENTION_DAYS}")
        if not 60 <= self.stream_max_record_age_seconds <= 604800:
            raise ValueError("stream_max_record_age_seconds must be within 60..604800")
        if not 0 <= self.stream_max_retry_attempts <= 10000:
            raise ValueError("stream_max_retry_attempts must be within 0..10000")
        for arn in (self.push_apns_application_arn, self.push_fcm_application_arn):
            if arn and not re.fullmatch(r"arn:[^:]+:sns:[^:]+:\d{12}:app/[^/]+/[^/]+", arn):
                raise ValueError(f"{arn!r} is not an SNS platform application ARN")
        if not 2 <= self.sms_sender_max_concurrency <= 1000:
            raise ValueError("sms_sender_max_concurrency must be within 2..1000")
        if self.cognito_mfa not in ("off", "optional", "required"):
            raise ValueError("cognito_mfa must be off, optional or required")
        if self.cognito_threat_protection not in ("off", "audit", "enforced"):
            raise ValueError("cognito_threat_protection must be off, audit or enforced")
        for url in self.cognito_oauth_callback_urls:
            if not url.startswith("https://"):
                raise ValueError(f"cognito_oauth_callback_urls: {url!r} is not https")
        self._validate_cognito_email()
        if self.deployment not in DEPLOYMENTS:
            raise ValueError(f"deployment must be one of {DEPLOYMENTS}, not {self.deployment!r}")
        if not 1 <= self.sms_waiting_alarm_minutes <= 24 * 60:
            raise ValueError("sms_waiting_alarm_minutes must be within 1..1440")
        if self.monthly_budget_usd is not None and self.monthly_budget_usd <= 0:
            raise ValueError("monthly_budget_usd must be positive (or None: no budget)")
        if not 10 <= self.waf_webhook_rate_limit <= 2_000_000_000:
            raise ValueError("waf_webhook_rate_limit must be at least 10 (per 5 minutes)")
        if self.alarm_email is not None and not re.fullmatch(
            r"[^@\s]+@[^@\s]+\.[^@\s]+", self.alarm_email
        ):
            raise ValueError(f"alarm_email {self.alarm_email!r} is not an e-mail address")
        if self.sms_default_provider == "twilio" and not self.twilio_secret_name:
            raise ValueError("the twilio provider needs twilio_secret_name")

    def _validate_cognito_email(self) -> None:
        """SES mail needs both the sender and the identity, and the sender must be that
        identity's address or on its domain (Cognito refuses anything else at deploy)."""
        if (self.cognito_email_from is None) != (self.cognito_ses_identity_arn is None):
            raise ValueError("set cognito_email_from and cognito_ses_identity_arn together")
        if self.cognito_email_from is None or self.cognito_ses_identity_arn is None:
            return
        match = _SES_IDENTITY.fullmatch(self.cognito_ses_identity_arn)
        if not match:
            raise ValueError(
                f"cognito_ses_identity_arn {self.cognito_ses_identity_arn!r} is not an SES "
                "identity ARN (arn:aws:ses:<region>:<account>:identity/<address or domain>)"
            )
        address = self.cognito_email_address
        identity = match.group("identity").lower()
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
            raise ValueError(f"cognito_email_from {self.cognito_email_from!r} has no address")
        if identity not in (address.lower(), address.rpartition("@")[2].lower()):
            raise ValueError(
                f"cognito_email_from {address!r} is neither the SES identity {identity!r} "
                "nor on its domain"
            )

    @property
    def cognito_email_address(self) -> str:
        """The bare address of ``cognito_email_from`` (``Name <address>`` or ``address``)."""
        value = self.cognito_email_from or ""
        match = re.fullmatch(r"[^<>]*<([^<>]+)>\s*", value)
        return (match.group(1) if match else value).strip()

    def environment(self) -> dict[str, str]:
        """The flags as the environment variables every function reads."""
        env = {flag.env: _env_value(getattr(self, flag.field)) for flag in FLAGS}
        env["POWERTOOLS_LOG_LEVEL"] = self.log_level
        env["POWERTOOLS_TRACE_DISABLED"] = _env_value(not self.tracing)
        return env

    def deployable(self) -> None:
        """Refuse to deploy what must not go out as it is (alarms that reach nobody)."""
        if self.alarm_email_required and not self.alarm_email:
            raise ValueError(
                f"stage {self.name}: alarms would reach nobody. Set alarm_email in "
                'infra/stages.py, or pass -c flags=\'{"alarm_email": "ops@example.com"}\''
            )

    def with_overrides(self, **changes: Any) -> StageConfig:
        """A copy with some values changed (``-c flags=...`` on the command line, tests)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown stage settings: {', '.join(unknown)}")
        for key, value in changes.items():
            if isinstance(value, list):
                changes[key] = tuple(value)
        return replace(self, **changes)


STAGES: dict[str, StageConfig] = {
    "dev": StageConfig(
        name="dev",
        log_level="DEBUG",
        retain_data=False,
        log_retention_days=14,
        api_throttle_rate=20.0,
        api_throttle_burst=40,
        sms_rate_per_company_per_minute=60,
    ),
    "prod": StageConfig(
        name="prod",
        log_level="WARNING",
        log_retention_days=90,
        # A release reaches 10% of each function's traffic for 5 minutes first.
        deployment="Canary10Percent5Minutes",
        # Production alarms must reach someone: `make deploy STAGE=prod` refuses without
        # an address (set alarm_email here, or -c flags='{"alarm_email": "..."}').
        alarm_email_required=True,
        # carriers block unregistered US numbers: refuse before the provider is paid
        sms_require_registration=True,
        # when search is turned on: two nodes in two zones, each with every shard
        search_instance_type="m6g.large.search",
        search_instance_count=2,
        search_volume_gib=20,
    ),
}


def stage(name: str) -> StageConfig:
    """The configuration of a named stage, with a helpful error for a typo."""
    try:
        return STAGES[name]
    except KeyError:
        raise ValueError(f"unknown stage {name!r}; known stages: {', '.join(STAGES)}") from None
