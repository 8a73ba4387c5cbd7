"""The operator's registration commands (``infra.admin``): what US carriers need before a
business number's texts are delivered, kept as data the app reads on every send.

- ``submit-registration FILE``: creates an End User Messaging registration (10DLC
  brand, campaign or toll-free verification) from a reviewed JSON file, uploads its
  attachments, puts every field, submits it and records it ``pending``; the
  registration poller follows the review from there. A re-run after a failure reuses
  the registration it created (never a second one); a submitted one is not submitted
  again.
- ``attach-number``: attaches a business number to an End User Messaging campaign or
  toll-free registration (``CreateRegistrationAssociation``) and records it, so the
  number follows the registration's status.
- ``import-twilio-registrations``: reads the Twilio account's brand registrations, A2P
  campaigns (with the numbers of their Messaging Service) and toll-free verifications
  and records each with its status.
- ``record-registration``: records a number's registration by hand (one made in a
  provider's console, a short code, or a number that needs none).

The file (see ``docs/sms.md``)::

    {"company_id": "c…", "id": "acme-campaign", "type": "campaign",
     "fields": {"campaignInfo.useCase": ["CUSTOMER_CARE"], ...},
     "attachments": {"campaignInfo.optInScreenshot": "s3://bucket/optin.png"},
     "details": {"use_case": "...", "sample_messages": [...], "privacy_url": "..."},
     "brand_id": "acme-brand"}

``fields`` are End User Messaging's field paths (``DescribeRegistrationFieldDefinitions``
lists them for a registration type): a string is a text value, a list the selected
choices. ``details`` is what the admin pages show of the registration.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.domain import compliance
from chalicelib.domain.compliance import DRAFT, KINDS, STATUSES, Registration

if TYPE_CHECKING:
    from chalicelib.adapters.eum_registrations import EumRegistrations
    from chalicelib.services.compliance.ports import ComplianceRepository
    from chalicelib.services.compliance.registrations import Registrations
    from chalicelib.services.sms.ports import SmsRepository

# Our registration type → End User Messaging's.
EUM_TYPES = {
    "brand": "US_TEN_DLC_BRAND_REGISTRATION",
    "campaign": "US_TEN_DLC_CAMPAIGN_REGISTRATION",
    "toll_free": "US_TOLL_FREE_REGISTRATION",
}
Fetch = Callable[[str, str], dict[str, Any]]  # (url, authorization header) -> JSON


@dataclass(frozen=True)
class RegistrationFile:
    """A reviewed registration, as the operator wrote it."""

    company_id: str
    registration_id: str
    type: str
    fields: dict[str, Any] = field(default_factory=dict)
    attachments: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    brand_id: str = ""

    @classmethod
    def parse(cls, data: Any, company_id: str = "") -> RegistrationFile:
        """The file's content, checked before any call is made (``SystemExit`` names
        what is wrong)."""
        if not isinstance(data, dict):
            raise SystemExit("the registration file holds one JSON object")
        company = str(data.get("company_id") or company_id)
        kind = data.get("type")
        if not company:
            raise SystemExit("the registration file needs company_id (or --company-id)")
        if kind not in EUM_TYPES:
            raise SystemExit(f"type is one of {', '.join(EUM_TYPES)}, not {kind!r}")
        if not isinstance(data.get("id"), str) or not data["id"].strip():
            raise SystemExit("the registration file needs an id (the app's name for it)")
        parts = {"fields": dict, "attachments": dict, "details": dict}
        for name, shape in parts.items():
            if not isinstance(data.get(name, shape()), shape):
                raise SystemExit(f"{name} is a JSON object")
        fields = data.get("fields", {})
        for path, value in fields.items():
            if not (
                isinstance(value, str)
                or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            ):
                raise SystemExit(f"field {path}: a text or a list of choices")
        overlap = set(fields) & set(data.get("attachments", {}))
        if overlap:
            raise SystemExit(f"both a field and an attachment: {', '.join(sorted(overlap))}")
        return cls(
            company_id=company,
            registration_id=data["id"].strip(),
            type=str(kind),
            fields=dict(fields),
            attachments={str(k): str(v) for k, v in data.get("attachments", {}).items()},
            details=dict(data.get("details", {})),
            brand_id=str(data.get("brand_id") or ""),
        )


def client_token(*parts: str) -> str:
    """End User Messaging's idempotency token for one call of one registration (at most
    64 characters): a retried create returns the registration the first one made."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:64]


def submit_eum(
    spec: RegistrationFile,
    eum: EumRegistrations,
    registrations: Registrations,
    repo: ComplianceRepository,
) -> Registration:
    """Create (or reuse), fill in and submit one End User Messaging registration."""
    stored = repo.get_registration(spec.company_id, spec.registration_id)
    if stored is not None and stored.status != DRAFT:
        raise SystemExit(
            f"{spec.registration_id} is already {stored.status} at {stored.provider}; "
            "the poller follows it (a registration that needs updates is fixed in the console)"
        )
    registration = stored or Registration(
        spec.registration_id,
        spec.company_id,
        spec.type,
        "eum",
        details=dict(spec.details),
        brand_id=spec.brand_id,
    )
    if not registration.provider_id:
        made = eum.create(
            EUM_TYPES[spec.type], client_token(spec.company_id, spec.registration_id, "create")
        )
        registration.provider_id = made["RegistrationId"]
        registration.provider_status = made["RegistrationStatus"]
        registration = registrations.record(registration)  # a re-run finds it
    values: dict[str, Any] = dict(spec.fields)
    for path, url in sorted(spec.attachments.items()):
        token = client_token(spec.company_id, spec.registration_id, "attachment", path)
        values[path] = {"attachment": eum.attach(url, token)}
    eum.fill(registration.provider_id, values)
    submitted = eum.submit(registration.provider_id)
    registration.provider_status = submitted
    registration.status = compliance.eum_status(submitted)
    registration.details = dict(spec.details) or registration.details
    registration.updated_at = ""
    return registrations.record(registration)


def phone_number_id(client: Any, e164: str) -> str:
    """End User Messaging's id of one of the account's numbers (all pages)."""
    token: str | None = None
    while True:
        page = client.describe_phone_numbers(**({"NextToken": token} if token else {}))
        for item in page.get("PhoneNumbers", []):
            if item.get("PhoneNumber") == e164:
                return str(item["PhoneNumberId"])
        token = page.get("NextToken")
        if not token:
            raise SystemExit(f"{e164} is not a number of this End User Messaging account")


def attach_number(
    company_id: str,
    registration_id: str,
    e164: str,
    eum: EumRegistrations,
    client: Any,
    registrations: Registrations,
    repo: ComplianceRepository,
    sms: SmsRepository,
) -> Registration:
    """Attach a business number to a campaign or toll-free registration; the number then
    follows the registration's status on every send."""
    registration = repo.get_registration(company_id, registration_id)
    if registration is None:
        raise SystemExit(f"no registration {registration_id!r} of company {company_id!r}")
    if registration.provider != "eum" or registration.type == "brand":
        raise SystemExit("numbers attach to an End User Messaging campaign or toll-free one")
    number = sms.get_number(e164)
    if number is None or number.company_id != company_id:
        raise SystemExit(f"{e164} is not a business number of company {company_id!r}")
    eum.associate(registration.provider_id, phone_number_id(client, e164))
    if e164 not in registration.numbers:
        registration.numbers.append(e164)
    return registrations.record(registration)


def record_by_hand(
    sms: SmsRepository, e164: str, kind: str, status: str, reason: str = "", ref: str = ""
) -> dict[str, Any]:
    """A number's registration as the operator knows it (made in a console, a short
    code, a number that needs none)."""
    if kind not in KINDS:
        raise SystemExit(f"--kind is one of {', '.join(KINDS)}")
    if status not in STATUSES:
        raise SystemExit(f"--status is one of {', '.join(STATUSES)}")
    number = sms.get_number(e164)
    if number is None:
        raise SystemExit(f"no business number {e164}: add it first (add-number)")
    number.registration = "" if kind == "none" else kind
    number.registration_status = status
    number.registration_reason = reason
    number.registration_id = ref
    sms.put_number(number)
    return number.to_dict()


# -- Twilio's registrations ------------------------------------------------------------------


def _get_json(url: str, authorization: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Authorization": authorization})
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.loads(response.read() or b"{}")
    return payload if isinstance(payload, dict) else {}


@dataclass(frozen=True)
class TwilioAccount:
    """Twilio's REST APIs with the account's credentials (every list, all pages)."""

    account_sid: str
    auth_token: str
    messaging_url: str = "https://messaging.twilio.com"
    api_url: str = "https://api.twilio.com"
    fetch: Fetch = _get_json

    def _auth(self) -> str:
        pair = f"{self.account_sid}:{self.auth_token}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    def get(self, url: str) -> dict[str, Any]:
        return self.fetch(url, self._auth())

    def pages(self, path: str, key: str) -> Iterator[dict[str, Any]]:
        url: str | None = self.messaging_url.rstrip("/") + path
        while url:
            page = self.get(url)
            yield from (i for i in page.get(key) or [] if isinstance(i, dict))
            following = (page.get("meta") or {}).get("next_page_url")
            url = str(following) if following else None

    def number_of(self, phone_number_sid: str) -> str:
        path = f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers/{phone_number_sid}"
        return str(self.get(self.api_url.rstrip("/") + path + ".json").get("phone_number", ""))


def twilio_registrations(account: TwilioAccount, company_id: str) -> Iterator[Registration]:
    """The account's brands, the A2P campaign of each Messaging Service (with the
    service's numbers) and the toll-free verifications, as registrations."""
    for brand in account.pages("/v1/a2p/BrandRegistrations", "data"):
        yield _twilio(company_id, "brand", brand)
    for service in account.pages("/v1/Services", "services"):
        service_sid = str(service.get("sid", ""))
        numbers = [
            str(n["phone_number"])
            for n in account.pages(f"/v1/Services/{service_sid}/PhoneNumbers", "phone_numbers")
            if n.get("phone_number")
        ]
        for campaign in account.pages(f"/v1/Services/{service_sid}/Compliance/Usa2p", "compliance"):
            made = _twilio(company_id, "campaign", campaign)
            made.numbers = numbers
            made.brand_id = f"twilio-{campaign.get('brand_registration_sid', '')}"
            made.details = {
                "messaging_service_sid": service_sid,
                "use_case": campaign.get("us_app_to_person_usecase", ""),
                "description": campaign.get("description", ""),
                "sample_messages": list(campaign.get("message_samples") or []),
                "opt_in": campaign.get("message_flow", ""),
            }
            yield made
    for verification in account.pages("/v1/Tollfree/Verifications", "verifications"):
        made = _twilio(company_id, "toll_free", verification)
        number_sid = str(verification.get("tollfree_phone_number_sid") or "")
        made.numbers = [n for n in [account.number_of(number_sid) if number_sid else ""] if n]
        made.details = {
            "use_case": verification.get("use_case_summary", ""),
            "sample_messages": [verification.get("production_message_sample", "")],
            "opt_in": verification.get("opt_in_type", ""),
        }
        yield made


def _twilio(company_id: str, kind: str, resource: Mapping[str, Any]) -> Registration:
    from chalicelib.adapters.registration_sources import twilio_words

    registration = Registration(
        f"twilio-{resource.get('sid', '')}",
        company_id,
        kind,
        "twilio",
        provider_id=str(resource.get("sid", "")),
    )
    words, reason = twilio_words(registration, dict(resource))
    registration.provider_status = words
    registration.status = compliance.twilio_status(registration.provider_status)
    registration.reason = reason
    return registration


def import_twilio(
    account: TwilioAccount, company_id: str, registrations: Registrations
) -> list[Registration]:
    """Record every registration of the Twilio account for the company."""
    return [registrations.record(r) for r in twilio_registrations(account, company_id)]


# -- the command line --------------------------------------------------------------------------

COMMANDS = (
    "submit-registration",
    "attach-number",
    "import-twilio-registrations",
    "record-registration",
)


def add_commands(commands: Any) -> None:
    """The registration commands on ``infra.admin``'s parser."""
    submit = commands.add_parser(
        "submit-registration", help="create and submit an End User Messaging registration"
    )
    submit.add_argument("file", help="the reviewed registration (JSON)")
    submit.add_argument("--company-id", default="", help="if the file does not name it")
    attach = commands.add_parser(
        "attach-number", help="attach a number to an End User Messaging campaign or toll-free"
    )
    attach.add_argument("--company-id", required=True)
    attach.add_argument("--registration", required=True, help="the registration's id (the file's)")
    attach.add_argument("--number", required=True, help="E.164")
    imported = commands.add_parser(
        "import-twilio-registrations",
        help="record the Twilio account's brands, A2P campaigns and toll-free verifications",
    )
    imported.add_argument("--company-id", required=True)
    by_hand = commands.add_parser("record-registration", help="record a number's registration")
    by_hand.add_argument("--number", required=True, help="E.164")
    by_hand.add_argument("--kind", required=True, choices=KINDS)
    by_hand.add_argument("--status", required=True, choices=STATUSES)
    by_hand.add_argument("--reason", default="")
    by_hand.add_argument("--ref", default="", help="the provider's id for it, if any")


def run(session: Any, stage: Any, args: Any) -> list[str]:
    """One registration command on the stage, through the app's own services."""
    from chalicelib.adapters.eum_registrations import EumRegistrations
    from infra import admin, admin_accounts

    svc = admin_accounts.services(session, stage)
    repo, sms = svc.adapters.compliance, svc.adapters.sms
    if args.command == "record-registration":
        shown = record_by_hand(sms, args.number, args.kind, args.status, args.reason, args.ref)
        return [json.dumps(shown)]
    if args.command == "import-twilio-registrations":
        sid, token = admin.twilio_credentials(session, stage)
        account = TwilioAccount(
            sid, token, svc.settings.twilio_messaging_base_url, stage.config.twilio_api_base_url
        )
        found = import_twilio(account, args.company_id, svc.registrations)
        return [f"{r.registration_id} {r.type} {r.status} {' '.join(r.numbers)}" for r in found]
    client = session.client("pinpoint-sms-voice-v2", region_name=stage.region)
    eum = EumRegistrations(client)
    if args.command == "submit-registration":
        with open(args.file, encoding="utf-8") as reviewed:
            spec = RegistrationFile.parse(json.load(reviewed), args.company_id)
        made = submit_eum(spec, eum, svc.registrations, repo)
        return [json.dumps(made.to_dict())]
    made = attach_number(
        args.company_id, args.registration, args.number, eum, client, svc.registrations, repo, sms
    )
    return [json.dumps(made.to_dict())]
