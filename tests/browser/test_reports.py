"""The supervisor page's reports in a real browser against the local stack: a text
routed to an agent and answered appears in the per-agent table (its figures counted
from the table's stream), and the CSV export downloads with its header row."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chalicelib.domain.reports import AGENT_COLUMNS
from tests.browser.conftest import assert_accessible
from tests.browser.test_contact_center import a_customer, open_page
from tests.browser.test_employee_app import poll
from tests.e2e.clients import Api, Stack
from tests.e2e.test_sms import phone_sends

pytestmark = pytest.mark.e2e

ApiFactory = Callable[[str | None], Api]


def _range() -> str:
    today = datetime.now(UTC).date()
    return f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"


def _answered(api: Api, agent_id: str) -> int:
    rows = api.get(f"/reports/agents?{_range()}").json()["items"]
    return sum(r["answered"] for r in rows if r["agent_id"] == agent_id)


def test_supervisor_sees_an_answered_text_in_the_agents_report_and_downloads_the_csv(
    stack: Stack,
    api: ApiFactory,
    signed_in: Callable[[str], Page],
    tmp_path: Path,
) -> None:
    center = stack["contact_center"]
    channel = center["channels"][0]["e164"]
    ann, supervisor = center["agents"][0], center["supervisors"][0]
    for agent in center["agents"]:  # only ann takes the text
        status = "available" if agent == ann else "offline"
        response = api(agent).session.put(
            f"{stack['rest_url']}/agent/status", json={"status": status}, timeout=30
        )
        assert response.status_code == 200, response.text
    ann_id = api(ann).get("/agent").json()["agent_id"]
    before = _answered(api(supervisor), ann_id)

    # Given a customer's text offered to ann, accepted and ended
    customer = a_customer()
    phone_sends(stack, customer, channel, "Is my order shipped?")
    offered = poll(
        lambda: [
            i
            for i in api(ann).get("/interactions").json()["items"]
            if i["customer"]["phone"] == customer and i["state"] == "offered"
        ],
        bool,
    )
    interaction = offered[0]["id"]
    assert api(ann).post(f"/interactions/{interaction}/accept").status_code == 200
    ended = api(ann).post(f"/interactions/{interaction}/end", {"disposition": "answered"})
    assert ended.status_code == 200, ended.text
    poll(lambda: _answered(api(supervisor), ann_id), lambda n: n > before)  # the stream counted it

    # When the supervisor shows the report
    page = signed_in(supervisor)
    open_page(page, "Queues", "Queues")
    reports = page.get_by_role("region", name="Reports")
    reports.get_by_role("button", name="Show report").click()

    # Then ann's row is in the table
    table = reports.get_by_role("table", name="Agents per day")
    expect(table.get_by_role("rowheader").first).to_be_visible()
    name = api(ann).get("/agent").json().get("name") or ann_id
    expect(table.get_by_role("rowheader", name=name).first).to_be_visible()
    expect(table.get_by_role("columnheader", name="Occupancy")).to_be_visible()
    assert_accessible(page, "reports")

    # And the CSV downloads with the header row
    with page.expect_download() as download:
        reports.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / "agents.csv"
    download.value.save_as(saved)
    with saved.open(newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == list(AGENT_COLUMNS)
    assert any(row[0] == ann_id for row in lines[1:])
