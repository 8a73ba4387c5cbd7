"""Lawful texting's items: the company's texting policy, consent records, and
registrations with their change log (``ComplianceRepository``)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.cursors import decode_cursor, encode_cursor
from chalicelib.adapters.dynamodb.keys import (
    AUDIT_PREFIX,
    CONSENT_SK,
    REG_PENDING,
    REG_POLL_PK,
    REG_PREFIX,
    STATE_SK,
    TEXTING_SK,
    co_pk,
    opt_out_audit_sk,
    opt_out_pk,
    registration_log_prefix,
    registration_log_sk,
    registration_sk,
    registration_sort,
)
from chalicelib.adapters.dynamodb.models import (
    GSI1_KEYS,
    TABLE_KEYS,
    Gsi1,
    OptOutItem,
    _Item,
    conditional_failed,
    get_item,
    page_of,
    register,
    shared_connection,
)
from chalicelib.domain.compliance import (
    OPEN_STATUSES,
    Consent,
    ConsentChange,
    Registration,
    TextingPolicy,
)
from chalicelib.domain.errors import ConcurrentUpdate
from chalicelib.domain.model import Page


class DocumentItem(_Item):
    """A texting policy, consent record or registration change: a document under a key
    (a policy and a consent record carry the ``version`` each write counts up)."""

    data = JSONAttribute()
    version = NumberAttribute(null=True)  # absent on items written before versions: 0


def _versioned(read: int) -> Any:
    """The condition of a write of a document read at version ``read`` (0: none stored,
    or one written before versions were kept)."""
    if read == 0:
        return DocumentItem.pk.does_not_exist() | DocumentItem.version.does_not_exist()
    return DocumentItem.version == read


def _refused(exc: TransactWriteError, index: int) -> bool:
    """Whether the transaction's item ``index`` failed its condition."""
    reasons = exc.cancellation_reasons or []
    reason = reasons[index] if index < len(reasons) else None
    return reason is not None and reason.code == "ConditionalCheckFailed"


class RegistrationItem(_Item):
    """A registration; indexed (``REGPENDING``) only while the provider reviews it."""

    data = JSONAttribute()
    status = UnicodeAttribute()
    version = NumberAttribute(null=True)  # absent on items written before versions: 1
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()


register(DocumentItem, RegistrationItem)


def _registration(item: RegistrationItem) -> Registration:
    data = {k: v for k, v in dict(item.data).items() if k != "version"}
    return Registration(**data, version=int(item.version or 1))


def registration_change(record: dict[str, Any]) -> tuple[str | None, Registration] | None:
    """A stream record of a registration (Lambda's DynamoDB event shape): the status it
    had before (None: new) and the registration now. None for any other item."""
    ddb = record.get("dynamodb", {})
    keys = ddb.get("Keys", {})
    sk = keys.get("sk", {}).get("S", "")
    if not sk.startswith(REG_PREFIX) or not ddb.get("NewImage"):
        return None
    new = RegistrationItem.from_raw_data(ddb["NewImage"])
    old = RegistrationItem.from_raw_data(ddb["OldImage"]) if ddb.get("OldImage") else None
    return (old.status if old is not None else None), _registration(new)


def _history_entry(item: OptOutItem) -> dict[str, Any]:
    if item.change:  # a consent record's change, made by a person (or flagged by the rules)
        return {
            "change": item.change,
            "at": item.changed_at,
            "by": item.by or "",
            "via": "",
            "text": item.text or "",
        }
    return {  # an opt-out or opt-in: the customer's text (or the provider's word) did it
        "change": "opted_out" if item.opted_out else "opted_in",
        "at": item.changed_at,
        "by": item.source,
        "via": item.keyword,
        "text": item.text or "",
    }


class DynamoComplianceRepository:
    """Texting policies, consent records and registrations on the messaging table."""

    # -- texting policy ---------------------------------------------------------

    def get_texting_policy(self, company_id: str, consistent: bool = False) -> TextingPolicy | None:
        item = get_item(DocumentItem, co_pk(company_id), TEXTING_SK, consistent=consistent)
        if item is None:
            return None
        return TextingPolicy(company_id=company_id, **item.data, version=int(item.version or 0))

    def put_texting_policy(self, policy: TextingPolicy) -> bool:
        """Written only over the version it was read at (an admin's change never lands
        on a copy another admin changed meanwhile)."""
        read = policy.version
        item = DocumentItem(
            co_pk(policy.company_id), TEXTING_SK, data=policy.to_dict(), version=read + 1
        )
        try:
            item.save(condition=_versioned(read))
        except PutError as exc:
            if not conditional_failed(exc):
                raise
            return False
        policy.version = read + 1
        return True

    # -- consent ---------------------------------------------------------------

    def get_consent(self, business: str, external: str) -> Consent | None:
        item = get_item(DocumentItem, opt_out_pk(business, external), CONSENT_SK, consistent=True)
        if item is None:
            return None
        data = {k: v for k, v in dict(item.data).items() if k != "version"}
        return Consent(business=business, external=external, **data, version=int(item.version or 0))

    def put_consent(self, consent: Consent, change: ConsentChange) -> bool:
        """The record (over the version it was read at) and its history entry (only if
        new: a provider's retry of a flagged text writes nothing), in one write; the
        history is append-only: an ``AUDIT#`` entry beside the opt-outs', marked with
        its ``change``."""
        pk = opt_out_pk(consent.business, consent.external)
        skip = ("business", "external", "version")
        data = {k: v for k, v in vars(consent).items() if k not in skip}
        read = consent.version
        entry = OptOutItem(
            pk,
            opt_out_audit_sk(change.at, f"consent:{change.change}:{change.by}"),
            change=change.change,
            by=change.by,
            changed_at=change.at,
            text=change.text,
        )
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(
                    DocumentItem(pk, CONSENT_SK, data=data, version=read + 1),
                    condition=_versioned(read),
                )
                tx.save(entry, condition=OptOutItem.sk.does_not_exist())
        except TransactWriteError as exc:
            if _refused(exc, 1):
                return False
            if _refused(exc, 0):
                raise ConcurrentUpdate("the consent record changed meanwhile") from None
            raise
        consent.version = read + 1
        return True

    def consent_history(
        self, business: str, external: str, limit: int, cursor: str | None = None
    ) -> Page[dict[str, Any]]:
        """Opt-outs, opt-ins and the consent record's changes, newest first: one Query."""
        pk = opt_out_pk(business, external)
        start = decode_cursor(cursor, "consent:history", TABLE_KEYS, {"pk": pk})
        items = list(
            OptOutItem.query(
                pk,
                OptOutItem.sk.startswith(AUDIT_PREFIX),
                scan_index_forward=False,
                limit=limit + 1,
                last_evaluated_key=start,
            )
        )
        page, next_cursor = page_of(items, limit, TABLE_KEYS, "consent:history")
        return Page([_history_entry(i) for i in page], next_cursor)

    # -- registrations ------------------------------------------------------------

    def get_registration(self, company_id: str, registration_id: str) -> Registration | None:
        item = get_item(
            RegistrationItem, co_pk(company_id), registration_sk(registration_id), consistent=True
        )
        return _registration(item) if item else None

    def registrations(self, company_id: str) -> list[Registration]:
        return [
            _registration(i)
            for i in RegistrationItem.query(
                co_pk(company_id), RegistrationItem.sk.startswith(REG_PREFIX)
            )
        ]

    def pending_registrations(self, limit: int, cursor: str | None = None) -> Page[Registration]:
        start = decode_cursor(cursor, "registrations:pending", GSI1_KEYS, {"gsi1pk": REG_PENDING})
        items = list(
            RegistrationItem.gsi1.query(REG_PENDING, limit=limit + 1, last_evaluated_key=start)
        )
        page, next_cursor = page_of(items, limit, GSI1_KEYS, "registrations:pending")
        return Page([_registration(i) for i in page], next_cursor)

    def pending_cursor_after(self, registration: Registration) -> str:
        """The index's key of the registration (an ExclusiveStartKey need not exist)."""
        key = {
            "pk": co_pk(registration.company_id),
            "sk": registration_sk(registration.registration_id),
            "gsi1pk": REG_PENDING,
            "gsi1sk": registration_sort(registration.company_id, registration.registration_id),
        }
        return encode_cursor(key, "registrations:pending")

    def poll_cursor(self) -> str | None:
        item = get_item(DocumentItem, REG_POLL_PK, STATE_SK, consistent=True)
        return str(item.data.get("cursor") or "") or None if item else None

    def save_poll_cursor(self, cursor: str | None) -> None:
        DocumentItem(REG_POLL_PK, STATE_SK, data={"cursor": cursor or ""}).save()

    def save_registration(self, registration: Registration) -> bool:
        """Write the registration and one change entry if the stored item is still at
        ``registration.version`` (0: it must not exist yet), as version + 1; False when
        someone else wrote it first (nothing written)."""
        data = registration.to_dict()
        data.pop("id")
        data["registration_id"] = registration.registration_id
        data["company_id"] = registration.company_id
        pending = registration.status in OPEN_STATUSES
        item = RegistrationItem(
            co_pk(registration.company_id),
            registration_sk(registration.registration_id),
            data=data,
            status=registration.status,
            version=registration.version + 1,
            gsi1pk=REG_PENDING if pending else None,
            gsi1sk=registration_sort(registration.company_id, registration.registration_id)
            if pending
            else None,
        )
        read = registration.version
        condition: Any = RegistrationItem.version == read
        if read == 0:
            condition = RegistrationItem.pk.does_not_exist()
        elif read == 1:  # an item written before versions were kept reads as version 1
            condition |= RegistrationItem.pk.exists() & RegistrationItem.version.does_not_exist()
        entry = DocumentItem(
            co_pk(registration.company_id),
            registration_log_sk(
                registration.registration_id, registration.updated_at, registration.status
            ),
            data={
                "status": registration.status,
                "provider_status": registration.provider_status,
                "reason": registration.reason,
                "at": registration.updated_at,
            },
        )
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.save(item, condition=condition)
                tx.save(entry)
        except TransactWriteError:
            return False
        registration.version = read + 1
        return True

    def registration_history(self, company_id: str, registration_id: str) -> list[dict[str, Any]]:
        return [
            dict(i.data)
            for i in DocumentItem.query(
                co_pk(company_id),
                DocumentItem.sk.startswith(registration_log_prefix(registration_id)),
            )
        ]
