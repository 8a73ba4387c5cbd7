"""The contact center's repository on the messaging table (the same single table).

Keys (docs/contact-center.md, "Table design", lists every access pattern):

| item                         | pk                         | sk                    | gsi1pk                 | gsi1sk                 |
|------------------------------|----------------------------|-----------------------|------------------------|------------------------|
| queue                        | CO#{company}               | CCQUEUE#{queue}       |                        |                        |
| canned reply                 | CO#{company}               | CANNED#{reply}        |                        |                        |
| channel                      | CCCHAN#{e164}              | CHANNEL               | CO#{company}#CCCHANNELS| {e164}                 |
| agent (profile + live load)  | CCAGENT#{agent}            | PROFILE               | CO#{company}#CCAGENTS  | {agent}                |
| agent's open interaction     | CCAGENT#{agent}            | IX#{interaction}      |                        |                        |
| queue membership             | CCQ#{company}#{queue}      | AGENT#{agent}         |                        |                        |
| interaction                  | CCIX#{interaction}         | IX                    | CCWAIT#{company}#{queue} * | {enqueued:017.6f}#{id} |
| customer's open interaction  | CCOPEN#{channel}#{phone}   | OPEN                  |                        |                        |
| customer                     | CCCUST#{customer}          | CUSTOMER              |                        |                        |
| customer by phone            | CCPHONE#{company}#{phone}  | CUSTOMER              |                        |                        |
| case / history entry         | CCCUST#{customer}          | CASE#{case} / HIST#{at}#{interaction} |        |                        |
| queue figures of a day       | CCSTAT#{company}#{queue}   | DAY#{yyyy-mm-dd}      |                        |                        |

(*) only while the interaction waits: a sparse index that is the queue itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection as PynamoConnection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.contact_center import (
    ENDED,
    WAITING,
    AgentProfile,
    CannedReply,
    Case,
    Channel,
    Customer,
    DayFigures,
    Interaction,
    Queue,
)
from chalicelib.domain.errors import Conflict

M = TypeVar("M", bound=Model)

PROFILE_SK = "PROFILE"
IX_SK = "IX"


def ix_pk(interaction_id: str) -> str:
    return f"CCIX#{interaction_id}"


def agent_pk(agent_id: str) -> str:
    return f"CCAGENT#{agent_id}"


def open_pk(channel: str, phone: str) -> str:
    return f"CCOPEN#{channel}#{phone}"


def waiting_pk(company_id: str, queue_id: str) -> str:
    return f"CCWAIT#{company_id}#{queue_id}"


def members_pk(company_id: str, queue_id: str) -> str:
    return f"CCQ#{company_id}#{queue_id}"


def figures_pk(company_id: str, queue_id: str) -> str:
    return f"CCSTAT#{company_id}#{queue_id}"


def waiting_sk(interaction: Interaction) -> str:
    return f"{interaction.enqueued_at:017.6f}#{interaction.interaction_id}"


class _Gsi1(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _CCItem(Model):
    class Meta:
        table_name = "unset"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class ConfigItem(_CCItem):
    """Queues, canned replies, cases, history entries: a document under a key."""

    data = JSONAttribute()


class ChannelItem(_CCItem):
    company_id = UnicodeAttribute()
    queue_id = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi1 = _Gsi1()


class AgentItem(_CCItem):
    company_id = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    role = UnicodeAttribute(default="agent")
    skills = JSONAttribute(default=dict)
    queues: ListAttribute[str] = ListAttribute(default=list)
    max_concurrent = NumberAttribute()
    hard_cap = NumberAttribute()
    status = UnicodeAttribute(default="offline")
    load = NumberAttribute(default=0)
    total = NumberAttribute(default=0)
    last_assigned_at = NumberAttribute(default=0)
    status_changed_at = NumberAttribute(default=0)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi1 = _Gsi1()


class PointerItem(_CCItem):
    """An agent's open interaction, a queue's agent, a customer's open interaction or phone."""

    target = UnicodeAttribute(default="")


class InteractionItem(_CCItem):
    state = UnicodeAttribute()
    version = NumberAttribute()
    queue_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    data = JSONAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = _Gsi1()


class CustomerItem(_CCItem):
    company_id = UnicodeAttribute()
    phone = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    created_at = UnicodeAttribute(default="")


class FiguresItem(_CCItem):
    offered = NumberAttribute(default=0)
    answered = NumberAttribute(default=0)
    abandoned = NumberAttribute(default=0)
    timed_out = NumberAttribute(default=0)
    wait_total_s = NumberAttribute(default=0)
    within_service_level = NumberAttribute(default=0)
    handled = NumberAttribute(default=0)
    handle_total_s = NumberAttribute(default=0)


MODELS: tuple[type[_CCItem], ...] = (
    ConfigItem,
    ChannelItem,
    AgentItem,
    PointerItem,
    InteractionItem,
    CustomerItem,
    FiguresItem,
)


def bind_contact_center_models(table_name: str, region: str, host: str | None = None) -> None:
    """Point the contact center's models at the stage's messaging table."""
    for model in (_CCItem, *MODELS):  # type: Any
        model.Meta.table_name = table_name
        model.Meta.region = region
        model.Meta.host = host
        model._connection = None


def _connection() -> PynamoConnection:
    return _CCItem._get_connection().connection


def _get(model: type[M], pk: str, sk: str, consistent: bool = False) -> M | None:
    try:
        return model.get(pk, sk, consistent_read=consistent)
    except DoesNotExist:
        return None


def _fields(cls: type[Any], raw: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in raw.items() if k in names}


def _interaction(item: InteractionItem) -> Interaction:
    raw = dict(item.data)
    raw["version"] = int(item.version)
    raw["state"] = item.state
    return Interaction(**_fields(Interaction, raw))


def _agent(item: AgentItem) -> AgentProfile:
    return AgentProfile(
        agent_id=item.pk.removeprefix("CCAGENT#"),
        company_id=item.company_id,
        name=item.name,
        role=item.role,
        skills={k: int(v) for k, v in (item.skills or {}).items()},
        queues=list(item.queues or []),
        max_concurrent=int(item.max_concurrent),
        status=item.status,
        load=int(item.load),
        total=int(item.total),
        last_assigned_at=float(item.last_assigned_at or 0),
        status_changed_at=float(item.status_changed_at or 0),
    )


def _interaction_item(interaction: Interaction, version: int) -> InteractionItem:
    data = dataclasses.asdict(interaction)
    data.pop("version")
    waiting = interaction.state == WAITING
    return InteractionItem(
        ix_pk(interaction.interaction_id),
        IX_SK,
        state=interaction.state,
        version=version,
        queue_id=interaction.queue_id,
        company_id=interaction.company_id,
        data=data,
        gsi1pk=waiting_pk(interaction.company_id, interaction.queue_id) if waiting else None,
        gsi1sk=waiting_sk(interaction) if waiting else None,
    )


def _number(name: str, value: Any) -> Any:
    return float(value or 0) if name.endswith("_s") else int(value or 0)


class DynamoContactCenterRepository:
    """The contact center's items in the messaging table. No Scan: every read is a
    GetItem, a Query on a key designed for it, or a BatchGetItem."""

    # -- configuration -----------------------------------------------------------

    def put_queue(self, queue: Queue) -> None:
        ConfigItem(
            f"CO#{queue.company_id}", f"CCQUEUE#{queue.queue_id}", data=queue.to_dict()
        ).save()

    def get_queue(self, company_id: str, queue_id: str) -> Queue | None:
        item = _get(ConfigItem, f"CO#{company_id}", f"CCQUEUE#{queue_id}")
        return Queue(company_id=company_id, **_fields(Queue, item.data)) if item else None

    def list_queues(self, company_id: str) -> list[Queue]:
        items = ConfigItem.query(f"CO#{company_id}", ConfigItem.sk.startswith("CCQUEUE#"))
        return [Queue(company_id=company_id, **_fields(Queue, i.data)) for i in items]

    def put_channel(self, channel: Channel) -> None:
        ChannelItem(
            f"CCCHAN#{channel.e164}",
            "CHANNEL",
            company_id=channel.company_id,
            queue_id=channel.queue_id,
            gsi1pk=f"CO#{channel.company_id}#CCCHANNELS",
            gsi1sk=channel.e164,
        ).save()

    def get_channel(self, e164: str) -> Channel | None:
        item = _get(ChannelItem, f"CCCHAN#{e164}", "CHANNEL")
        return Channel(e164, item.company_id, item.queue_id) if item else None

    def list_channels(self, company_id: str) -> list[Channel]:
        items = ChannelItem.gsi1.query(f"CO#{company_id}#CCCHANNELS")
        return [Channel(i.gsi1sk, i.company_id, i.queue_id) for i in items]

    def put_agent(self, agent: AgentProfile) -> None:
        stored = _get(AgentItem, agent_pk(agent.agent_id), PROFILE_SK, consistent=True)
        old_queues = set(stored.queues or []) if stored else set()
        with TransactWrite(connection=_connection()) as tx:
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
                        gsi1pk=f"CO#{agent.company_id}#CCAGENTS",
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
                    ],
                    condition=AgentItem.pk.exists(),
                )
            for queue_id in set(agent.queues) - old_queues:
                tx.save(
                    PointerItem(members_pk(agent.company_id, queue_id), f"AGENT#{agent.agent_id}")
                )
            for queue_id in old_queues - set(agent.queues):
                tx.delete(
                    PointerItem(members_pk(agent.company_id, queue_id), f"AGENT#{agent.agent_id}")
                )

    def get_agent(self, agent_id: str) -> AgentProfile | None:
        item = _get(AgentItem, agent_pk(agent_id), PROFILE_SK, consistent=True)
        return _agent(item) if item else None

    def get_agents(self, agent_ids: Iterable[str]) -> dict[str, AgentProfile]:
        keys = [(agent_pk(a), PROFILE_SK) for a in dict.fromkeys(agent_ids)]
        if not keys:
            return {}
        found = (_agent(i) for i in AgentItem.batch_get(keys, consistent_read=True))
        return {a.agent_id: a for a in found}

    def agents_of_queue(self, company_id: str, queue_id: str) -> list[str]:
        items = PointerItem.query(
            members_pk(company_id, queue_id), PointerItem.sk.startswith("AGENT#")
        )
        return [i.sk.removeprefix("AGENT#") for i in items]

    def list_agents(self, company_id: str) -> list[AgentProfile]:
        return [_agent(i) for i in AgentItem.gsi1.query(f"CO#{company_id}#CCAGENTS")]

    def set_agent_status(self, agent_id: str, status: str, now: float) -> AgentProfile | None:
        item = AgentItem(agent_pk(agent_id), PROFILE_SK)
        try:
            item.update(
                actions=[AgentItem.status.set(status), AgentItem.status_changed_at.set(now)],
                condition=AgentItem.pk.exists() & (AgentItem.status != status),
            )
        except Exception as exc:  # UpdateError: no such agent, or no change
            if "ConditionalCheckFailed" not in str(exc):
                raise
        return self.get_agent(agent_id)

    # -- interactions ---------------------------------------------------------------

    def _agent_room(self) -> Any:
        return (
            (AgentItem.status == "available")
            & (AgentItem.load < AgentItem.max_concurrent)
            & (AgentItem.total < AgentItem.hard_cap)
        )

    def create_interaction(
        self, interaction: Interaction, require_room: bool = False
    ) -> tuple[Interaction, bool]:
        marker = open_pk(interaction.channel, interaction.customer_phone)
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(
                    PointerItem(marker, "OPEN", target=interaction.interaction_id),
                    condition=PointerItem.pk.does_not_exist(),
                )
                tx.save(
                    _interaction_item(interaction, interaction.version),
                    condition=InteractionItem.pk.does_not_exist(),
                )
                if interaction.agent_id:
                    condition = AgentItem.pk.exists()
                    if require_room:
                        condition = condition & self._agent_room()
                    tx.update(
                        AgentItem(agent_pk(interaction.agent_id), PROFILE_SK),
                        actions=[AgentItem.load.add(1), AgentItem.total.add(1)],
                        condition=condition,
                    )
                    tx.save(
                        PointerItem(
                            agent_pk(interaction.agent_id), f"IX#{interaction.interaction_id}"
                        )
                    )
        except TransactWriteError as exc:
            existing = self.open_interaction(interaction.channel, interaction.customer_phone)
            if existing is not None:
                return existing, False
            if interaction.agent_id:
                raise Conflict("the agent has no free slot", code="agent_at_capacity") from exc
            raise
        return interaction, True

    def get_interaction(self, interaction_id: str) -> Interaction | None:
        item = _get(InteractionItem, ix_pk(interaction_id), IX_SK, consistent=True)
        return _interaction(item) if item else None

    def open_interaction(self, channel: str, phone: str) -> Interaction | None:
        marker = _get(PointerItem, open_pk(channel, phone), "OPEN", consistent=True)
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
        version = before.version + 1
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(
                    _interaction_item(after, version),
                    condition=InteractionItem.version == before.version,
                )
                if agent_id is not None:
                    condition = AgentItem.pk.exists()
                    if require_room:
                        condition = condition & self._agent_room()
                    actions: list[Any] = [AgentItem.load.add(load), AgentItem.total.add(total)]
                    if assigned_at is not None:
                        actions.append(AgentItem.last_assigned_at.set(assigned_at))
                    tx.update(
                        AgentItem(agent_pk(agent_id), PROFILE_SK),
                        actions=actions,
                        condition=condition,
                    )
                kept = after.agent_id if after.state not in (ENDED, WAITING) else None
                if before.agent_id and before.agent_id != kept:
                    tx.delete(PointerItem(agent_pk(before.agent_id), f"IX#{before.interaction_id}"))
                if kept and kept != before.agent_id:
                    tx.save(PointerItem(agent_pk(kept), f"IX#{after.interaction_id}"))
                if after.state == ENDED:
                    tx.delete(
                        PointerItem(open_pk(after.channel, after.customer_phone), "OPEN"),
                        condition=PointerItem.target == after.interaction_id,
                    )
        except TransactWriteError:
            return False
        after.version = version
        return True

    def waiting(self, company_id: str, queue_id: str, limit: int) -> list[Interaction]:
        items = InteractionItem.gsi1.query(waiting_pk(company_id, queue_id), limit=limit)
        return [_interaction(i) for i in items]

    def agent_interactions(self, agent_id: str) -> list[Interaction]:
        pointers = PointerItem.query(agent_pk(agent_id), PointerItem.sk.startswith("IX#"))
        keys = [(ix_pk(p.sk.removeprefix("IX#")), IX_SK) for p in pointers]
        if not keys:
            return []
        found = [_interaction(i) for i in InteractionItem.batch_get(keys, consistent_read=True)]
        return sorted(found, key=lambda i: i.interaction_id)

    # -- customers and cases --------------------------------------------------------

    def customer_by_phone(self, company_id: str, phone: str) -> Customer | None:
        marker = _get(PointerItem, f"CCPHONE#{company_id}#{phone}", "CUSTOMER", consistent=True)
        return self.get_customer(company_id, marker.target) if marker else None

    def create_customer(self, customer: Customer) -> Customer:
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(
                    PointerItem(
                        f"CCPHONE#{customer.company_id}#{customer.phone}",
                        "CUSTOMER",
                        target=customer.customer_id,
                    ),
                    condition=PointerItem.pk.does_not_exist(),
                )
                tx.save(
                    CustomerItem(
                        f"CCCUST#{customer.customer_id}",
                        "CUSTOMER",
                        company_id=customer.company_id,
                        phone=customer.phone,
                        name=customer.name,
                        created_at=customer.created_at,
                    ),
                    condition=CustomerItem.pk.does_not_exist(),
                )
        except TransactWriteError:
            existing = self.customer_by_phone(customer.company_id, customer.phone)
            if existing is None:
                raise
            return existing
        return customer

    def get_customer(self, company_id: str, customer_id: str) -> Customer | None:
        item = _get(CustomerItem, f"CCCUST#{customer_id}", "CUSTOMER")
        if item is None or item.company_id != company_id:
            return None
        return Customer(customer_id, item.company_id, item.phone, item.name, item.created_at)

    def put_case(self, case: Case) -> None:
        ConfigItem(
            f"CCCUST#{case.customer_id}", f"CASE#{case.case_id}", data=dataclasses.asdict(case)
        ).save()

    def get_case(self, customer_id: str, case_id: str) -> Case | None:
        item = _get(ConfigItem, f"CCCUST#{customer_id}", f"CASE#{case_id}", consistent=True)
        return Case(**_fields(Case, item.data)) if item else None

    def cases(self, customer_id: str) -> list[Case]:
        items = ConfigItem.query(f"CCCUST#{customer_id}", ConfigItem.sk.startswith("CASE#"))
        return [Case(**_fields(Case, i.data)) for i in items]

    def add_history(self, customer_id: str, at: str, summary: dict[str, Any]) -> None:
        ConfigItem(f"CCCUST#{customer_id}", f"HIST#{at}#{summary.get('id')}", data=summary).save()

    def history(self, customer_id: str, limit: int) -> list[dict[str, Any]]:
        items = ConfigItem.query(
            f"CCCUST#{customer_id}",
            ConfigItem.sk.startswith("HIST#"),
            scan_index_forward=False,
            limit=limit,
        )
        return [dict(i.data) for i in items]

    # -- canned replies ----------------------------------------------------------------

    def put_canned(self, reply: CannedReply) -> None:
        ConfigItem(
            f"CO#{reply.company_id}", f"CANNED#{reply.reply_id}", data=dataclasses.asdict(reply)
        ).save()

    def canned(self, company_id: str) -> list[CannedReply]:
        items = ConfigItem.query(f"CO#{company_id}", ConfigItem.sk.startswith("CANNED#"))
        return [CannedReply(**_fields(CannedReply, i.data)) for i in items]

    # -- figures ------------------------------------------------------------------------

    def add_figures(self, company_id: str, queue_id: str, day: str, **increments: float) -> None:
        actions = [getattr(FiguresItem, name).add(value) for name, value in increments.items()]
        if actions:
            FiguresItem(figures_pk(company_id, queue_id), f"DAY#{day}").update(actions=actions)

    def figures(self, company_id: str, queue_id: str, days: list[str]) -> list[DayFigures]:
        keys = [(figures_pk(company_id, queue_id), f"DAY#{d}") for d in dict.fromkeys(days)]
        found = {i.sk.removeprefix("DAY#"): i for i in FiguresItem.batch_get(keys)}
        names = [f.name for f in dataclasses.fields(DayFigures)]
        result = []
        for day in days:
            item = found.get(day)
            result.append(
                DayFigures(**{n: _number(n, getattr(item, n)) for n in names})
                if item
                else DayFigures()
            )
        return result


__all__ = ["DynamoContactCenterRepository", "PutError", "bind_contact_center_models"]
