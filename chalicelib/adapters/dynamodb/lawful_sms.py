"""The lawful-texting writes on SMS items (``DynamoSmsRepository`` inherits them): a
business number's registration attributes, updated alone, and the confirmation owed
for an opt-out or opt-in, claimed, settled or released on the opt-out state item."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.dynamodb.keys import NUMBER_SK, STATE_SK, number_pk, opt_out_pk
from chalicelib.adapters.dynamodb.mapping import to_number
from chalicelib.adapters.dynamodb.models import NumberItem, OptOutItem, conditional_failed, get_item
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.model import BusinessNumber


class LawfulSmsItems:
    """Registration attributes of numbers; owed keyword confirmations."""

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
        """Update only the number's registration attributes (the kind and the
        registration's id when given; with ``kind_if_unset`` the kind only where none is
        set), if it is the company's: an admin's concurrent change to anything else
        stays. The number as stored after, or None (no such number of that company)."""
        item = NumberItem(number_pk(e164), NUMBER_SK)
        owned = NumberItem.pk.exists() & (NumberItem.company_id == company_id)
        actions: list[Any] = [
            NumberItem.registration_status.set(status),
            NumberItem.registration_reason.set(reason),
        ]
        if registration_id is not None:
            actions.append(NumberItem.registration_id.set(registration_id))
        attempts: list[tuple[list[Any], Any]] = [(actions, owned)]
        if kind is not None and kind_if_unset:
            unset = NumberItem.registration.does_not_exist() | (NumberItem.registration == "")
            attempts.insert(0, ([*actions, NumberItem.registration.set(kind)], owned & unset))
        elif kind is not None:
            attempts[0] = ([*actions, NumberItem.registration.set(kind)], owned)
        for attempt, condition in attempts:
            try:
                item.update(actions=attempt, condition=condition)
                return to_number(item)
            except UpdateError as exc:
                if not conditional_failed(exc):
                    raise
        return None

    def claim_reply(
        self, business: str, external: str, now: str, stale_before: str
    ) -> tuple[str, bool, str] | None:
        """Claim the owed confirmation: ``(the text that owes it, opted out now, when
        that change was made)``, or None when none is owed. Raises ``ConcurrentUpdate`` while another attempt's
        claim (made at or after ``stale_before``) stands: that attempt may be sending."""
        item = OptOutItem(opt_out_pk(business, external), STATE_SK)
        owed = OptOutItem.reply_owed.exists() & (OptOutItem.reply_owed != "")
        free = OptOutItem.reply_claimed_at.does_not_exist() | (
            OptOutItem.reply_claimed_at < stale_before
        )
        try:
            item.update(actions=[OptOutItem.reply_claimed_at.set(now)], condition=owed & free)
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            current = get_item(
                OptOutItem, opt_out_pk(business, external), STATE_SK, consistent=True
            )
            if current is not None and current.reply_owed:
                raise ConcurrentUpdate("another attempt is sending this confirmation") from None
            return None
        return str(item.reply_owed), bool(item.opted_out), str(item.changed_at or "")

    def settle_reply(self, business: str, external: str, owed: str) -> None:
        """The confirmation owed for ``owed`` went out (or never can): owed no more."""
        self._owed_update(
            business,
            external,
            owed,
            [OptOutItem.reply_owed.remove(), OptOutItem.reply_claimed_at.remove()],
        )

    def release_reply(self, business: str, external: str, owed: str) -> None:
        """The provider certainly did not take it: the next attempt may claim it."""
        self._owed_update(business, external, owed, [OptOutItem.reply_claimed_at.remove()])

    @staticmethod
    def _owed_update(business: str, external: str, owed: str, actions: list[Any]) -> None:
        try:  # a newer change (START after STOP) owes its own: that one stays
            OptOutItem(opt_out_pk(business, external), STATE_SK).update(
                actions=actions, condition=OptOutItem.reply_owed == owed
            )
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
