"""End User Messaging's registration and account APIs (``pinpoint-sms-voice-v2``).

- ``EumRegistrations``: what the registration poller asks (``DescribeRegistrations``,
  and the latest version's denied reasons when it needs updates), and what the
  operator's CLI does from a reviewed JSON file (``CreateRegistration``,
  ``PutRegistrationFieldValue``, ``CreateRegistrationAttachment``,
  ``SubmitRegistrationVersion``, ``CreateRegistrationAssociation``) and to make the
  app answer keywords itself (``UpdatePhoneNumber`` with ``SelfManagedOptOutsEnabled``).
- ``EumAccount``: the sandbox (``DescribeAccountAttributes`` ``ACCOUNT_TIER``,
  ``DescribeSpendLimits``, ``DescribeVerifiedDestinationNumbers``).

The boto3 client is created on first use, or passed in (tests wrap one in
``botocore.stub.Stubber``, which checks every call against the service model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.domain.compliance import Registration

__all__ = ["EumAccount", "EumRegistrations"]


class _Lazy:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    def _api(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("pinpoint-sms-voice-v2")
        return self._client


class EumRegistrations(_Lazy):
    """Registrations at End User Messaging: created, filled in, submitted, followed."""

    def registration_status(self, registration: Registration) -> tuple[str, str]:
        """``(RegistrationStatus, reason)``; the reason is the latest denied version's
        reasons when the registration needs updates."""
        found = self._api().describe_registrations(RegistrationIds=[registration.provider_id])
        info = found["Registrations"][0]
        status = str(info["RegistrationStatus"])
        reason = ""
        denied = info.get("LatestDeniedVersionNumber")
        if status in ("REQUIRES_UPDATES", "REQUIRES_AUTHENTICATION") and denied:
            versions = self._api().describe_registration_versions(
                RegistrationId=registration.provider_id, VersionNumbers=[denied]
            )["RegistrationVersions"]
            reasons = [
                str(r.get("ShortDescription") or r.get("Reason") or "")
                for v in versions
                for r in v.get("DeniedReasons", [])
            ]
            reason = "; ".join(r for r in reasons if r)
        return status, reason

    def create(self, registration_type: str, client_token: str) -> dict[str, Any]:
        """A new registration (a draft): ``{"RegistrationId", "RegistrationStatus"}``."""
        made = self._api().create_registration(
            RegistrationType=registration_type, ClientToken=client_token
        )
        return {k: made[k] for k in ("RegistrationId", "RegistrationStatus")}

    def attach(self, url: str, client_token: str) -> str:
        """An attachment (a screenshot of the opt-in flow) from ``s3://`` or https."""
        made = self._api().create_registration_attachment(
            AttachmentUrl=url, ClientToken=client_token
        )
        return str(made["RegistrationAttachmentId"])

    def fill(self, registration_id: str, fields: Mapping[str, Any]) -> int:
        """One ``PutRegistrationFieldValue`` per field: text, a list of choices, or
        ``{"attachment": id}``. Returns how many were put."""
        for path, value in fields.items():
            params: dict[str, Any] = {"RegistrationId": registration_id, "FieldPath": path}
            if isinstance(value, Mapping) and "attachment" in value:
                params["RegistrationAttachmentId"] = str(value["attachment"])
            elif isinstance(value, Sequence) and not isinstance(value, str):
                params["SelectChoices"] = [str(v) for v in value]
            else:
                params["TextValue"] = str(value)
            self._api().put_registration_field_value(**params)
        return len(fields)

    def submit(self, registration_id: str) -> str:
        made = self._api().submit_registration_version(RegistrationId=registration_id)
        return str(made["RegistrationVersionStatus"])

    def associate(self, registration_id: str, phone_number_id: str) -> dict[str, Any]:
        """Attach a number (its id or ARN) to an approved campaign or verification."""
        made = self._api().create_registration_association(
            RegistrationId=registration_id, ResourceId=phone_number_id
        )
        return {"PhoneNumber": made.get("PhoneNumber", ""), "ResourceId": made["ResourceId"]}

    def answer_keywords_ourselves(self, phone_number_id: str) -> bool:
        """``SelfManagedOptOutsEnabled``: End User Messaging stops answering STOP/HELP
        (and stops keeping its own opt-out list for the number); the app answers."""
        made = self._api().update_phone_number(
            PhoneNumberId=phone_number_id, SelfManagedOptOutsEnabled=True
        )
        return bool(made.get("SelfManagedOptOutsEnabled"))


class EumAccount(_Lazy):
    """The account's standing: a new End User Messaging account is in a sandbox (10
    verified destinations, a $1 monthly spend limit) until AWS Support moves it."""

    def sandbox(self) -> dict[str, Any]:
        """The account's tier, spend limits and verified destinations; a 503
        ``provider_unavailable`` when AWS cannot answer (throttled, denied, down)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self._sandbox()
        except (BotoCoreError, ClientError):
            from chalicelib.domain.errors import DomainError
            from chalicelib.observability import logger

            logger.warning("the End User Messaging account could not be read", exc_info=True)
            raise DomainError(
                "the End User Messaging account cannot be read now; try again later",
                code="provider_unavailable",
            ) from None

    def _sandbox(self) -> dict[str, Any]:
        api = self._api()
        attributes = {
            a["Name"]: a["Value"] for a in api.describe_account_attributes()["AccountAttributes"]
        }
        tier = attributes.get("ACCOUNT_TIER", "")
        limits = [
            {
                "name": s["Name"],
                "enforced": s["EnforcedLimit"],
                "max": s["MaxLimit"],
                "overridden": s["Overridden"],
            }
            for s in api.describe_spend_limits()["SpendLimits"]
        ]
        destinations = [
            {"number": d["DestinationPhoneNumber"], "status": d["Status"]}
            for d in api.describe_verified_destination_numbers()["VerifiedDestinationNumbers"]
        ]
        text = next((s for s in limits if s["name"] == "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT"), None)
        return {
            "provider": "eum",
            "tier": tier,
            "sandbox": tier == "SANDBOX",
            "spend_limit": text,
            "spend_limits": limits,
            "verified_destinations": destinations,
        }
