"""The contact center's repository on the messaging table (the same single table).

Every key comes from ``keys`` (the table there lists them); assignment is one
transaction conditional on the interaction's version and the agent's room.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.contact_center_batched import BatchedReads
from chalicelib.adapters.dynamodb.contact_center_config import (
    ConfigStore,
    check_queues,
    queue_refusals,
)
from chalicelib.adapters.dynamodb.contact_center_customers import CustomerStore, customer_writes
from chalicelib.adapters.dynamodb.contact_center_items import (
    AgentItem,
    ConfigItem,
    FiguresItem,
    FiguresOnceItem,
    InteractionItem,
    PointerItem,
    agent_room,
    cc_agent,
    cc_interaction,
    cc_interaction_item,
    cc_number,
    written,
    written_at,
)
from chalicelib.adapters.dynamodb.contact_center_state import QueueStateStore
from chalicelib.adapters.dynamodb.contact_center_supervision import SupervisionStore
from chalicelib.adapters.dynamodb.keys import PROFILE_SK, co_pk
from chalicelib.adapters.dynamodb.keys_contact_center import (
    AGENT_PREFIX,
    DAY_PREFIX,
    IX_PREFIX,
    IX_SK,
    OPEN_SK,
    agent_ix_sk,
    agent_pk,
    cc_queue_sk,
    company_agents_gsi,
    day_sk,
    figures_once_sk,
    figures_pk,
    ix_pk,
    open_pk,
    queue_agent_sk,
    queue_members_pk,
    waiting_check_sk,
    waiting_gsi,
)
from chalicelib.adapters.dynamodb.models import (
    conditional_failed,
    get_item,
    shared_connection,
)
from chalicelib.domain.contact_center import (
    AVAILABLE,
    AgentProfile,
    Interaction,
    check_change,
    holds_open_marker,
    listed_agent,
)
from chalicelib.domain.contact_center_records import (
    Customer,
    DayFigures,
)
from chalicelib.domain.errors import Conflict


class DynamoContactCenterRepository(
    BatchedReads, ConfigStore, CustomerStore, QueueStateStore, SupervisionStore
):
    """The contact center's items in the messaging table. No Scan: every read is a
    GetItem, a Query on a key designed for it, or a BatchGetItem."""

    # -- configuration (queues, channels: ``ConfigStore``) -----------------------------

    def put_agent(self, agent: AgentProfile) -> None:
        stored = get_item(AgentItem, agent_pk(agent.agent_id), PROFILE_SK, consistent=True)
        old_queues = set(stored.queues or []) if stored else set()
        added = set(agent.queues) - old_queues  # each must exist: checked in the write
        with queue_refusals(len(added)), TransactWrite(connection=shared_connection()) as tx:
            check_queues(tx, agent.company_id, sorted(added))
            if stored is None:
                tx.save(
                    AgentItem(
                        agent_pk(agent.agent_id),
                        PROFILE_SK,
                        company_id=agent.company_id,
                        name=agent.name,
                        role=agent.role,
                        skills=dict(agent.skills),
                        queues=list(agent.queues),
                        max_concurrent=agent.max_concurrent,
                        hard_cap=agent.hard_cap,
                        status=agent.status,
                        load=agent.load,
                        total=agent.total,
                        last_assigned_at=agent.last_assigned_at,
                        status_changed_at=agent.status_changed_at,
                        state_since=written_at(),
                        gsi1pk=company_agents_gsi(agent.company_id),
                        gsi1sk=agent.agent_id,
                    ),
                    condition=AgentItem.pk.does_not_exist(),
                )
            else:  # the profile only: status and load belong to the routers
                tx.update(
                    AgentItem(agent_pk(agent.agent_id), PROFILE_SK),
                    actions=[
                        AgentItem.name.set(agent.name),
                        AgentItem.role.set(agent.role),
                        AgentItem.skills.set(dict(agent.skills)),
                        AgentItem.queues.set(list(agent.queues)),
                        AgentItem.max_concurrent.set(agent.max_concurrent),
                        AgentItem.hard_cap.set(agent.hard_cap),
                        written(),
                    ],
                    condition=AgentItem.pk.exists(),
                )
            for queue_id in set(agent.queues) - old_queues:
                tx.save(
                    PointerItem(
                        queue_members_pk(agent.company_id, queue_id), queue_agent_sk(agent.agent_id)
                    )
                )
            for queue_id in old_queues - set(agent.queues):
                tx.delete(
                    PointerItem(
                        queue_members_pk(agent.company_id, queue_id), queue_agent_sk(agent.agent_id)
                    )
                )

    def get_agent(self, agent_id: str) -> AgentProfile | None:
        item = get_item(AgentItem, agent_pk(agent_id), PROFILE_SK, consistent=True)
        return cc_agent(item) if item else None

    def get_agents(self, agent_ids: Iterable[str]) -> dict[str, AgentProfile]:
        keys = [(agent_pk(a), PROFILE_SK) for a in dict.fromkeys(agent_ids)]
        if not keys:
            return {}
        found = (cc_agent(i) for i in AgentItem.batch_get(keys, consistent_read=True))
        return {a.agent_id: a for a in found}

    def agents_of_queue(self, company_id: str, queue_id: str) -> list[str]:
        items = PointerItem.query(
            queue_members_pk(company_id, queue_id), PointerItem.sk.startswith(AGENT_PREFIX)
        )
        return [i.sk.removeprefix(AGENT_PREFIX) for i in items]

    def list_agents(self, company_id: str) -> list[AgentProfile]:
        return [cc_agent(i) for i in AgentItem.gsi1.query(company_agents_gsi(company_id))]

    def set_agent_status(self, agent_id: str, status: str, now: float) -> AgentProfile | None:
        item = AgentItem(agent_pk(agent_id), PROFILE_SK)
        try:
            item.update(
                actions=[
                    AgentItem.status.set(status),
                    AgentItem.status_changed_at.set(now),
                    written(),
                ],
                condition=AgentItem.pk.exists() & (AgentItem.status != status),
            )
        except Exception as exc:  # UpdateError: no such agent, or no change
            if not conditional_failed(exc):
                raise
        return self.get_agent(agent_id)

    # -- interactions ---------------------------------------------------------------

    def _agent_room(self) -> Any:
        """``AgentProfile.can_take`` as the condition of the write."""
        return (AgentItem.status == AVAILABLE) & agent_room()

    def create_interaction(
        self,
        interaction: Interaction,
        require_room: bool = False,
        *,
        new_customer: Customer | None = None,
        offered_day: str | None = None,
    ) -> tuple[Interaction, bool]:
        marker = open_pk(interaction.channel, interaction.customer_phone)
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                with TransactWrite(connection=shared_connection()) as tx:
                    phone_at = self._create_writes(tx, marker, interaction, require_room)
                    if new_customer is not None:
                        customer_writes(tx, new_customer)
                    if offered_day is not None:
                        tx.update(
                            FiguresItem(
                                figures_pk(interaction.company_id, interaction.queue_id),
                                day_sk(offered_day),
                            ),
                            actions=[FiguresItem.offered.add(1)],
                        )
                return interaction, True
            except TransactWriteError as exc:
                existing = self.open_interaction(interaction.channel, interaction.customer_phone)
                if existing is not None:
                    return existing, False
                if _refused(exc, QUEUE_AT):
                    raise Conflict("the queue is gone", code="queue_not_found") from exc
                if new_customer is not None and _refused(exc, phone_at):
                    raise Conflict("the phone has a customer", code="customer_exists") from exc
                if interaction.agent_id and not _conflict(exc):
                    raise Conflict("the agent has no free slot", code="agent_at_capacity") from exc
                if not _conflict(exc) or attempt == CONFLICT_ATTEMPTS:
                    raise
            _pause(CONFLICT_PAUSE_S * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # the last attempt returned or raised

    def _create_writes(
        self, tx: TransactWrite, marker: str, interaction: Interaction, require_room: bool
    ) -> int:
        """The check that its queue exists (a check in the same call costs no request;
        PynamoDB sends checks first: ``QUEUE_AT``), the open marker, the interaction and
        (outbound) the agent's load and list. Returns how many items that is (the index
        of the next one)."""
        tx.condition_check(
            ConfigItem,
            co_pk(interaction.company_id),
            cc_queue_sk(interaction.queue_id),
            condition=ConfigItem.pk.exists(),
        )
        tx.save(
            PointerItem(marker, OPEN_SK, target=interaction.interaction_id),
            condition=PointerItem.pk.does_not_exist(),
        )
        tx.save(
            cc_interaction_item(interaction, interaction.version),
            condition=InteractionItem.pk.does_not_exist(),
        )
        if not interaction.agent_id:
            return 3
        condition = AgentItem.pk.exists()
        if require_room:
            condition = condition & self._agent_room()
        tx.update(
            AgentItem(agent_pk(interaction.agent_id), PROFILE_SK),
            actions=[AgentItem.load.add(1), AgentItem.total.add(1), written()],
            condition=condition,
        )
        tx.save(
            PointerItem(agent_pk(interaction.agent_id), agent_ix_sk(interaction.interaction_id))
        )
        return 5

    def get_interaction(self, interaction_id: str) -> Interaction | None:
        item = get_item(InteractionItem, ix_pk(interaction_id), IX_SK, consistent=True)
        return cc_interaction(item) if item else None

    def open_interaction(self, channel: str, phone: str) -> Interaction | None:
        marker = get_item(PointerItem, open_pk(channel, phone), OPEN_SK, consistent=True)
        return self.get_interaction(marker.target) if marker else None

    def transition(
        self,
        before: Interaction,
        after: Interaction,
        *,
        agent_id: str | None = None,
        load: int = 0,
        total: int = 0,
        require_room: bool = False,
        assigned_at: float | None = None,
    ) -> bool:
        check_change(before, after)
        version = before.version + 1
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(
                    cc_interaction_item(after, version),
                    condition=InteractionItem.version == before.version,
                )
                if agent_id is not None:
                    condition = AgentItem.pk.exists()
                    if require_room:
                        condition = condition & self._agent_room()
                    actions: list[Any] = [
                        AgentItem.load.add(load),
                        AgentItem.total.add(total),
                        written(),
                    ]
                    if assigned_at is not None:
                        actions.append(AgentItem.last_assigned_at.set(assigned_at))
                    tx.update(
                        AgentItem(agent_pk(agent_id), PROFILE_SK),
                        actions=actions,
                        condition=condition,
                    )
                kept = listed_agent(after)
                if before.agent_id and before.agent_id != kept:
                    tx.delete(
                        PointerItem(agent_pk(before.agent_id), agent_ix_sk(before.interaction_id))
                    )
                if kept and kept != before.agent_id:
                    tx.save(PointerItem(agent_pk(kept), agent_ix_sk(after.interaction_id)))
                if not holds_open_marker(after):
                    tx.delete(
                        PointerItem(open_pk(after.channel, after.customer_phone), OPEN_SK),
                        condition=PointerItem.target == after.interaction_id,
                    )
        except TransactWriteError:
            return False
        after.version = version
        return True

    def waiting(self, company_id: str, queue_id: str, limit: int) -> list[Interaction]:
        items = InteractionItem.gsi1.query(waiting_gsi(company_id, queue_id), limit=limit)
        return [cc_interaction(i) for i in items]

    def claim_waiting_check(self, interaction_id: str, offer_no: int) -> bool:
        marker = FiguresOnceItem(
            ix_pk(interaction_id), waiting_check_sk(offer_no), expires_at=_week_from_now()
        )
        try:
            marker.save(condition=FiguresOnceItem.pk.does_not_exist())
        except PutError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def waiting_check_armed(self, interaction_id: str, offer_no: int) -> bool:
        key = (ix_pk(interaction_id), waiting_check_sk(offer_no))
        return get_item(FiguresOnceItem, *key, consistent=True) is not None

    def agent_interactions(self, agent_id: str) -> list[Interaction]:
        pointers = PointerItem.query(agent_pk(agent_id), PointerItem.sk.startswith(IX_PREFIX))
        keys = [(ix_pk(p.sk.removeprefix(IX_PREFIX)), IX_SK) for p in pointers]
        if not keys:
            return []
        found = [cc_interaction(i) for i in InteractionItem.batch_get(keys, consistent_read=True)]
        return sorted(found, key=lambda i: i.interaction_id)

    # -- figures ------------------------------------------------------------------------

    def add_figures(self, company_id: str, queue_id: str, day: str, **increments: float) -> None:
        actions = [getattr(FiguresItem, name).add(value) for name, value in increments.items()]
        if actions:
            FiguresItem(figures_pk(company_id, queue_id), day_sk(day)).update(actions=actions)

    def add_figures_once(
        self, once_key: str, company_id: str, queue_id: str, day: str, **increments: float
    ) -> bool:
        """One transaction: the marker (only if absent) and the counters."""
        pk = figures_pk(company_id, queue_id)
        marker = FiguresOnceItem(pk, figures_once_sk(once_key), expires_at=_week_from_now())
        actions = [getattr(FiguresItem, name).add(value) for name, value in increments.items()]
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(marker, condition=FiguresOnceItem.pk.does_not_exist())
                tx.update(FiguresItem(pk, day_sk(day)), actions=actions)
        except TransactWriteError:
            if get_item(FiguresOnceItem, pk, figures_once_sk(once_key), consistent=True):
                return False  # counted before
            raise
        return True

    def figures(self, company_id: str, queue_id: str, days: list[str]) -> list[DayFigures]:
        keys = [(figures_pk(company_id, queue_id), day_sk(d)) for d in dict.fromkeys(days)]
        found = {i.sk.removeprefix(DAY_PREFIX): i for i in FiguresItem.batch_get(keys)}
        names = [f.name for f in dataclasses.fields(DayFigures)]
        result = []
        for day in days:
            item = found.get(day)
            result.append(
                DayFigures(**{n: cc_number(n, getattr(item, n)) for n in names})
                if item
                else DayFigures()
            )
        return result


def _refused(exc: TransactWriteError, index: int) -> bool:
    """Whether the transaction's item ``index`` failed its condition."""
    reasons = getattr(exc.cause, "cancellation_reasons", None) or []
    reason = reasons[index] if index < len(reasons) else None
    return reason is not None and reason.code == "ConditionalCheckFailed"


def _conflict(exc: TransactWriteError) -> bool:
    """Cancelled because another transaction was writing one of its items (a hot
    figures item): worth trying again."""
    reasons = getattr(exc.cause, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "TransactionConflict" for r in reasons)


QUEUE_AT = 0  # the create's check that its queue exists: the transaction's first item
CONFLICT_ATTEMPTS = 4  # a create another transaction cancelled is tried this often
CONFLICT_PAUSE_S = 0.05


def _pause(seconds: float) -> None:
    time.sleep(seconds)


ONCE_TTL_SECONDS = 7 * 86400  # a provider retries for hours, never for a week


def _week_from_now() -> int:
    return int(time.time()) + ONCE_TTL_SECONDS


__all__ = ["DynamoContactCenterRepository", "PutError"]
