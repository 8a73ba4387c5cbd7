"""Lawful texting in the US: a company's texting policy, consent records, and the
registrations (10DLC brand and campaigns, toll-free verification) a number needs
before carriers deliver its texts. Pure Python: the provider words are mapped here,
so the poller, the CLI and the send path agree on one status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# -- the company's texting policy ----------------------------------------------------------

DEFAULT_STOP_REPLY = (
    "{name}: You are unsubscribed and will receive no more messages from this number. "
    "Reply START to resubscribe."
)
DEFAULT_START_REPLY = "{name}: You are resubscribed. Reply STOP to unsubscribe, HELP for help."
DEFAULT_HELP_REPLY = (
    "{name}: For help, text or call us at {number}. Reply STOP to unsubscribe. "
    "Msg&data rates may apply."
)
TOLL_FREE_RULES = ("verified", "never")  # toll-free numbers text once verified / never
MAX_REPLY = 320


@dataclass
class TextingPolicy:
    """A company's rules for texting customers (``GET/PUT /admin/texting-policy``).

    ``sender_name`` names the business in the HELP, STOP and START replies (the
    company's name when empty); ``stop_reply`` / ``start_reply`` replace the default
    confirmations (``{name}`` is the sender name; CTIA's rules in
    ``chalicelib.domain.reply_rules``). ``quiet_hours``: automated texts
    to US numbers wait for 8am-8pm in the recipient's time. ``number_countries``:
    business numbers of these countries text; ``toll_free``: ``verified`` (once the
    toll-free verification is approved) or ``never``.
    """

    company_id: str
    sender_name: str = ""
    stop_reply: str = ""
    start_reply: str = ""
    quiet_hours: bool = False
    number_countries: list[str] = field(default_factory=lambda: ["US", "CA"])
    toll_free: str = "verified"
    version: int = 0  # the stored version it was read at (0: never stored); a write needs it

    def reply(self, kind: str, company_name: str, help_text: str = "", number: str = "") -> str:
        """The confirmation for ``stop`` / ``start``, or the ``help`` reply (the
        company's ``help_text``); ``{name}`` is the sender name, ``{number}`` the
        business number that was texted."""
        name = self.sender_name or company_name or "This business"
        template = {
            "help": help_text or DEFAULT_HELP_REPLY,
            "stop": self.stop_reply or DEFAULT_STOP_REPLY,
            "start": self.start_reply or DEFAULT_START_REPLY,
        }[kind]
        return template.replace("{name}", name).replace("{number}", number or "this number")

    def number_may_text(self, country: str, number_type: str) -> bool:
        """The seed rules as policy: which business numbers text at all."""
        if number_type == "toll_free" and self.toll_free == "never":
            return False
        return country.upper() in {c.upper() for c in self.number_countries}

    def to_dict(self) -> dict[str, Any]:
        return {
            "sender_name": self.sender_name,
            "stop_reply": self.stop_reply,
            "start_reply": self.start_reply,
            "quiet_hours": self.quiet_hours,
            "number_countries": list(self.number_countries),
            "toll_free": self.toll_free,
        }


# -- consent --------------------------------------------------------------------------------


@dataclass
class Consent:
    """How a customer opted in to one business number's texts, and whether a person
    should read a text that may have revoked it (the rules were not sure)."""

    business: str
    external: str
    opted_in_how: str = ""
    recorded_by: str = ""
    recorded_at: str = ""
    review_text: str = ""
    review_at: str = ""
    review_source: str = ""
    version: int = 0  # the stored version it was read at (0: never stored); a write needs it

    def to_dict(self, opted_out: bool = False) -> dict[str, Any]:
        return {
            "business_number": self.business,
            "external_number": self.external,
            "opted_out": opted_out,
            "opted_in_how": self.opted_in_how,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at,
            "review": (
                {"text": self.review_text, "at": self.review_at} if self.review_at else None
            ),
        }


CONSENT_CHANGES = ("opted_in_how", "flagged", "review_done")  # beside opted_out / opted_in


@dataclass(frozen=True)
class ConsentChange:
    """One entry of a consent record's append-only history: what changed (one of
    ``CONSENT_CHANGES``), when, who (a user id, or the provider's id of the customer's
    text) and the text that did it (how they opted in, the text flagged)."""

    change: str
    at: str
    by: str
    text: str = ""


# -- registrations --------------------------------------------------------------------------

KINDS = ("10dlc", "toll_free", "short_code", "none")  # what a number needs
TYPES = ("brand", "campaign", "toll_free")  # what is registered
DRAFT, PENDING, NEEDS_UPDATES, APPROVED, REJECTED = (
    "draft",
    "pending",
    "needs_updates",
    "approved",
    "rejected",
)
STATUSES = (DRAFT, PENDING, NEEDS_UPDATES, APPROVED, REJECTED)
# the poller asks the provider about these: one that needs updates is fixed and
# resubmitted in the provider's console, and only the poller can see it move on
OPEN_STATUSES = frozenset({PENDING, NEEDS_UPDATES})
# Provider errors that mean carriers block the number's texts for want of registration.
UNREGISTERED_ERRORS = {
    "30034": "the number is not in an approved 10DLC campaign",
    "30035": "the number's 10DLC registration is still in progress",
    "30032": "the toll-free number is not verified",
}
RECIPIENT_OPTED_OUT = "21610"  # Twilio: the recipient replied STOP; never retry

_EUM = {
    "CREATED": DRAFT,
    "SUBMITTED": PENDING,
    "AWS_REVIEWING": PENDING,
    "REVIEWING": PENDING,
    "PROVISIONING": PENDING,
    "REQUIRES_AUTHENTICATION": NEEDS_UPDATES,
    "REQUIRES_UPDATES": NEEDS_UPDATES,
    "COMPLETE": APPROVED,
    "CLOSED": REJECTED,
    "DELETED": REJECTED,
}
_TWILIO = {
    # brands
    "PENDING": PENDING,
    "IN_REVIEW": PENDING,
    "APPROVED": APPROVED,
    "FAILED": NEEDS_UPDATES,
    "SUSPENDED": REJECTED,
    "DELETED": REJECTED,
    # A2P campaigns (us_app_to_person campaign_status)
    "IN_PROGRESS": PENDING,
    "VERIFIED": APPROVED,
    # toll-free verifications
    "PENDING_REVIEW": PENDING,
    "TWILIO_APPROVED": APPROVED,
    "TWILIO_REJECTED": NEEDS_UPDATES,
}


def eum_status(provider_status: str) -> str:
    """Our status for an End User Messaging ``RegistrationStatus``."""
    return _EUM.get((provider_status or "").upper(), PENDING)


def twilio_status(provider_status: str) -> str:
    """Our status for a Twilio brand, campaign or toll-free verification status."""
    return _TWILIO.get((provider_status or "").upper(), PENDING)


@dataclass
class Registration:
    """One registration of a company: its 10DLC brand, a campaign, or a toll-free
    verification; ``numbers`` are the business numbers it covers (campaigns, toll-free).

    ``details`` holds what was registered: for a campaign the use case, sample
    messages, opt-in flow, privacy and terms URLs; for a brand the company's legal
    name and identifiers. ``provider_id`` is End User Messaging's registration id or
    Twilio's SID; ``reason`` the provider's words when it needs updates or refused.
    ``version`` counts the stored writes (0: never stored): a write names the version
    it read, so two pollers, or a poller and an admin, never overwrite each other.
    """

    registration_id: str
    company_id: str
    type: str
    provider: str
    status: str = DRAFT
    provider_id: str = ""
    provider_status: str = ""
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    numbers: list[str] = field(default_factory=list)
    brand_id: str = ""
    updated_at: str = ""
    version: int = 0

    @property
    def kind(self) -> str:
        """What a number covered by this registration is registered as."""
        return "toll_free" if self.type == "toll_free" else "10dlc"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.registration_id,
            "type": self.type,
            "provider": self.provider,
            "status": self.status,
            "provider_id": self.provider_id,
            "provider_status": self.provider_status,
            "reason": self.reason,
            "details": dict(self.details),
            "numbers": list(self.numbers),
            "brand_id": self.brand_id,
            "updated_at": self.updated_at,
        }


def registration_refusal(country: str, kind: str, status: str, reason: str = "") -> str | None:
    """Why a US business number may not text yet, or None when it may.

    A US number texts once its registration (10DLC campaign, toll-free verification
    or short code) is approved; numbers of other countries are not checked here.
    """
    if country.upper() != "US":
        return None
    if status == APPROVED:
        return None
    what = {
        "10dlc": "10DLC campaign registration",
        "toll_free": "toll-free verification",
        "short_code": "short code registration",
    }.get(kind)
    if what is None:
        return "the number has no 10DLC or toll-free registration; US carriers block its texts"
    state = (status or DRAFT).replace("_", " ")
    return f"the number's {what} is {state}" + (f": {reason}" if reason else "")
