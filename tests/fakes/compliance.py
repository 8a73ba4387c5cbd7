"""In-memory ComplianceRepository, registration source and SMS account."""

from __future__ import annotations

import copy
from typing import Any

from chalicelib.adapters.cursors import encode_cursor
from chalicelib.domain.compliance import (
    OPEN_STATUSES,
    Consent,
    ConsentChange,
    Registration,
    TextingPolicy,
)
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.model import Page
from tests.fakes.paging import _paginate
from tests.fakes.sms import MemorySmsRepository


class MemoryComplianceRepository:
    """``sms``: the SMS fake whose opt-out audit shares the consent history (on the
    table both are entries of one partition)."""

    def __init__(self, sms: MemorySmsRepository | None = None) -> None:
        self._sms = sms
        self.consent_log: dict[tuple[str, str], list[ConsentChange]] = {}
        self.policies: dict[str, TextingPolicy] = {}
        self.consents: dict[tuple[str, str], Consent] = {}
        self.registration_store: dict[tuple[str, str], Registration] = {}
        self.log: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.cursor: str | None = None

    def get_texting_policy(self, company_id: str, consistent: bool = False) -> TextingPolicy | None:
        return copy.deepcopy(self.policies.get(company_id))

    def put_texting_policy(self, policy: TextingPolicy) -> bool:
        stored = self.policies.get(policy.company_id)
        if (stored.version if stored else 0) != policy.version:
            return False
        policy.version += 1
        self.policies[policy.company_id] = copy.deepcopy(policy)
        return True

    def get_consent(self, business: str, external: str) -> Consent | None:
        return copy.deepcopy(self.consents.get((business, external)))

    def put_consent(self, consent: Consent, change: ConsentChange) -> bool:
        key = (consent.business, consent.external)
        log = self.consent_log.setdefault(key, [])
        if any((c.at, c.change, c.by) == (change.at, change.change, change.by) for c in log):
            return False
        stored = self.consents.get(key)
        if (stored.version if stored else 0) != consent.version:
            raise ConcurrentUpdate("the consent record changed meanwhile")
        consent.version += 1
        self.consents[key] = copy.deepcopy(consent)
        log.append(change)
        return True

    def consent_history(
        self, business: str, external: str, limit: int, cursor: str | None = None
    ) -> Page[dict[str, Any]]:
        entries: list[tuple[str, dict[str, Any]]] = []
        for c in self.consent_log.get((business, external), []):
            entry = {"change": c.change, "at": c.at, "by": c.by, "via": "", "text": c.text}
            entries.append((f"{c.at}#consent:{c.change}:{c.by}", entry))
        opt_outs = self._sms.audit.get((business, external), []) if self._sms else []
        for o in opt_outs:
            entry = {
                "change": "opted_out" if o["opted_out"] else "opted_in",
                "at": o["at"],
                "by": o["source"],
                "via": o["keyword"],
                "text": o["text"],
            }
            entries.append((f"{o['at']}#{o['source']}", entry))
        entries.sort(key=lambda e: e[0], reverse=True)
        page, next_cursor = _paginate(entries, limit, cursor, "consent:history", descending=True)
        return Page([dict(e) for _, e in page], next_cursor)

    def get_registration(self, company_id: str, registration_id: str) -> Registration | None:
        return copy.deepcopy(self.registration_store.get((company_id, registration_id)))

    def registrations(self, company_id: str) -> list[Registration]:
        return [
            copy.deepcopy(r)
            for (cid, _), r in sorted(self.registration_store.items())
            if cid == company_id
        ]

    def pending_registrations(self, limit: int, cursor: str | None = None) -> Page[Registration]:
        found = [
            (f"{cid}#{rid}", r)
            for (cid, rid), r in sorted(self.registration_store.items())
            if r.status in OPEN_STATUSES
        ]
        page, next_cursor = _paginate(found, limit, cursor, "registrations:pending")
        return Page([copy.deepcopy(r) for _, r in page], next_cursor)

    def pending_cursor_after(self, registration: Registration) -> str:
        key = f"{registration.company_id}#{registration.registration_id}"
        return encode_cursor({"k": key}, "registrations:pending")

    def poll_cursor(self) -> str | None:
        return self.cursor

    def save_poll_cursor(self, cursor: str | None) -> None:
        self.cursor = cursor

    def save_registration(self, registration: Registration) -> bool:
        key = (registration.company_id, registration.registration_id)
        stored = self.registration_store.get(key)
        if (stored.version if stored else 0) != registration.version:
            return False
        registration.version += 1
        self.registration_store[key] = copy.deepcopy(registration)
        self.log.setdefault(key, []).append(
            {
                "status": registration.status,
                "provider_status": registration.provider_status,
                "reason": registration.reason,
                "at": registration.updated_at,
            }
        )
        return True

    def registration_history(self, company_id: str, registration_id: str) -> list[dict[str, Any]]:
        entries = self.log.get((company_id, registration_id), [])
        return [dict(e) for e in sorted(entries, key=lambda e: (e["at"], e["status"]))]


class FakeRegistrationSource:
    """The provider's word on each registration, by provider id, as a test sets it."""

    def __init__(self) -> None:
        self.statuses: dict[str, tuple[str, str]] = {}
        self.asked: list[str] = []

    def registration_status(self, registration: Registration) -> tuple[str, str]:
        self.asked.append(registration.provider_id)
        return self.statuses.get(registration.provider_id, (registration.provider_status, ""))


class FakeSmsAccount:
    def __init__(self, standing: dict[str, Any] | None = None) -> None:
        self.standing = standing or {
            "provider": "eum",
            "tier": "SANDBOX",
            "sandbox": True,
            "spend_limit": {"name": "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT", "max": 1, "enforced": 1},
            "verified_destinations": [],
        }

    def sandbox(self) -> dict[str, Any]:
        return copy.deepcopy(self.standing)
