"""Registrations as data: a company's 10DLC brand and campaigns and its toll-free
verifications, the numbers they cover, the poller that follows the providers'
reviews, and what carriers say when they block a number for want of one."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

from chalicelib.domain import compliance
from chalicelib.domain.compliance import APPROVED, NEEDS_UPDATES, PENDING, Registration
from chalicelib.domain.errors import ConcurrentUpdate, Forbidden, ValidationError
from chalicelib.domain.model import Event
from chalicelib.observability import count, logger
from chalicelib.services.common import Caller, Clock
from chalicelib.services.compliance.ports import (
    ComplianceRepository,
    RegistrationSource,
    SmsAccount,
)
from chalicelib.services.ports import DirectoryRepository
from chalicelib.services.sms.ports import SmsRepository

POLL_BATCH = 100
POLL_MARGIN = 15.0  # seconds of the Lambda's time left when the poller stops


class Registrations:
    """Stores registrations, copies each one's status onto the numbers it covers (a send
    reads one item), polls the providers, and counts a registration that needs updates (an alarm)."""

    def __init__(
        self,
        repo: ComplianceRepository,
        sms: SmsRepository,
        source: RegistrationSource,
        clock: Clock,
        directory: DirectoryRepository | None = None,
        account: SmsAccount | None = None,
    ) -> None:
        self._directory = directory
        self._account = account
        self._repo = repo
        self._sms = sms
        self._source = source
        self._clock = clock

    def list(self, caller: Caller) -> list[dict[str, Any]]:
        if not caller.is_admin:
            raise Forbidden("this needs a company admin", code="admin_only")
        return [
            {
                **r.to_dict(),
                "history": self._repo.registration_history(caller.company_id, r.registration_id),
            }
            for r in self._repo.registrations(caller.company_id)
        ]

    def sms_account(self, caller: Caller, default_provider: str) -> dict[str, Any]:
        """The End User Messaging sandbox, for a company that texts through it (one of
        its numbers does, or the stage's default provider is End User Messaging);
        ``in_use`` false, and no AWS call, for one that does not."""
        if not caller.is_admin:
            raise Forbidden("this needs a company admin", code="admin_only")
        numbers = self._sms.numbers_of_company(caller.company_id)
        in_use = default_provider == "eum" or any(n.provider == "eum" for n in numbers)
        if not in_use or self._account is None:
            return {
                "provider": "eum",
                "in_use": False,
                "tier": "",
                "sandbox": False,
                "spend_limit": None,
                "spend_limits": [],
                "verified_destinations": [],
            }
        return {**self._account.sandbox(), "in_use": True}

    def record(self, registration: Registration) -> Registration:
        """Store a registration as the operator's CLI made or imported it (a status seen
        again is no change); its numbers follow its status."""
        registration.updated_at = registration.updated_at or self._clock()
        stored = self._repo.get_registration(registration.company_id, registration.registration_id)
        if stored is not None and _same(stored, registration):
            registration = stored
        else:
            registration.version = stored.version if stored else 0
            if not self._repo.save_registration(registration):
                raise compliance_conflict(registration)
        self._apply(registration)
        return registration

    def poll(
        self,
        page_size: int = POLL_BATCH,
        time_left: Callable[[], float] | None = None,
        margin: float = POLL_MARGIN,
    ) -> dict[str, int]:
        """Ask the provider about registrations under review, a page of the index at a
        time; record each change.

        A run resumes where the last one stopped (the index cursor, kept in a state
        item) and goes on to the end of the index, unless ``time_left()`` (seconds:
        the Lambda's remaining time) is down to ``margin``: then it stops before the
        next registration and leaves the cursor just past the last one it polled (its
        key: whether or not it left the index), so however many registrations are
        pending, every one is polled eventually."""
        seen = changed = 0
        start = cursor = self._repo.poll_cursor()
        while True:
            try:
                page = self._repo.pending_registrations(page_size, cursor)
            except ValidationError:
                if cursor is None or cursor != start:
                    raise
                logger.warning("the registration poller's cursor is unreadable; starting over")
                start = cursor = None
                self._repo.save_poll_cursor(None)
                continue
            for registration in page.items:
                if time_left is not None and time_left() <= margin:
                    if cursor != start:
                        self._repo.save_poll_cursor(cursor)
                    logger.info("registration poller out of time; it resumes on its next run")
                    return {"pending": seen, "changed": changed}
                seen += 1
                changed += self._poll_one(registration)
                cursor = self._repo.pending_cursor_after(registration)
            if not page.next_cursor:
                if start is not None:
                    self._repo.save_poll_cursor(None)  # all polled: the next run starts over
                return {"pending": seen, "changed": changed}

    def _poll_one(self, registration: Registration) -> int:
        """1 when the provider's answer changed the registration and this poller wrote it."""
        try:
            provider_status, reason = self._source.registration_status(registration)
        except Exception:  # one provider's trouble must not stop the others
            logger.warning(
                "registration status unavailable",
                extra={"registration_id": registration.registration_id},
                exc_info=True,
            )
            return 0
        if provider_status == registration.provider_status:
            return 0
        registration.provider_status = provider_status
        registration.status = (
            compliance.eum_status(provider_status)
            if registration.provider == "eum"
            else compliance.twilio_status(provider_status)
        )
        registration.reason = reason
        registration.updated_at = self._clock()
        if not self._repo.save_registration(registration):
            return 0  # another poller, or an admin, wrote it first: the next run sees theirs
        self._apply(registration)
        self._tell_admins(registration)
        return 1

    def carrier_refused(self, e164: str, provider_code: str) -> None:
        """Carriers blocked a text for want of registration (30032/30034/30035): the
        number is marked (no more texts go out until the registration is approved) and
        counted (``RegistrationRefusals``, which alarms). Only the number's registration
        attributes are written."""
        count("RegistrationRefusals", code=provider_code)
        number = self._sms.get_number(e164)
        if number is None:
            return
        marked = self._sms.set_number_registration(
            e164,
            number.company_id,
            status=PENDING if provider_code == "30035" else NEEDS_UPDATES,
            reason=f"carrier error {provider_code}: "
            + compliance.UNREGISTERED_ERRORS.get(provider_code, ""),
            kind="toll_free" if provider_code == "30032" else "10dlc",
            kind_if_unset=True,
        )
        if marked is not None:
            self._recheck(marked.company_id, marked.registration_id)
        logger.warning(
            "carriers refused a text for want of registration",
            extra={"provider_code": provider_code},
        )

    def _recheck(self, company_id: str, registration_id: str) -> None:
        """The carriers disagree with an approved registration: the poller asks the
        provider again (its answer, even unchanged, is applied to every number it
        covers, so one transient carrier error does not block a number for good)."""
        if not registration_id:
            return
        registration = self._repo.get_registration(company_id, registration_id)
        if registration is None or registration.status != APPROVED:
            return
        registration.status, registration.provider_status = PENDING, ""
        registration.reason = "carriers refused a text: asking the provider again"
        registration.updated_at = self._clock()
        self._repo.save_registration(registration)  # written meanwhile: that write stands

    def events_for_change(
        self, previous: str | None, registration: Registration
    ) -> builtins.list[Event]:
        """What admins are told of a registration's change (the outbox calls this)."""
        if registration.status != NEEDS_UPDATES or self._directory is None:
            return []
        return needs_updates_event(previous, registration, self._admins(registration.company_id))

    def _admins(self, company_id: str) -> builtins.list[str]:
        assert self._directory is not None
        admins: builtins.list[str] = []
        cursor: str | None = None
        while True:  # a Query per page of the company's people
            page = self._directory.list_users(company_id, 100, cursor)
            admins += [u.user_id for u in page.items if u.is_admin and u.enabled]
            if not page.next_cursor:
                return admins

    def _apply(self, registration: Registration) -> None:
        """Copy its status onto the numbers it covers: only their registration
        attributes are written (an admin's change to a number's users or state stays)."""
        if registration.type == "brand":
            return  # a brand covers no number by itself: its campaigns do
        for e164 in registration.numbers:
            self._sms.set_number_registration(  # another company's number: None, untouched
                e164,
                registration.company_id,
                status=registration.status,
                reason=registration.reason,
                registration_id=registration.registration_id,
                kind=registration.kind,
            )

    def _tell_admins(self, registration: Registration) -> None:
        """A registration that needs updates is counted (``RegistrationNeedsUpdates``,
        which alarms) and logged; the admin page shows it with the provider's reasons.
        (Events reach devices only through the table's stream outbox, never from here.)"""
        if registration.status == NEEDS_UPDATES:
            count("RegistrationNeedsUpdates", provider=registration.provider)
            logger.warning(
                "a registration needs updates",
                extra={"registration_id": registration.registration_id},
            )


def needs_updates_event(
    previous: str | None, registration: Registration, admins: list[str]
) -> list[Event]:
    """``registration.needs_updates`` to the company's admins, once per change into that
    status (the outbox derives it from the registration's own write)."""
    if registration.status != NEEDS_UPDATES or previous == NEEDS_UPDATES or not admins:
        return []
    return [
        Event(
            event_id=(
                f"registration.needs_updates:{registration.company_id}:"
                f"{registration.registration_id}:{registration.updated_at}"
            ),
            type="registration.needs_updates",
            company_id=registration.company_id,
            recipients=admins,
            data=registration.to_dict(),
        )
    ]


def _same(stored: Registration, seen: Registration) -> bool:
    """Nothing to record: the same status, in the provider's words, on the same numbers."""
    return (stored.status, stored.provider_status, sorted(stored.numbers)) == (
        seen.status,
        seen.provider_status,
        sorted(seen.numbers),
    )


def compliance_conflict(registration: Registration) -> Exception:
    return ConcurrentUpdate(
        f"registration {registration.registration_id} changed meanwhile; read it again"
    )
