"""The copy of agents' report figures kept before they were partitioned per agent and
month (``CCRPT#{company}#AGENTS``, sort key ``{interval}#{agent}``) into the rows
reports read now, and into the months' lists of agents with figures.

One transaction per old item: its figures ADDed to the agent's month row, the month's
list item Put, and the old item marked ``copied_at`` on the condition that it was not
marked before. A copy run again (or resumed anywhere) adds nothing twice; figures the
stream counted into the new rows since the deploy are added to, never overwritten.
"""

from __future__ import annotations

import time

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamodb.keys_contact_center import report_old_agents_pk
from chalicelib.adapters.dynamodb.models import register, shared_connection
from chalicelib.adapters.dynamodb.reports import ReportItem, add_tallies, tally_of
from chalicelib.domain.reports import AGENT, Tally


class OldAgentReportItem(ReportItem):
    """An agent's interval in the old partition, with the mark of its copy."""

    copied_at = NumberAttribute(null=True)


register(OldAgentReportItem)


class DynamoOldAgentRows:
    """``OldAgentRows`` on the messaging table: Queries of the old partition, one
    conditional transaction per copied item."""

    def page(
        self, company_id: str, after: str | None, limit: int
    ) -> tuple[list[tuple[str, Tally]], str | None]:
        """Up to ``limit`` old items after the sort key ``after``, with their sort keys,
        and the sort key to go on from (None at the end)."""
        pk = report_old_agents_pk(company_id)
        start = {"pk": {"S": pk}, "sk": {"S": after}} if after else None
        items = OldAgentReportItem.query(pk, limit=limit, last_evaluated_key=start)
        found = [(i.sk, tally_of(i, AGENT, company_id)) for i in items]
        more = items.last_evaluated_key
        return found, (str(more["sk"]["S"]) if more else None)

    def copy(self, company_id: str, sk: str, tally: Tally) -> bool:
        """Adds one old item's figures to the new rows, once: False when it was copied."""
        old = OldAgentReportItem(report_old_agents_pk(company_id), sk)
        try:
            with TransactWrite(connection=shared_connection()) as tx:
                tx.update(
                    old,
                    actions=[OldAgentReportItem.copied_at.set(int(time.time()))],
                    condition=OldAgentReportItem.copied_at.does_not_exist(),
                )
                if tally.figures:
                    add_tallies(tx, [tally])
        except TransactWriteError as exc:
            reasons = getattr(exc.cause, "cancellation_reasons", None) or []
            # the old item's mark is the one condition: copied before
            if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
                return False
            raise
        return True
