"""Report routes: per agent per day, per queue per 15 minutes; JSON pages or CSV.

With ``Accept: text/csv`` a page is CSV: a header row of the JSON rows' names, then
the rows. API Gateway answers at most 10 MB, so a long export comes in pages too
(at most ``MAX_LIMIT`` rows, far below that): the next page's address is in the
``Link`` header (``rel="next"``) and its cursor in ``X-Next-Cursor``; the last page
has neither.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalice import Blueprint, Response

from chalicelib.api.auth import caller_from, cognito
from chalicelib.api.errors import handles_errors
from chalicelib.api.report_params import CSV, report_query
from chalicelib.bootstrap import services
from chalicelib.domain.errors import FeatureDisabled
from chalicelib.domain.model import Page
from chalicelib.domain.reports import AGENT_COLUMNS, QUEUE_COLUMNS

if TYPE_CHECKING:
    from chalicelib.services.reports import ReportService

reports_bp = Blueprint(__name__)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these


def _reports() -> ReportService:
    found: ReportService | None = services().reports
    if found is None:
        raise FeatureDisabled("the contact center is not configured", code="contact_center_off")
    return found


def _params() -> dict[str, str]:
    return dict(reports_bp.current_request.query_params or {})


def _wants_csv() -> bool:
    accept = reports_bp.current_request.headers.get("accept", "")
    return CSV in accept.lower()


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula is quoted as text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_text(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _answer(page: Page[dict[str, Any]], columns: tuple[str, ...], name: str) -> Any:
    if not _wants_csv():
        return {"items": page.items, "next_cursor": page.next_cursor}
    params = _params()
    headers: dict[str, str | list[str]] = {
        "Content-Type": f"{CSV}; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{name}-{params["from"]}-{params["to"]}.csv"',
        "Cache-Control": "no-store",
    }
    if page.next_cursor:
        following = urlencode({**params, "cursor": page.next_cursor})
        headers["Link"] = f'<?{following}>; rel="next"'  # relative: this route's own address
        headers["X-Next-Cursor"] = page.next_cursor
    return Response(body=csv_text(columns, page.items), status_code=200, headers=headers)


@reports_bp.route("/reports/agents", methods=["GET"], authorizer=cognito)
@handles_errors
def report_agents() -> Any:
    """Per agent per day (supervisors: the agents of their queues; admins: all)."""
    query = report_query(_params(), csv=_wants_csv())
    page = _reports().agents(caller_from(reports_bp.current_request), query)
    return _answer(page, AGENT_COLUMNS, "agents")


@reports_bp.route("/reports/queues", methods=["GET"], authorizer=cognito)
@handles_errors
def report_queues() -> Any:
    """Per queue per 15-minute interval (supervisors: their queues; admins: all)."""
    query = report_query(_params(), csv=_wants_csv())
    page = _reports().queues(caller_from(reports_bp.current_request), query)
    return _answer(page, QUEUE_COLUMNS, "queues")
