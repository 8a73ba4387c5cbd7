"""The ports of lawful texting: what is stored (``ComplianceRepository``, DynamoDB and an
in-memory fake held to one contract suite) and the providers' registration and account
APIs (``RegistrationSource``, ``SmsAccount``), each with a real adapter and a fake."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.compliance import Consent, ConsentChange, Registration, TextingPolicy
from chalicelib.domain.model import Page


class ComplianceRepository(Protocol):
    """Texting policies, consent records, registrations and their change log."""

    def get_texting_policy(self, company_id: str, consistent: bool = False) -> TextingPolicy | None:
        """The stored policy (with the version it is at), or None."""
        ...

    def put_texting_policy(self, policy: TextingPolicy) -> bool:
        """Write it if the stored one is still at ``policy.version`` (0: none stored),
        then count the version up; False when another writer wrote it first (nothing
        written)."""
        ...

    def get_consent(self, business: str, external: str) -> Consent | None:
        """The record (with the version it is at; a consistent read), or None."""
        ...

    def put_consent(self, consent: Consent, change: ConsentChange) -> bool:
        """Write the record and append ``change`` to its history, in one write, if the
        stored record is still at ``consent.version`` (0: none stored); then count the
        version up. The history entry is keyed on ``(change.at, change.change,
        change.by)`` and written only if it is new: False when it exists already (a
        retry of the same change: nothing written). Raises ``ConcurrentUpdate`` when
        another writer changed the record first (nothing written)."""
        ...

    def consent_history(
        self, business: str, external: str, limit: int, cursor: str | None = None
    ) -> Page[dict[str, Any]]:
        """The pair's consent history, newest first, a page at a time (one Query): the
        opt-outs and opt-ins (``change`` ``opted_out`` / ``opted_in``, ``by`` the
        provider's id of the text, ``via`` the keyword or rule, ``text`` what the
        customer wrote) and the record's own changes (``CONSENT_CHANGES``, ``by`` the
        user, ``text`` what was recorded or flagged)."""
        ...

    def get_registration(self, company_id: str, registration_id: str) -> Registration | None: ...

    def registrations(self, company_id: str) -> list[Registration]: ...

    def pending_registrations(self, limit: int, cursor: str | None = None) -> Page[Registration]:
        """Registrations the provider is reviewing, across companies (a sparse index),
        a page at a time."""
        ...

    def pending_cursor_after(self, registration: Registration) -> str:
        """The cursor of ``pending_registrations`` that resumes just past this
        registration (whether or not it is still under review)."""
        ...

    def poll_cursor(self) -> str | None:
        """Where the registration poller resumes (a cursor of ``pending_registrations``),
        or None: from the first page."""
        ...

    def save_poll_cursor(self, cursor: str | None) -> None:
        """Remember where the next poller run resumes (None: from the first page)."""
        ...

    def save_registration(self, registration: Registration) -> bool:
        """Write it and a change entry if the stored one is still at
        ``registration.version`` (0: new), then count the version up; False when another
        writer wrote it first (nothing written)."""
        ...

    def registration_history(self, company_id: str, registration_id: str) -> list[dict[str, Any]]:
        """Every recorded change, oldest first: ``{status, provider_status, reason, at}``."""
        ...


class RegistrationSource(Protocol):
    """What a provider says about a registration now: ``(provider status, reason)``."""

    def registration_status(self, registration: Registration) -> tuple[str, str]: ...


class SmsAccount(Protocol):
    """The End User Messaging account's standing: sandbox tier, spend limit, verified
    destinations (a sandboxed account texts only those)."""

    def sandbox(self) -> dict[str, Any]: ...
