"""Customer records: found by phone (screen pop), cases, past interactions, and the
transcript of an ended interaction stored in S3 and linked to a case."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain import phone as phones
from chalicelib.domain.contact_center import (
    ENDED,
    Interaction,
)
from chalicelib.domain.contact_center_reads import ChannelText
from chalicelib.domain.contact_center_records import (
    Case,
    Customer,
)
from chalicelib.domain.errors import NotFound, ValidationError
from chalicelib.services.common import Caller
from chalicelib.services.contact_center.common import Context

HISTORY_SHOWN = 10
TRANSCRIPT_PAGE = 200


def transcript_key(interaction: Interaction) -> str:
    return f"transcripts/{interaction.company_id}/{interaction.interaction_id}.json"


class RecordService:
    """Customers, their cases and history; transcripts go to the media store."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._repo = ctx.repo

    def find_or_create(self, company_id: str, phone: str) -> Customer:
        """A customer who is not known gets a record made from the phone number."""
        return self.customer(company_id, phone)[0]

    def customer(self, company_id: str, phone: str) -> tuple[Customer, bool]:
        """``find_or_create``, and whether the record is new (made now: it has no past
        interactions to read)."""
        found = self._repo.customer_by_phone(company_id, phone)
        if found is not None:
            return found, False
        made = Customer(self._ctx.ids("cus_"), company_id, phone, "", self._ctx.clock())
        stored = self._repo.create_customer(made)
        return stored, stored.customer_id == made.customer_id

    def customer_of_text(
        self, company_id: str, phone: str, found: ChannelText | None
    ) -> tuple[Customer, bool]:
        """The record of a customer who texted: the one the text's reads found by phone
        (``found``; None: read it by phone now), or, when there is none, a record made
        now and not stored yet (``True``: it goes in the write that opens the interaction)."""
        if found is None:
            customer = self._repo.customer_by_phone(company_id, phone)
        elif found.customer_id:
            customer = self._repo.get_customer(company_id, found.customer_id)
        else:
            customer = None
        if customer is not None:
            return customer, False
        return Customer(self._ctx.ids("cus_"), company_id, phone, "", self._ctx.clock()), True

    def screen_pop(self, customer_id: str | None, company_id: str) -> dict[str, Any] | None:
        """The customer record with open cases and recent interactions (with dispositions)."""
        if not customer_id:
            return None
        record = self._repo.customer_record(company_id, customer_id, HISTORY_SHOWN)
        if record is None:
            return None
        customer, cases, history = record
        body = customer.to_dict()
        body["cases"] = [c.to_dict() for c in cases]
        body["interactions"] = history
        return body

    def _may_see(self, caller: Caller) -> None:
        """Customer records are for the company's agents, supervisors and admins."""
        if not caller.is_admin:
            self._ctx.agent_of(caller)

    def by_phone(self, caller: Caller, raw: str | None) -> dict[str, Any]:
        self._may_see(caller)
        if raw is None or not raw.strip():
            raise ValidationError("phone is required", code="invalid_phone")
        company = self._ctx.directory.get_company(caller.company_id)
        number = phones.normalise(raw, company.default_region if company else "US")
        found = self._repo.customer_by_phone(caller.company_id, number)
        items = [self.screen_pop(found.customer_id, caller.company_id)] if found else []
        return {"items": items, "next_cursor": None}

    def get(self, caller: Caller, customer_id: str) -> dict[str, Any]:
        self._may_see(caller)
        body = self.screen_pop(customer_id, caller.company_id)
        if body is None:
            raise NotFound("no such customer", code="customer_not_found")
        return body

    def check_case(self, interaction: Interaction, case_id: str | None) -> None:
        """An agent may link the transcript to one of the customer's open cases."""
        if case_id is None:
            return
        if not interaction.customer_id:
            raise ValidationError("case_id must be a case of this customer", code="invalid_case")
        case = self._repo.get_case(interaction.customer_id, case_id)
        if case is None or case.status != "open":
            raise ValidationError(
                "case_id must be an open case of this customer", code="invalid_case"
            )

    def end(
        self,
        before: Interaction,
        after: Interaction,
        *,
        agent_id: str | None = None,
        load: int = 0,
        total: int = 0,
    ) -> Interaction | None:
        """``before`` → ended as ``after`` says, then filed: the conditional write
        first (a lost race files nothing, so no case lists the transcript of an
        interaction still open), then the transcript, its case and the customer's
        record. The case and the key are named before the write, so the ended
        interaction points at them. None when the write lost its race."""
        ended = replace(
            after,
            state=ENDED,
            ended_at=self._ctx.epoch(),
            case_id=after.case_id or f"case_{after.interaction_id}",
            transcript_key=transcript_key(after),
            idle=False,
        )
        if not self._repo.transition(before, ended, agent_id=agent_id, load=load, total=total):
            return None
        self.remember(ended)
        self.file_transcript(ended, after.case_id)  # last: the case listing it means filed
        return ended

    def refile(self, interaction: Interaction) -> None:
        """A redelivered timer found the interaction ended: if the filing that follows
        the end failed, its case does not list the transcript yet; file it now (one
        read when it is filed)."""
        if interaction.state != ENDED or not interaction.customer_id or not interaction.case_id:
            return
        case = self._repo.get_case(interaction.customer_id, interaction.case_id)
        if case is not None and any(
            t.get("interaction_id") == interaction.interaction_id for t in case.transcripts
        ):
            return
        self.remember(interaction)
        self.file_transcript(interaction, interaction.case_id)

    def file_transcript(self, interaction: Interaction, case_id: str | None) -> tuple[str, str]:
        """Store every text of the interaction (both directions, times, statuses) in S3
        and link it to a case (the one given, or a new one). Returns (case id, key)."""
        messages = self._messages(interaction)
        key = transcript_key(interaction)
        document = {
            "interaction": interaction.to_dict(),
            "messages": [
                {
                    "seq": m.seq,
                    "direction": m.direction or "outbound",
                    "sender": m.sender,
                    "text": m.text,
                    "status": m.status,
                    "created_at": m.created_at,
                }
                for m in messages
            ],
        }
        if self._ctx.media is not None:
            self._ctx.media.put(key, json.dumps(document).encode(), "application/json")
        customer_id = str(interaction.customer_id)
        case = self._repo.get_case(customer_id, case_id) if case_id else None
        if case is None:
            case = Case(
                case_id=case_id or f"case_{interaction.interaction_id}",
                customer_id=customer_id,
                company_id=interaction.company_id,
                subject=f"SMS on {interaction.channel}",
                created_at=self._ctx.clock(),
            )
        if not any(t.get("interaction_id") == interaction.interaction_id for t in case.transcripts):
            case.transcripts.append({"interaction_id": interaction.interaction_id, "key": key})
        self._repo.put_case(case)
        return case.case_id, key

    def _messages(self, interaction: Interaction) -> list[Any]:
        found: list[Any] = []
        cursor = None
        after = max(0, interaction.first_seq - 1)
        while True:
            page = self._ctx.conversations.list_messages(
                interaction.conversation_id, TRANSCRIPT_PAGE, cursor, after_seq=after
            )
            found += page.items
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        return sorted(found, key=lambda m: m.seq)

    def remember(self, interaction: Interaction) -> None:
        """The customer record lists the interaction (with its disposition)."""
        if not interaction.customer_id:
            return
        at = datetime.fromtimestamp(interaction.ended_at or self._ctx.epoch(), UTC).isoformat()
        self._repo.add_history(
            interaction.customer_id,
            at,
            {
                "id": interaction.interaction_id,
                "agent_id": interaction.agent_id,
                "queue_id": interaction.queue_id,
                "channel": interaction.channel,
                "direction": interaction.direction,
                "disposition": interaction.disposition,
                "case_id": interaction.case_id,
                "created_at": interaction.created_at,
                "ended_at": at,
            },
        )
