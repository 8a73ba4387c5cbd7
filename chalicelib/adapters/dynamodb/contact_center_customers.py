"""Part of the contact center's repository: customer records, their cases and history.

A customer's items share one partition (``CCCUST#{customer}``): its cases
(``CASE#…``), the record (``CUSTOMER``) and its history (``HIST#…``), in that sort
order, so the screen pop reads the cases and the record in one Query. The record
says whether it has any history yet (``has_history``, set in the write that adds
the first entry), so a customer without any costs no history Query.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pynamodb.constants import QUERY
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.contact_center_items import (
    ConfigItem,
    CustomerItem,
    PointerItem,
    cc_fields,
)
from chalicelib.adapters.dynamodb.keys_contact_center import (
    CASE_PREFIX,
    CUSTOMER_SK,
    HIST_PREFIX,
    case_sk,
    customer_phone_pk,
    customer_pk,
    history_sk,
)
from chalicelib.adapters.dynamodb.models import _Item, get_item, shared_connection
from chalicelib.domain.contact_center_records import Case, Customer


def customer_writes(tx: TransactWrite, customer: Customer) -> None:
    """A new record in a transaction: its phone pointer (only if the phone is free)
    and the record, known to have no history yet."""
    tx.save(
        PointerItem(
            customer_phone_pk(customer.company_id, customer.phone),
            CUSTOMER_SK,
            target=customer.customer_id,
        ),
        condition=PointerItem.pk.does_not_exist(),
    )
    tx.save(
        CustomerItem(
            customer_pk(customer.customer_id),
            CUSTOMER_SK,
            company_id=customer.company_id,
            phone=customer.phone,
            name=customer.name,
            created_at=customer.created_at,
            has_history=False,
        ),
        condition=CustomerItem.pk.does_not_exist(),
    )


def _customer(item: CustomerItem) -> Customer:
    return Customer(
        item.pk.removeprefix(customer_pk("")),
        item.company_id,
        item.phone,
        item.name,
        item.created_at,
    )


class CustomerStore:
    """Part of ``DynamoContactCenterRepository``: customers, cases, history."""

    def customer_by_phone(self, company_id: str, phone: str) -> Customer | None:
        marker = get_item(
            PointerItem, customer_phone_pk(company_id, phone), CUSTOMER_SK, consistent=True
        )
        return self.get_customer(company_id, marker.target) if marker else None

    def create_customer(self, customer: Customer) -> Customer:
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                customer_writes(tx, customer)
        except TransactWriteError:
            existing = self.customer_by_phone(customer.company_id, customer.phone)
            if existing is None:
                raise
            return existing
        return customer

    def get_customer(self, company_id: str, customer_id: str) -> Customer | None:
        item = get_item(CustomerItem, customer_pk(customer_id), CUSTOMER_SK)
        if item is None or item.company_id != company_id:
            return None
        return _customer(item)

    def customer_record(
        self, company_id: str, customer_id: str, history_limit: int
    ) -> tuple[Customer, list[Case], list[dict[str, Any]]] | None:
        """The record, its cases and its latest ``history_limit`` entries: one Query of
        the cases and the record, and the history Query only when it has any."""
        cases: list[Case] = []
        item: CustomerItem | None = None
        for raw in _query_range(customer_pk(customer_id), CASE_PREFIX, CUSTOMER_SK):
            if raw["sk"]["S"] == CUSTOMER_SK:
                item = CustomerItem.from_raw_data(raw)
            else:
                cases.append(Case(**cc_fields(Case, ConfigItem.from_raw_data(raw).data)))
        if item is None or item.company_id != company_id:
            return None
        known_empty = item.has_history is False
        history = [] if known_empty else self.history(customer_id, history_limit)
        return _customer(item), sorted(cases, key=lambda c: c.case_id), history

    def put_case(self, case: Case) -> None:
        ConfigItem(
            customer_pk(case.customer_id), case_sk(case.case_id), data=dataclasses.asdict(case)
        ).save()

    def get_case(self, customer_id: str, case_id: str) -> Case | None:
        item = get_item(ConfigItem, customer_pk(customer_id), case_sk(case_id), consistent=True)
        return Case(**cc_fields(Case, item.data)) if item else None

    def cases(self, customer_id: str) -> list[Case]:
        items = ConfigItem.query(customer_pk(customer_id), ConfigItem.sk.startswith(CASE_PREFIX))
        return [Case(**cc_fields(Case, i.data)) for i in items]

    def add_history(self, customer_id: str, at: str, summary: dict[str, Any]) -> None:
        """The entry and the record's ``has_history`` in one write (a record that is
        not there gets the entry alone)."""
        entry = ConfigItem(
            customer_pk(customer_id), history_sk(at, str(summary.get("id"))), data=summary
        )
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(entry)
                tx.update(
                    CustomerItem(customer_pk(customer_id), CUSTOMER_SK),
                    actions=[CustomerItem.has_history.set(True)],
                    condition=CustomerItem.pk.exists(),
                )
        except TransactWriteError:
            if get_item(CustomerItem, customer_pk(customer_id), CUSTOMER_SK, consistent=True):
                raise
            entry.save()

    def history(self, customer_id: str, limit: int) -> list[dict[str, Any]]:
        items = ConfigItem.query(
            customer_pk(customer_id),
            ConfigItem.sk.startswith(HIST_PREFIX),
            scan_index_forward=False,
            limit=limit,
        )
        return [dict(i.data) for i in items]


def _query_range(pk: str, low: str, high: str) -> list[dict[str, Any]]:
    """The raw items of ``pk`` with ``low <= sk <= high``, every page (items of several
    types: PynamoDB queries one model at a time)."""
    found: list[dict[str, Any]] = []
    request: dict[str, Any] = {
        "TableName": _Item.Meta.table_name,
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
    }
    while True:
        response = shared_connection().dispatch(QUERY, request)
        found += response.get("Items", [])
        last = response.get("LastEvaluatedKey")
        if not last:
            return found
        request["ExclusiveStartKey"] = last
