"""SMS rules that do not depend on a provider: segments, cost, keywords, destinations.

Everything here is pure (``phonenumbers`` is the only dependency) so the
preview endpoint, the send path and both provider adapters agree on one
answer. The provider-neutral shapes the adapters return (``ProviderSend``,
``InboundSms``, ``StatusUpdate``) and the two errors they raise live here too,
so services depend on this module and never on a provider adapter.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import phonenumbers

from chalicelib.domain import consent
from chalicelib.domain.errors import DomainError, Forbidden, ValidationError

# -- segments ---------------------------------------------------------------------------

Encoding = Literal["GSM-7", "UCS-2"]
GSM7: Encoding = "GSM-7"
UCS2: Encoding = "UCS-2"

# GSM 03.38 default alphabet, in table order (0x00-0x7F) minus 0x1B, the escape to the
# extension table, which is never a character of its own.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs an escape septet plus its own.
_GSM_EXTENDED = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153  # a concatenated part loses 7 septets to its UDH
UCS2_SINGLE, UCS2_MULTI = 70, 67  # ... and 3 UTF-16 units


@dataclass(frozen=True)
class SegmentInfo:
    """How a text travels as SMS, in the units the carrier bills.

    ``characters`` counts septets for GSM-7 (an extension character is two) and
    UTF-16 code units for UCS-2 (an emoji outside the BMP is two).
    ``remaining`` is what still fits in the last segment before another starts.
    """

    encoding: Encoding
    segments: int
    characters: int
    remaining: int
    per_segment: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "segments": self.segments,
            "characters": self.characters,
            "remaining": self.remaining,
            "per_segment": self.per_segment,
        }


def is_gsm7(text: str) -> bool:
    """True if every character is in the GSM 03.38 basic or extension table."""
    return all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text)


def non_gsm_characters(text: str) -> list[str]:
    """The characters that force UCS-2 (each once, in order), so a UI can point at them."""
    return list(dict.fromkeys(c for c in text if c not in _GSM_BASIC and c not in _GSM_EXTENDED))


def _pack(units: list[int], single: int, multi: int) -> tuple[int, int, int]:
    """(segments, remaining, per_segment) for code points costing ``units`` each.

    A text that fits one segment uses the whole of it. Otherwise code points are
    packed greedily into ``multi``-sized parts; one never straddles two parts,
    because phones cannot reassemble half an escape sequence or half a
    surrogate pair, so a part may end a unit short.
    """
    total = sum(units)
    if total <= single:
        return 1, single - total, single
    parts, used = 1, 0
    for unit in units:
        if used + unit > multi:
            parts, used = parts + 1, 0
        used += unit
    return parts, multi - used, multi


def segments(text: str) -> SegmentInfo:
    """Encoding and segment count of ``text`` as a carrier would send it.

    An empty text is one segment of zero characters: a message is billed as at
    least one segment, and a composer shows a full first segment left.
    National language shift tables (Turkish, Spanish, Portuguese) are not
    used: providers rarely do, and counting them would under-estimate.
    """
    if is_gsm7(text):
        units = [2 if c in _GSM_EXTENDED else 1 for c in text]
        count, remaining, per = _pack(units, GSM7_SINGLE, GSM7_MULTI)
        return SegmentInfo(GSM7, count, sum(units), remaining, per)
    units = [2 if ord(c) > 0xFFFF else 1 for c in text]
    count, remaining, per = _pack(units, UCS2_SINGLE, UCS2_MULTI)
    return SegmentInfo(UCS2, count, sum(units), remaining, per)


# -- cost -------------------------------------------------------------------------------

UNKNOWN_COUNTRY = "*"

# Illustrative USD prices per outbound segment, of the order of public list prices;
# not a quote from any provider. Operators replace the table through configuration.
DEFAULT_PRICES: Mapping[str, Decimal] = {
    "US": Decimal("0.0083"),
    "CA": Decimal("0.0083"),
    "MX": Decimal("0.0500"),
    "BR": Decimal("0.0450"),
    "GB": Decimal("0.0400"),
    "IE": Decimal("0.0650"),
    "FR": Decimal("0.0750"),
    "DE": Decimal("0.0800"),
    "ES": Decimal("0.0700"),
    "IT": Decimal("0.0800"),
    "NL": Decimal("0.1000"),
    "AU": Decimal("0.0500"),
    "NZ": Decimal("0.1000"),
    "IN": Decimal("0.0800"),
    UNKNOWN_COUNTRY: Decimal("0.1000"),
}


def estimate_cost(
    segments: int, country: str | None, prices: Mapping[str, Decimal] = DEFAULT_PRICES
) -> Decimal:
    """Estimated price of ``segments`` outbound segments to ``country`` (ISO alpha-2).

    A country missing from ``prices`` costs the ``"*"`` entry, or the default
    table's, so an estimate is never zero by accident.
    """
    if segments < 0:
        raise ValueError("segments cannot be negative")
    key = (country or "").upper()
    unit = prices.get(key)
    if unit is None:
        unit = prices.get(UNKNOWN_COUNTRY, DEFAULT_PRICES[UNKNOWN_COUNTRY])
    return unit * segments


# -- keywords ---------------------------------------------------------------------------

# The keyword tables and the plain-language rules live in ``chalicelib.domain.consent``;
# these names stay here for the send path and the preview.
STOP_KEYWORDS = consent.STOP_KEYWORDS
START_KEYWORDS = consent.START_KEYWORDS
HELP_KEYWORDS = consent.HELP_KEYWORDS
Keyword = consent.Keyword
keyword = consent.keyword


# -- destinations -----------------------------------------------------------------------

_NUMBER_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "premium_rate",
    phonenumbers.PhoneNumberType.SHARED_COST: "shared_cost",
    phonenumbers.PhoneNumberType.VOIP: "voip",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "personal",
    phonenumbers.PhoneNumberType.PAGER: "pager",
    phonenumbers.PhoneNumberType.UAN: "uan",
    phonenumbers.PhoneNumberType.VOICEMAIL: "voicemail",
}

# Numbers the caller pays a surcharge to reach; texting them costs the business money.
BLOCKED_TYPES = frozenset({"premium_rate", "shared_cost"})

_SHORT_CODE = re.compile(r"\d{5,6}")


@dataclass(frozen=True)
class DestinationInfo:
    """What ``phonenumbers`` knows about a number: where it is and what kind it is."""

    e164: str
    country: str | None  # ISO 3166-1 alpha-2; None for non-geographic numbers (+800 ...)
    number_type: str  # mobile, fixed_line, fixed_line_or_mobile, toll_free, premium_rate, ...
    valid: bool


def classify_destination(e164: str) -> DestinationInfo:
    """Country and number type of an E.164 number (raises ``invalid_phone`` if unparseable)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            f"'{e164}' is not an E.164 phone number", code="invalid_phone"
        ) from exc
    region = phonenumbers.region_code_for_number(parsed)
    return DestinationInfo(
        e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        country=region if region and region not in ("001", "ZZ") else None,
        number_type=_NUMBER_TYPES.get(phonenumbers.number_type(parsed), "unknown"),
        valid=phonenumbers.is_valid_number(parsed),
    )


def is_short_code(raw: str) -> bool:
    """A 5- or 6-digit short code ("12345", "123 456"), which a long code cannot text."""
    return bool(_SHORT_CODE.fullmatch(re.sub(r"[\s\-.]", "", raw or "")))


def check_outbound(e164: str, allowed_countries: Collection[str]) -> DestinationInfo:
    """Refuse destinations the business must not text; return what was learned.

    Codes: ``short_code`` (400), ``invalid_phone`` (400), ``country_not_allowed``
    (403) and ``premium_number`` (403). ``allowed_countries`` holds ISO codes;
    ``"*"`` allows every country and an empty collection allows none.
    """
    if is_short_code(e164):
        raise ValidationError(
            f"'{e164}' is a short code; business numbers cannot text short codes",
            code="short_code",
        )
    info = classify_destination(e164)
    if not info.valid:
        raise ValidationError(f"'{e164}' is not a valid phone number", code="invalid_phone")
    allowed = {c.upper() for c in allowed_countries}
    if "*" not in allowed and (info.country is None or info.country not in allowed):
        raise Forbidden(
            f"texting {info.country or 'non-geographic'} numbers is not enabled",
            code="country_not_allowed",
        )
    if info.number_type in BLOCKED_TYPES:
        raise Forbidden(
            f"'{info.e164}' is a {info.number_type.replace('_', '-')} number",
            code="premium_number",
        )
    return info


# -- delivery status --------------------------------------------------------------------

QUEUED, SENDING, SENT = "queued", "sending", "sent"
DELIVERED, UNDELIVERED, FAILED = "delivered", "undelivered", "failed"
UNKNOWN = "unknown"  # the provider may or may not have taken it; 72 h without a final status
FINAL_RANK = 3
FINAL_STATUSES = frozenset({DELIVERED, UNDELIVERED, FAILED, UNKNOWN})
_RANK = {QUEUED: 0, SENDING: 1, SENT: 2, **dict.fromkeys(FINAL_STATUSES, FINAL_RANK)}


def status_rank(status: str) -> int:
    """How far along a stored status is. Statuses outside the SMS pipeline (IM's
    "sent" aside, inbound "received") are final: nothing moves them."""
    return _RANK.get(status, FINAL_RANK)


def is_final(status: str) -> bool:
    return status_rank(status) >= FINAL_RANK


def status_advances(current: str | None, new: str) -> bool:
    """The one forward-only rule: whether ``new`` may replace the stored ``current``.

    Callbacks arrive late, twice, or out of order ("delivered" before "sent");
    a status only moves forward, the first final status wins, and a status this
    pipeline does not know never replaces anything. ``current`` None: no status yet.
    The DynamoDB adapter states the same rule as a condition on the stored rank.
    """
    if new not in _RANK:
        return False
    return current is None or _RANK[new] > status_rank(current)


# -- provider-neutral shapes and errors ---------------------------------------------------


@dataclass(frozen=True)
class ProviderSend:
    """What a provider said when it accepted a message."""

    provider_message_id: str
    status: str  # one of ours: queued, sending, sent, ...


@dataclass(frozen=True)
class InboundMedia:
    url: str
    content_type: str = ""


@dataclass(frozen=True)
class InboundSms:
    """A text an external phone sent to one of the business numbers."""

    provider: str  # "twilio" | "eum"
    provider_message_id: str
    from_: str
    to: str
    body: str
    media: tuple[InboundMedia, ...] = ()
    account_id: str = ""  # Twilio AccountSid: check it is ours
    messaging_service_id: str = ""
    keyword: str = ""  # EUM's registered keyword that matched, if any
    in_reply_to: str = ""  # EUM previousPublishedMessageId


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery report for a message the business sent."""

    provider: str
    provider_message_id: str
    status: str  # ours: queued, sending, sent, delivered, undelivered, failed
    provider_status: str  # the provider's own word, for logs and support
    final: bool
    error_code: str | None = None
    error_message: str = ""
    to: str = ""
    from_: str = ""
    context: Mapping[str, str] = field(default_factory=dict)


class ProviderRetryable(DomainError):
    """The provider could not take the message now (throttled, down, timed out).

    The send may be retried with the same idempotency key; ``retry_after`` is
    the provider's hint in seconds, when it gave one.
    """

    code = "provider_unavailable"

    def __init__(
        self, message: str, *, retry_after: float | None = None, ambiguous: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        # True when the provider may have taken the message anyway (a timeout, a
        # connection lost mid-request): resending could send it twice.
        self.ambiguous = ambiguous


class ProviderRejected(DomainError):
    """The provider refused the message; retrying the same request will not help.

    ``code`` stays ``provider_rejected`` (stable, for the API); the provider's
    own error code (Twilio's ``21610``, EUM's ``Reason``) is ``provider_code``.
    """

    code = "provider_rejected"

    def __init__(
        self, message: str, *, provider_code: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.provider_code = provider_code
        self.status = status
