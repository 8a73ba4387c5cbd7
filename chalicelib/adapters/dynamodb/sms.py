"""Business numbers, policies, opt-outs, provider ids, rates, usage, pacing, statuses."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.keys import (
    AUDIT_PREFIX,
    NUMBER_SK,
    PACE_SK,
    PENDING_SHARDS,
    PMSG_SK,
    POLICY_PREFIX,
    STATE_SK,
    co_pk,
    company_numbers_gsi,
    conv_pk,
    msg_sk,
    number_convs_gsi,
    number_pk,
    opt_out_audit_sk,
    opt_out_pk,
    pace_pk,
    pace_slot_sk,
    pending_shard,
    policy_sk,
    provider_message_pk,
    rate_pk,
    usage_end,
    usage_pk,
    usage_sk,
    window_sk,
)
from chalicelib.adapters.dynamodb.lawful_sms import LawfulSmsItems
from chalicelib.adapters.dynamodb.mapping import (
    to_number,
)
from chalicelib.adapters.dynamodb.models import (
    ConversationItem,
    CounterItem,
    MessageItem,
    NumberItem,
    OptOutItem,
    PaceItem,
    PolicyItem,
    ProviderMessageItem,
    conditional_failed,
    get_item,
    shared_connection,
)
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.model import (
    BusinessNumber,
    Policy,
    User,
)
from chalicelib.domain.sms import QUEUED, SENDING, is_final, status_advances, status_rank


class DynamoSmsRepository(LawfulSmsItems):
    """Business numbers, opt-outs (with their audit trail) and provider message ids."""

    def get_number(self, e164: str) -> BusinessNumber | None:
        item = get_item(NumberItem, number_pk(e164), NUMBER_SK)
        return to_number(item) if item else None

    def put_number(self, number: BusinessNumber) -> None:
        NumberItem(
            number_pk(number.e164),
            NUMBER_SK,
            e164=number.e164,
            company_id=number.company_id,
            type=number.type,
            country=number.country,
            capabilities=list(number.capabilities),
            provider=number.provider,
            state=number.state,
            users=list(number.users),
            registration=number.registration,
            registration_status=number.registration_status,
            registration_id=number.registration_id,
            registration_reason=number.registration_reason,
            gsi1pk=company_numbers_gsi(number.company_id),
            gsi1sk=number.e164,
        ).save()

    def numbers_of_company(self, company_id: str) -> list[BusinessNumber]:
        return [to_number(i) for i in NumberItem.gsi1.query(company_numbers_gsi(company_id))]

    def conversations_of_number(self, e164: str) -> list[str]:
        return [i.conversation_id for i in ConversationItem.gsi1.query(number_convs_gsi(e164))]

    def put_policy(self, policy: Policy) -> None:
        PolicyItem(
            co_pk(policy.company_id),
            policy_sk(policy.policy_id),
            policy_id=policy.policy_id,
            name=policy.name,
            sms_enabled=policy.sms_enabled,
        ).save()

    def get_policy(self, company_id: str, policy_id: str) -> Policy | None:
        item = get_item(PolicyItem, co_pk(company_id), policy_sk(policy_id))
        return (
            Policy(
                policy_id=item.policy_id,
                company_id=company_id,
                name=item.name,
                sms_enabled=item.sms_enabled is not False,
            )
            if item
            else None
        )

    def policies(self, company_id: str) -> list[Policy]:
        return [
            Policy(
                policy_id=i.policy_id,
                company_id=company_id,
                name=i.name,
                sms_enabled=i.sms_enabled is not False,
            )
            for i in PolicyItem.query(co_pk(company_id), PolicyItem.sk.startswith(POLICY_PREFIX))
        ]

    def numbers_of(self, user: User) -> list[BusinessNumber]:
        keys = [(number_pk(e164), NUMBER_SK) for e164 in dict.fromkeys(user.numbers)]
        return [to_number(i) for i in NumberItem.batch_get(keys)] if keys else []

    def opted_out(self, business: str, external: str) -> bool:
        item = get_item(OptOutItem, opt_out_pk(business, external), STATE_SK, consistent=True)
        return bool(item and item.opted_out)

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
        """Record the change and its audit entry (and, with ``reply_owed``, that its
        confirmation is owed, in the same write); False if it was already so."""
        pk = opt_out_pk(business, external)
        state = OptOutItem(
            pk,
            STATE_SK,
            opted_out=opted_out,
            keyword=keyword,
            changed_at=at,
            source=source,
            reply_owed=source if reply_owed else "",
        )
        audit = OptOutItem(
            pk,
            opt_out_audit_sk(at, source),
            opted_out=opted_out,
            keyword=keyword,
            changed_at=at,
            source=source,
            text=text,
        )
        changed = (
            OptOutItem.opted_out.does_not_exist() | (OptOutItem.opted_out == (not opted_out))
            if opted_out
            else OptOutItem.opted_out == True  # noqa: E712
        )
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(state, condition=changed)
                tx.save(audit)
        except TransactWriteError:
            return False
        return True

    def opt_out_history(self, business: str, external: str) -> list[dict[str, Any]]:
        return [
            {
                "opted_out": bool(i.opted_out),
                "keyword": i.keyword,
                "at": i.changed_at,
                "source": i.source,
                "text": i.text or "",
            }
            for i in OptOutItem.query(
                opt_out_pk(business, external),
                OptOutItem.sk.startswith(AUDIT_PREFIX),
                filter_condition=OptOutItem.change.does_not_exist(),  # consent records' own
            )
        ]

    def map_provider_message(
        self, provider: str, provider_id: str, conversation_id: str, seq: int
    ) -> None:
        ProviderMessageItem(
            provider_message_pk(provider, provider_id),
            PMSG_SK,
            conversation_id=conversation_id,
            seq=seq,
        ).save()

    def find_provider_message(self, provider: str, provider_id: str) -> tuple[str, int] | None:
        item = get_item(
            ProviderMessageItem,
            provider_message_pk(provider, provider_id),
            PMSG_SK,
            consistent=True,
        )
        return (item.conversation_id, int(item.seq)) if item else None

    def take_rate(self, key: str, window: int, limit: int) -> bool:
        """Count one request in ``key``'s window; False once ``limit`` is reached."""
        item = CounterItem(rate_pk(key), window_sk(window))
        try:
            item.update(
                actions=[CounterItem.hits.add(1), CounterItem.expires_at.set(window + 3600)],
                condition=CounterItem.hits.does_not_exist() | (CounterItem.hits < limit),
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def add_usage(
        self, company_id: str, user_id: str | None, day: str, direction: str, segments: int
    ) -> None:
        messages, segs = (
            (CounterItem.messages_out, CounterItem.segments_out)
            if direction == "outbound"
            else (CounterItem.messages_in, CounterItem.segments_in)
        )
        scopes = [usage_sk(day, None)] + ([usage_sk(day, user_id)] if user_id else [])
        for sk in scopes:
            CounterItem(usage_pk(company_id), sk).update(
                actions=[messages.add(1), segs.add(segments)]
            )

    def usage(self, company_id: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
        rows = []
        for item in CounterItem.query(
            usage_pk(company_id), CounterItem.sk.between(first_day, usage_end(last_day))
        ):
            day, _, scope = item.sk.partition("#")
            rows.append(
                {
                    "day": day,
                    "scope": "company" if scope == "company" else scope.removeprefix("user#"),
                    "outbound": {
                        "messages": int(item.messages_out),
                        "segments": int(item.segments_out),
                    },
                    "inbound": {
                        "messages": int(item.messages_in),
                        "segments": int(item.segments_in),
                    },
                }
            )
        return rows

    def claim_send(self, conversation_id: str, seq: int) -> bool:
        """queued → sending, once: only the claimer may call the provider."""
        try:
            MessageItem(conv_pk(conversation_id), msg_sk(seq)).update(
                actions=[
                    MessageItem.status.set(SENDING),
                    MessageItem.status_rank.set(status_rank(SENDING)),
                ],
                condition=(MessageItem.status == QUEUED) & (MessageItem.deleted == False),  # noqa: E712
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def release_send(self, conversation_id: str, seq: int) -> None:
        """sending → queued, when the provider certainly did not take the text."""
        try:
            MessageItem(conv_pk(conversation_id), msg_sk(seq)).update(
                actions=[
                    MessageItem.status.set(QUEUED),
                    MessageItem.status_rank.set(status_rank(QUEUED)),
                ],
                condition=(MessageItem.status == SENDING) & (MessageItem.provider_message_id == ""),
            )
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise

    def set_provider_id(self, conversation_id: str, seq: int, provider_message_id: str) -> None:
        MessageItem(conv_pk(conversation_id), msg_sk(seq)).update(
            actions=[MessageItem.provider_message_id.set(provider_message_id)],
            condition=MessageItem.pk.exists(),
        )

    def take_pace(
        self, e164: str, cost_seconds: float, now: float, max_wait: float, key: str | None = None
    ) -> float:
        """Reserve the number's next send slot; returns how long to wait for it (a wait
        over ``max_wait`` reserves nothing). With ``key`` the slot is booked however far
        off and remembered (``SLOT#{key}``, kept a day): asking again returns it."""
        if key is not None:
            booked = get_item(PaceItem, pace_pk(e164), pace_slot_sk(key), consistent=True)
            if booked is not None:
                return float(booked.next_at) - now
        for _ in range(10):
            item = get_item(PaceItem, pace_pk(e164), PACE_SK, consistent=True)
            previous = float(item.next_at) if item else None
            slot = max(now, previous or 0.0)
            if slot - now > max_wait and key is None:
                return slot - now
            condition = (
                PaceItem.pk.does_not_exist() if previous is None else PaceItem.next_at == previous
            )
            try:
                PaceItem(pace_pk(e164), PACE_SK, next_at=slot + cost_seconds).save(
                    condition=condition
                )
            except PutError as exc:
                if conditional_failed(exc):
                    continue  # another sender took the slot: look again
                raise
            if key is not None:
                PaceItem(
                    pace_pk(e164), pace_slot_sk(key), next_at=slot, expires_at=int(slot) + 86400
                ).save()
            return slot - now
        raise ConcurrentUpdate("the number is busy; try again")

    def stale_pending(self, before: str, limit: int) -> list[tuple[str, int]]:
        """At most ``limit`` outbound texts created before ``before`` still without a
        final status (the shards are read in turn until the limit is reached)."""
        found: list[tuple[str, int]] = []
        for shard in range(PENDING_SHARDS):
            if len(found) >= limit:
                break
            for item in MessageItem.gsi1.query(
                pending_shard(shard), MessageItem.gsi1sk < before, limit=limit - len(found)
            ):
                found.append((item.conversation_id, int(item.seq)))
        return found

    def advance_status(
        self,
        conversation_id: str,
        seq: int,
        status: str,
        provider_message_id: str | None = None,
        error_code: str | None = None,
    ) -> bool:
        """Move a message's status forward only (late, repeated, out-of-order callbacks)."""
        if not status_advances(None, status):
            return False  # not a status of the pipeline: it never replaces one
        rank = status_rank(status)
        actions: list[Any] = [MessageItem.status.set(status), MessageItem.status_rank.set(rank)]
        if is_final(status):
            actions.append(MessageItem.gsi1pk.remove())  # final: off the reconciler's index
        if provider_message_id:
            actions.append(MessageItem.provider_message_id.set(provider_message_id))
        if error_code:
            actions.append(MessageItem.error_code.set(error_code))
        try:
            MessageItem(conv_pk(conversation_id), msg_sk(seq)).update(
                actions=actions,
                condition=MessageItem.pk.exists() & (MessageItem.status_rank < rank),
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True
