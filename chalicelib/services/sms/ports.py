"""The SMS ports: business numbers, opt-outs and statuses, and the carriers.

Each has a DynamoDB or provider adapter in ``chalicelib.adapters`` and an in-memory
fake in ``tests/fakes``; both pass the same contract tests (``tests/adapters``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from chalicelib.domain.model import BusinessNumber, Policy, User
from chalicelib.domain.sms import ProviderSend


class SmsRepository(Protocol):
    """Business numbers, opt-outs (with an audit trail), provider message ids, SMS statuses."""

    def get_number(self, e164: str) -> BusinessNumber | None: ...

    def put_number(self, number: BusinessNumber) -> None: ...

    def set_number_registration(
        self,
        e164: str,
        company_id: str,
        status: str,
        reason: str,
        registration_id: str | None = None,
        kind: str | None = None,
        kind_if_unset: bool = False,
    ) -> BusinessNumber | None:
        """Update only the number's registration attributes, if it is the company's
        (never a whole-item write: concurrent changes to the rest stay); the number as
        stored after, or None."""
        ...

    def numbers_of(self, user: User) -> list[BusinessNumber]: ...

    def numbers_of_company(self, company_id: str) -> list[BusinessNumber]: ...

    def conversations_of_number(self, e164: str) -> list[str]:
        """Ids of the SMS conversations of one business number (an index, not a scan)."""
        ...

    def put_policy(self, policy: Policy) -> None: ...

    def get_policy(self, company_id: str, policy_id: str) -> Policy | None: ...

    def policies(self, company_id: str) -> list[Policy]: ...

    def opted_out(self, business: str, external: str) -> bool: ...

    def set_opt_out(
        self,
        business: str,
        external: str,
        opted_out: bool,
        keyword: str,
        source: str,
        at: str,
        text: str = "",
        reply_owed: bool = False,
    ) -> bool:
        """Record the change and its audit entry (with ``text``, what the customer
        wrote, as evidence); with ``reply_owed``, in the same write, that its
        confirmation is owed (``source`` names it). False if it was already so."""
        ...

    def claim_reply(
        self, business: str, external: str, now: str, stale_before: str
    ) -> tuple[str, bool, str] | None:
        """Claim the owed confirmation: ``(source of the change that owes it, opted out
        now, when the change was made)``, or None when none is owed; raises ``ConcurrentUpdate`` while another
        attempt's claim, made at or after ``stale_before``, stands."""
        ...

    def settle_reply(self, business: str, external: str, owed: str) -> None:
        """The confirmation owed for ``owed`` was accepted (or never can be)."""
        ...

    def release_reply(self, business: str, external: str, owed: str) -> None:
        """The provider certainly did not take it: claimable again."""
        ...

    def opt_out_history(self, business: str, external: str) -> list[dict[str, Any]]: ...

    def map_provider_message(
        self, provider: str, provider_id: str, conversation_id: str, seq: int
    ) -> None: ...

    def find_provider_message(self, provider: str, provider_id: str) -> tuple[str, int] | None: ...

    def take_rate(self, key: str, window: int, limit: int) -> bool:
        """Count one request in the window; False once ``limit`` is reached."""
        ...

    def add_usage(
        self, company_id: str, user_id: str | None, day: str, direction: str, segments: int
    ) -> None: ...

    def usage(self, company_id: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
        """Per day: the company's row and one per user, outbound and inbound."""
        ...

    def claim_send(self, conversation_id: str, seq: int) -> bool:
        """queued → sending, once; False if another attempt has it, or it was deleted."""
        ...

    def release_send(self, conversation_id: str, seq: int) -> None:
        """sending → queued again, when the provider certainly did not take it."""
        ...

    def set_provider_id(self, conversation_id: str, seq: int, provider_message_id: str) -> None: ...

    def take_pace(
        self, e164: str, cost_seconds: float, now: float, max_wait: float, key: str | None = None
    ) -> float:
        """Reserve the number's next send slot; returns how long to wait for it (a wait
        over ``max_wait`` reserves nothing). With ``key`` (a text's id) the slot is
        booked however far off and remembered: asking again returns the same slot."""
        ...

    def stale_pending(self, before: str, limit: int) -> list[tuple[str, int]]:
        """Outbound texts created before ``before`` still without a final status."""
        ...

    def advance_status(
        self,
        conversation_id: str,
        seq: int,
        status: str,
        provider_message_id: str | None = None,
        error_code: str | None = None,
    ) -> bool:
        """Move a message's status forward only; False if it was already as far."""
        ...


class SmsProvider(Protocol):
    """One carrier bridge (Twilio, AWS End User Messaging): sends; raises
    ProviderRetryable or ProviderRejected (chalicelib.domain.sms)."""

    def send(
        self,
        from_: str,
        to: str,
        body: str,
        idempotency_key: str,
        media_urls: Sequence[str] = (),
    ) -> ProviderSend: ...
