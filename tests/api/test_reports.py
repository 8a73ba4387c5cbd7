"""Report routes through the real app (chalice.test.Client, DynamoDB on moto, the
table's stream fed to ``outbox_stream`` as Lambda would): figures of a routed text,
CSV pages, who may read what (roles, another queue, another company), bad input."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from chalicelib.domain.contact_center import AgentProfile
from chalicelib.domain.reports import AGENT_COLUMNS, QUEUE_COLUMNS
from tests.api.conftest import running_api
from tests.api.test_contact_center import Center, body, error
from tests.contact_center_support import SALES, SUPPORT
from tests.fakes.contact_center import MemoryRoutingQueue


@pytest.fixture
def center(aws: Any) -> Iterator[Center]:
    routing = MemoryRoutingQueue()
    with running_api(adapters={"routing_queue": routing}) as api:
        yield Center(api, routing)


def days(around: int = 1) -> dict[str, str]:
    today = datetime.now(UTC).date()
    return {
        "from": (today - timedelta(days=around)).isoformat(),
        "to": (today + timedelta(days=around)).isoformat(),
    }


def report(center: Center, who: str, path: str = "/reports/agents", **params: Any) -> Any:
    return center.call("GET", f"{path}?{urlencode({**days(), **params})}", who)


def csv_page(center: Center, who: str, query: str) -> Any:
    headers = {**center.api.headers(who), "Accept": "text/csv"}
    return center.api.client.http.request("GET", f"/reports/agents?{query}", headers=headers)


def answered_and_ended(center: Center, who: str = "bob") -> None:
    offer = center.offered_to(who)
    assert center.call("POST", f"/interactions/{offer['id']}/accept", who).status_code == 200
    ended = center.call("POST", f"/interactions/{offer['id']}/end", who, {"disposition": "ok"})
    assert ended.status_code == 200
    center.outbox()  # the table's stream: the reports count here


def test_a_routed_answered_text_is_in_the_agents_and_queues_reports(center: Center) -> None:
    answered_and_ended(center)
    rows = body(report(center, "alice"))["items"]
    [bob] = [r for r in rows if r["agent_id"] == "u-bob"]
    assert list(bob) == list(AGENT_COLUMNS)
    assert (bob["name"], bob["offered"], bob["answered"], bob["handled"]) == ("u-bob", 1, 1, 1)
    assert days()["from"] < bob["day"] < days()["to"]  # today (UTC)
    queues = body(report(center, "alice", "/reports/queues", queue_id=SUPPORT))["items"]
    queues = [q for q in queues if q["offered"]]  # not the intervals of staffed time alone
    assert [(q["queue_id"], q["offered"], q["answered"]) for q in queues] == [(SUPPORT, 1, 1)]
    assert list(queues[0]) == list(QUEUE_COLUMNS)
    assert queues[0]["interval_start"].endswith("Z") and queues[0]["service_level"] == 100


def test_a_stream_delivered_again_counts_nothing_twice(center: Center) -> None:
    answered_and_ended(center)
    assert center.path is not None
    center.path.iterators.clear()  # read the shard again from its start: every record again
    assert center.path.run_outbox() > 0
    [bob] = [r for r in body(report(center, "alice"))["items"] if r["agent_id"] == "u-bob"]
    assert (bob["offered"], bob["answered"]) == (1, 1)


def test_the_csv_export_has_the_header_row_and_pages_by_its_link(center: Center) -> None:
    answered_and_ended(center, "bob")
    assert center.call("PUT", "/agent/status", "bob", {"status": "offline"}).status_code == 200
    answered_and_ended(center, "carol")
    first = csv_page(center, "alice", urlencode({**days(), "limit": 1}))
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in first.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(first.body.decode())))
    assert lines[0] == list(AGENT_COLUMNS) and len(lines) == 2
    link = first.headers["Link"]
    assert link.startswith("<?") and link.endswith('>; rel="next"')
    following = link[2 : link.index(">")]
    assert parse_qs(following)["cursor"] == [first.headers["X-Next-Cursor"]]
    second = csv_page(center, "alice", following)
    rest = list(csv.reader(io.StringIO(second.body.decode())))
    assert rest[0] == list(AGENT_COLUMNS)
    assert sorted([lines[1][0], *(r[0] for r in rest[1:])]) == ["u-bob", "u-carol"]
    assert "Link" not in second.headers and "X-Next-Cursor" not in second.headers


def test_an_agent_may_not_read_reports_and_signed_out_calls_are_401(center: Center) -> None:
    assert error(report(center, "bob")) == (403, "supervisor_only")
    assert error(report(center, "bob", "/reports/queues")) == (403, "supervisor_only")
    unsigned = center.api.client.http.request("GET", f"/reports/agents?{urlencode(days())}")
    assert unsigned.status_code == 401


def test_a_supervisor_sees_only_the_agents_and_queues_they_supervise(center: Center) -> None:
    answered_and_ended(center, "bob")  # a Support agent
    repo = center.cc.repo
    carol = AgentProfile(
        "u-carol", "acme", name="Carol", role="supervisor", skills={"sales": 4}, queues=[SALES]
    )
    repo.put_agent(carol)
    assert [r["agent_id"] for r in body(report(center, "carol"))["items"]] == []
    assert body(report(center, "carol", "/reports/queues"))["items"] == []
    refused = report(center, "carol", "/reports/queues", queue_id=SUPPORT)
    assert error(refused) == (403, "not_your_queue")
    carol.queues = [SALES, SUPPORT]
    repo.put_agent(carol)
    assert {r["agent_id"] for r in body(report(center, "carol"))["items"]} == {"u-bob"}


def test_another_company_sees_none_of_these_figures(center: Center) -> None:
    answered_and_ended(center)
    assert body(report(center, "dave"))["items"] == []  # globex's admin
    assert body(report(center, "dave", "/reports/queues"))["items"] == []
    assert error(report(center, "dave", "/reports/queues", queue_id=SUPPORT)) == (
        404,
        "queue_not_found",
    )


def _range(first: date, last: date) -> dict[str, str]:
    return {"from": first.isoformat(), "to": last.isoformat()}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2026-01-02", "to": "2026-01-01"}, "invalid_date"),  # from after to
        (_range(date(2026, 1, 1), date(2026, 4, 3)), "invalid_date"),  # 92 days + 1
        ({"from": "2026-02-30", "to": "2026-03-01"}, "invalid_date"),  # not a day
        ({"from": "2026-1-1", "to": "2026-01-02"}, "invalid_date"),
        ({"to": "2026-01-02"}, "invalid_date"),
        ({"from": "2026-01-01", "to": "2026-01-02", "tz": "Mars/Olympus"}, "invalid_timezone"),
        ({"from": "2026-01-01", "to": "2026-01-02", "tz": "../etc"}, "invalid_timezone"),
        ({"from": "2026-01-01", "to": "2026-01-02", "limit": "0"}, "invalid_limit"),
        ({"from": "2026-01-01", "to": "2026-01-02", "cursor": "x"}, "invalid_cursor"),
    ],
)
def test_a_bad_range_zone_limit_or_cursor_is_400(
    center: Center, params: dict[str, str], code: str
) -> None:
    for path in ("/reports/agents", "/reports/queues"):
        response = center.call("GET", f"{path}?{urlencode(params)}", "alice")
        assert error(response) == (400, code), json.loads(response.body)


def test_92_days_in_a_zone_are_accepted(center: Center) -> None:
    params = {**_range(date(2026, 1, 1), date(2026, 4, 2)), "tz": "America/New_York"}
    assert report(center, "alice", **params).status_code == 200


@pytest.fixture
def written_at(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The time the DynamoDB adapter stamps on each write of an agent's profile, moved
    by the test (from 20 minutes ago)."""
    from chalicelib.adapters.dynamodb import contact_center_items

    moment = [datetime.now(UTC).timestamp() - 1200]
    monkeypatch.setattr(contact_center_items, "written_at", lambda: moment[0])
    return moment


def bobs_rows(center: Center) -> list[dict[str, Any]]:
    return [r for r in body(report(center, "alice"))["items"] if r["agent_id"] == "u-bob"]


def test_an_agents_staffed_time_and_occupancy_are_counted_from_the_stream(
    center: Center, written_at: list[float]
) -> None:
    assert center.call("PUT", "/agent/status", "bob", {"status": "offline"}).status_code == 200
    started = written_at[0] = written_at[0] + 1
    assert center.call("PUT", "/agent/status", "bob", {"status": "available"}).status_code == 200
    written_at[0] = started + 120  # idle until the offer
    offer = center.offered_to("bob")
    written_at[0] = started + 420  # busy until the end
    assert center.call("POST", f"/interactions/{offer['id']}/accept", "bob").status_code == 200
    ended = center.call("POST", f"/interactions/{offer['id']}/end", "bob", {"disposition": "ok"})
    assert ended.status_code == 200
    written_at[0] = started + 480  # idle again until offline
    assert center.call("PUT", "/agent/status", "bob", {"status": "offline"}).status_code == 200
    center.outbox()
    rows = bobs_rows(center)  # one, or two across midnight
    idle, busy = (sum(r[name] for r in rows) for name in ("available_s", "busy_s"))
    assert busy > 0 and idle > 0
    assert (idle, busy) == (180, 300)
    assert center.path is not None
    center.path.iterators.clear()  # every record again, the agent's too
    assert center.path.run_outbox() > 0
    assert bobs_rows(center) == rows


def test_an_available_agents_open_spell_shows_before_it_closes(
    center: Center, written_at: list[float]
) -> None:
    assert center.call("PUT", "/agent/status", "bob", {"status": "offline"}).status_code == 200
    assert center.call("PUT", "/agent/status", "bob", {"status": "available"}).status_code == 200
    center.outbox()  # nothing closed a spell of bob's since
    idle = sum(r["available_s"] for r in bobs_rows(center))
    assert 1195 <= idle <= 1300  # from 20 minutes ago up to the time of reading
