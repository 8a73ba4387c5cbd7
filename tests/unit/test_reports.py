"""Reports: the real routing on in-memory adapters, every stored change of an interaction
counted as the stream consumer counts it; then the rows a supervisor or an admin reads
(per agent per day in a time zone, per queue per 15 minutes), their pages and scope."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.contact_center import AgentProfile
from chalicelib.domain.errors import Forbidden, NotFound, ValidationError
from chalicelib.domain.reports import AGENT, QUEUE, Tally, interval_of
from chalicelib.services.contact_center.commands import EndInteraction, TransferInteraction
from chalicelib.services.reports import ReportQuery, ReportService
from tests.contact_center_support import (
    CUSTOMER,
    SALES,
    SUPPORT,
    CenterWorld,
    available,
    only_open,
    world,
)
from tests.fakes.reports import MemoryReportStore

UTC = ZoneInfo("UTC")
DAY = date(2027, 1, 15)  # the World's clock starts at 2027-01-15T08:00Z


class _Stamped(list[Any]):
    """The fake repository's changes, each with the World's time it was stored at (the
    stream record's time)."""

    def __init__(self, clock: Any) -> None:
        super().__init__()
        self.clock = clock
        self.times: list[float] = []

    def append(self, change: Any) -> None:
        super().append(change)
        self.times.append(self.clock())


class Reporting:
    """A World whose interactions' and agents' changes are counted as the outbox
    counts them (each at the time it was stored, with its place as sequence number)."""

    def __init__(self, w: CenterWorld) -> None:
        self.w = w
        self.store = MemoryReportStore()
        self.reports = ReportService(self.store, w.cc_repo, lambda: w.now)
        self.seen = 0
        w.cc_repo.changes = self.changes = _Stamped(lambda: w.now)

    def count(self) -> None:
        changes = self.changes[self.seen :]
        for seq, (kind, old, new) in enumerate(changes, start=self.seen + 1):
            at = self.changes.times[seq - 1]
            if kind == "interaction":
                self.reports.count(old, new, at)
            elif kind == "agent":
                self.reports.count_agent(old, new)
        self.seen += len(changes)

    def agents(self, who: str = "u-alice", **query: Any) -> dict[str, dict[str, Any]]:
        self.count()
        page = self.reports.agents(self.w.caller(who), self.query(**query))
        return {f"{r['agent_id']} {r['day']}": r for r in page.items}

    def queues(self, who: str = "u-alice", **query: Any) -> list[dict[str, Any]]:
        self.count()
        return self.reports.queues(self.w.caller(who), self.query(**query)).items

    @staticmethod
    def query(**given: Any) -> ReportQuery:
        values: dict[str, Any] = {"first": DAY, "last": DAY, "zone": UTC, "limit": 100}
        return ReportQuery(**{**values, **given})


def offered_to_bob(r: Reporting, phone: str = CUSTOMER) -> str:
    available(r.w, "u-bob")
    r.w.text(phone)
    r.w.runner.run()
    ix = only_open(r.w, phone)
    assert ix.agent_id == "u-bob"
    return ix.interaction_id


def test_an_answered_and_ended_interaction_counts_offer_answer_wait_and_handle_time() -> None:
    r = Reporting(world())
    ix = offered_to_bob(r)
    r.w.now += 12
    r.w.cc.agents.accept(r.w.caller("u-bob"), ix)
    r.w.now += 100
    r.w.cc.agents.end(r.w.caller("u-bob"), ix, EndInteraction(disposition="resolved"))
    bob = r.agents()[f"u-bob {DAY}"]
    assert bob["name"] == "u-bob"
    assert (bob["offered"], bob["answered"], bob["handled"]) == (1, 1, 1)
    assert (bob["wait_s"], bob["handle_time_s"], bob["rejected"], bob["transfers"]) == (
        12,
        100,
        0,
        0,
    )
    [row] = r.queues()
    assert (row["queue_id"], row["interval_start"]) == (SUPPORT, "2027-01-15T08:00Z")
    assert (row["offered"], row["answered"], row["handled"], row["handle_time_s"]) == (1, 1, 1, 100)
    assert (row["answered_within_sl"], row["service_level"], row["service_level_s"]) == (1, 100, 60)


def test_wrap_up_is_part_of_the_handle_time() -> None:
    r = Reporting(world())
    ix = offered_to_bob(r)
    r.w.cc.agents.accept(r.w.caller("u-bob"), ix)
    r.w.now += 50
    r.w.cc.agents.end(r.w.caller("u-bob"), ix)  # wrap-up
    r.w.now += 20
    r.w.cc.agents.end(r.w.caller("u-bob"), ix)  # closes it
    assert r.agents()[f"u-bob {DAY}"]["handle_time_s"] == 70


def test_a_declined_and_a_timed_out_offer_count_for_their_agents_only() -> None:
    r = Reporting(world())
    available(r.w, "u-carol")
    ix = offered_to_bob(r)  # bob first: the fewest slots, then the longest idle
    r.w.cc.agents.reject(r.w.caller("u-bob"), ix)
    r.w.runner.run()
    assert only_open(r.w).agent_id == "u-carol"
    r.w.now += 31
    r.w.runner.run()  # carol lets it time out
    rows = r.agents()
    bob, carol = rows[f"u-bob {DAY}"], rows[f"u-carol {DAY}"]
    # offered again once carol's offer timed out (his skip had ended)
    assert (bob["offered"], bob["rejected"], bob["timed_out"], bob["answered"]) == (2, 1, 0, 0)
    assert (carol["offered"], carol["rejected"], carol["timed_out"]) == (1, 0, 1)
    # one wait in the queue, not three
    assert [row["offered"] for row in r.queues(queue_id=SUPPORT)] == [1]


def test_a_transfer_ends_the_agents_handling_and_is_a_new_wait_in_the_other_queue() -> None:
    r = Reporting(world())
    ix = offered_to_bob(r)
    r.w.cc.agents.accept(r.w.caller("u-bob"), ix)
    r.w.now += 40
    r.w.cc.agents.transfer(r.w.caller("u-bob"), ix, SALES)
    bob = r.agents()[f"u-bob {DAY}"]
    assert (bob["transfers"], bob["handled"], bob["handle_time_s"]) == (1, 1, 40)
    support, sales = r.queues(queue_id=SUPPORT), r.queues(queue_id=SALES)
    assert (support[0]["transfers"], support[0]["moved_out"], support[0]["offered"]) == (1, 1, 1)
    assert (sales[0]["offered"], sales[0]["answered"]) == (1, 0)


def test_an_offer_a_supervisor_takes_over_is_not_declined_by_its_agent() -> None:
    r = Reporting(world())
    available(r.w, "u-carol")
    ix = offered_to_bob(r)
    r.w.cc.agents.reject(r.w.caller("u-bob"), ix)  # the interaction keeps "rejected"
    r.w.runner.run()
    assert only_open(r.w).agent_id == "u-carol"
    r.w.now += 5
    r.w.cc.supervision.barge(r.w.caller("u-alice"), ix)
    rows = r.agents()
    bob, carol, alice = rows[f"u-bob {DAY}"], rows[f"u-carol {DAY}"], rows[f"u-alice {DAY}"]
    assert (bob["rejected"], carol["offered"], carol["rejected"], carol["timed_out"]) == (
        1,
        1,
        0,
        0,
    )
    assert (alice["offered"], alice["answered"], alice["wait_s"]) == (1, 1, 5)
    assert (
        r.queues(queue_id=SUPPORT)[0]["offered"],
        r.queues(queue_id=SUPPORT)[0]["answered"],
    ) == (1, 1)


def test_an_offer_moved_to_a_named_agent_is_not_declined_by_its_agent() -> None:
    r = Reporting(world())
    available(r.w, "u-carol")
    ix = offered_to_bob(r)
    r.w.cc.agents.reject(r.w.caller("u-bob"), ix)
    r.w.runner.run()
    r.w.cc.supervision.transfer(r.w.caller("u-alice"), ix, TransferInteraction(agent_id="u-bob"))
    r.w.cc.agents.accept(r.w.caller("u-bob"), ix)
    rows = r.agents()
    bob, carol = rows[f"u-bob {DAY}"], rows[f"u-carol {DAY}"]
    assert (carol["offered"], carol["rejected"], carol["timed_out"]) == (1, 0, 0)
    assert (bob["offered"], bob["rejected"], bob["answered"]) == (2, 1, 1)
    assert (
        r.queues(queue_id=SUPPORT)[0]["offered"],
        r.queues(queue_id=SUPPORT)[0]["answered"],
    ) == (1, 1)


def test_a_take_over_ends_the_agents_handling_there_and_the_queue_counts_one_handled() -> None:
    r = Reporting(world())
    ix = offered_to_bob(r)
    r.w.cc.agents.accept(r.w.caller("u-bob"), ix)
    r.w.now += 40
    r.w.cc.supervision.barge(r.w.caller("u-alice"), ix)
    r.w.now += 60
    r.w.cc.agents.end(r.w.caller("u-alice"), ix, EndInteraction(disposition="resolved"))
    rows = r.agents()
    bob, alice = rows[f"u-bob {DAY}"], rows[f"u-alice {DAY}"]
    assert (bob["handled"], bob["handle_time_s"], bob["transfers"]) == (1, 40, 0)
    assert (alice["offered"], alice["answered"], alice["handled"], alice["handle_time_s"]) == (
        1,
        1,
        1,
        60,
    )
    [queue] = r.queues()
    assert (queue["offered"], queue["answered"], queue["handled"], queue["handle_time_s"]) == (
        1,
        1,
        1,
        100,
    )
    assert queue["transfers"] == 0


def test_a_transfer_to_a_named_agent_is_a_new_wait_offered_in_the_queue() -> None:
    r = Reporting(world())
    available(r.w, "u-carol")
    ix = offered_to_bob(r)
    r.w.cc.agents.accept(r.w.caller("u-bob"), ix)
    r.w.now += 30
    r.w.cc.supervision.transfer(r.w.caller("u-bob"), ix, TransferInteraction(agent_id="u-carol"))
    r.w.now += 7
    r.w.cc.agents.accept(r.w.caller("u-carol"), ix)
    bob, carol = r.agents()[f"u-bob {DAY}"], r.agents()[f"u-carol {DAY}"]
    assert (bob["transfers"], bob["handled"], bob["handle_time_s"]) == (1, 1, 30)
    assert (carol["offered"], carol["answered"], carol["wait_s"]) == (1, 1, 7)
    [queue] = r.queues(queue_id=SUPPORT)
    assert (queue["offered"], queue["answered"], queue["transfers"]) == (2, 2, 1)


def test_an_agent_going_offline_requeues_without_a_transfer() -> None:
    r = Reporting(world())
    ix = offered_to_bob(r)
    r.w.cc.agents.accept(r.w.caller("u-bob"), ix)
    r.w.cc.agents.set_status(r.w.caller("u-bob"), "offline")
    bob = r.agents()[f"u-bob {DAY}"]
    assert (bob["transfers"], bob["handled"]) == (0, 1)
    assert r.queues(queue_id=SUPPORT)[0]["offered"] == 2  # the arrival, then the new wait


def test_an_abandoned_wait_belongs_to_the_queue_and_lowers_its_service_level() -> None:
    r = Reporting(world(abandon_after_s=300))
    r.w.text(CUSTOMER)
    r.w.runner.run()
    r.w.now += 950  # abandoned in the next interval
    r.w.runner.run()
    assert r.agents() == {}
    rows = r.queues()
    assert [(q["offered"], q["abandoned"]) for q in rows] == [(1, 0), (0, 1)]
    assert [q["service_level"] for q in rows] == [None, 0]


def test_a_change_seen_twice_counts_once() -> None:
    r = Reporting(world())
    ix = offered_to_bob(r)
    r.w.cc.agents.accept(r.w.caller("u-bob"), ix)
    r.count()
    r.seen = 0  # the stream delivers every record again
    assert r.agents()[f"u-bob {DAY}"]["offered"] == 1
    assert r.queues(queue_id=SUPPORT)[0]["answered"] == 1


def test_days_are_the_zones_days() -> None:
    r = Reporting(world())
    r.w.now = 1_800_000_000 + 15.5 * 3600  # 23:30 UTC on the 15th: the 16th in Kolkata
    offered_to_bob(r)
    assert list(r.agents()) == [f"u-bob {DAY}"]
    kolkata = ZoneInfo("Asia/Kolkata")
    later = r.agents(zone=kolkata, first=date(2027, 1, 16), last=date(2027, 1, 16))
    assert list(later) == ["u-bob 2027-01-16"]
    assert (
        r.queues(zone=kolkata, first=date(2027, 1, 16), last=date(2027, 1, 16))[0]["interval_start"]
        == "2027-01-16T05:00+05:30"
    )


def seeded(store: MemoryReportStore, days: int, agents: list[str]) -> None:
    start = interval_of(1_800_000_000)
    for day in range(days):
        for agent in agents:
            at = start + day * 86400
            store.add_once(
                "acme", f"{agent}{day}", 1, [Tally(AGENT, "acme", agent, at, {"offered": 1})]
            )
            store.add_once(
                "acme",
                f"q{agent}{day}",
                1,
                [Tally(QUEUE, "acme", SUPPORT, at + 900 * agents.index(agent), {"offered": 1})],
            )


def test_pages_follow_the_cursor_across_days_and_agents_to_the_end() -> None:
    r = Reporting(world())
    seeded(r.store, 3, ["u-bob", "u-carol"])
    query = r.query(last=date(2027, 1, 17), limit=4)
    rows: list[str] = []
    cursor = None
    for _ in range(5):
        page = r.reports.agents(
            r.w.caller("u-alice"), ReportQuery(**{**query.__dict__, "cursor": cursor})
        )
        rows += [f"{x['day']} {x['agent_id']}" for x in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert rows == [f"2027-01-{d} {a}" for a in ("u-bob", "u-carol") for d in (15, 16, 17)]
    queue_rows, cursor = [], None
    for _ in range(5):
        page = r.reports.queues(
            r.w.caller("u-alice"), ReportQuery(**{**query.__dict__, "cursor": cursor, "limit": 5})
        )
        queue_rows += [x["interval_start"] for x in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(queue_rows) == 6 and queue_rows == sorted(queue_rows)


def test_a_forged_cursor_is_refused() -> None:
    r = Reporting(world())
    for cursor in ("nonsense", "WyJ1LWJvYiIsIjIwMjctMDEtMTQiXQ"):  # the 14th: out of range
        with pytest.raises(ValidationError) as refused:
            r.reports.agents(r.w.caller("u-alice"), r.query(cursor=cursor))
        assert refused.value.code == "invalid_cursor"


def test_a_supervisor_sees_the_agents_and_queues_of_their_queues_only() -> None:
    r = Reporting(world())
    seeded(r.store, 1, ["u-bob", "u-carol"])
    r.w.cc_repo.put_agent(
        AgentProfile(
            "u-carol", "acme", name="Carol", role="supervisor", skills={"sales": 4}, queues=[SALES]
        )
    )
    assert [row["agent_id"] for row in r.agents("u-carol").values()] == ["u-carol"]
    assert r.queues("u-carol") == []  # Support is not hers
    with pytest.raises(Forbidden) as refused:
        r.queues("u-carol", queue_id=SUPPORT)
    assert refused.value.code == "not_your_queue"
    with pytest.raises(NotFound):
        r.queues("u-alice", queue_id="q-none")
    with pytest.raises(Forbidden) as agent_only:
        r.agents("u-bob")
    assert agent_only.value.code == "supervisor_only"
    assert sorted(row["agent_id"] for row in r.agents("u-alice").values()) == ["u-bob", "u-carol"]


def test_another_companys_figures_are_never_read() -> None:
    r = Reporting(world())
    seeded(r.store, 1, ["u-bob"])
    r.w.cc_repo.put_agent(AgentProfile("u-dave", "globex", name="Dave", role="supervisor"))
    assert r.agents("u-dave") == {}
    assert r.reports.agents(r.w.caller("u-dave"), r.query()).items == []


# -- staffed time and occupancy -------------------------------------------------------------


def test_occupancy_is_time_on_interactions_over_staffed_time_from_the_agents_changes() -> None:
    r = Reporting(world())
    available(r.w, "u-bob")
    r.w.now += 100  # idle
    r.w.text(CUSTOMER)
    r.w.runner.run()  # offered: busy from here
    ix = only_open(r.w).interaction_id
    r.w.now += 12
    r.w.cc.agents.accept(r.w.caller("u-bob"), ix)
    r.w.now += 100
    r.w.cc.agents.end(r.w.caller("u-bob"), ix, EndInteraction(disposition="resolved"))
    r.w.now += 88  # idle again
    r.w.cc.agents.set_status(r.w.caller("u-bob"), "away")
    r.w.now += 60
    r.w.cc.agents.set_status(r.w.caller("u-bob"), "offline")
    r.w.now += 3600  # offline time is not counted
    bob = r.agents()[f"u-bob {DAY}"]
    assert (bob["available_s"], bob["busy_s"], bob["away_s"]) == (188, 112, 60)
    assert bob["occupancy"] == round(112 / 300, 4)
    [support] = r.queues(queue_id=SUPPORT)
    assert (support["available_s"], support["busy_s"]) == (188, 112)
    assert support["occupancy"] == round(112 / 300, 4)


def test_an_agent_without_staffed_time_has_no_occupancy() -> None:
    r = Reporting(world())
    r.w.cc.agents.set_status(r.w.caller("u-bob"), "away")
    r.w.now += 600
    r.w.cc.agents.set_status(r.w.caller("u-bob"), "offline")
    bob = r.agents()[f"u-bob {DAY}"]
    assert (bob["away_s"], bob["available_s"], bob["busy_s"], bob["occupancy"]) == (600, 0, 0, None)


def test_a_spell_across_midnight_is_split_into_its_intervals_and_days() -> None:
    r = Reporting(world())
    midnight = 1_800_057_600  # 2027-01-16T00:00Z
    r.w.now = midnight - 300
    available(r.w, "u-bob")
    r.w.now = midnight + 1200
    r.w.cc.agents.set_status(r.w.caller("u-bob"), "offline")
    r.count()
    found = r.store.agent_intervals("acme", "u-bob", midnight - 86400, midnight + 86400)
    assert [(t.interval - midnight, t.figures) for t in found] == [
        (-900, {"available_s": 300}),
        (0, {"available_s": 900}),
        (900, {"available_s": 300}),
    ]
    rows = r.agents(first=date(2027, 1, 15), last=date(2027, 1, 16))
    assert rows[f"u-bob {DAY}"]["available_s"] == 300
    assert rows["u-bob 2027-01-16"]["available_s"] == 1200


def test_an_agents_change_delivered_again_adds_no_time_twice() -> None:
    r = Reporting(world())
    available(r.w, "u-bob")
    r.w.now += 500
    r.w.cc.agents.set_status(r.w.caller("u-bob"), "offline")
    first = r.agents()[f"u-bob {DAY}"]
    r.seen = 0  # the stream delivers every record again
    assert r.agents()[f"u-bob {DAY}"] == first
    assert first["available_s"] == 500


def test_a_supervisor_reads_only_the_intervals_of_their_agents() -> None:
    r = Reporting(world())
    others = [f"u-x{n:02d}" for n in range(47)]
    seeded(r.store, 2, ["u-bob", "u-carol", *others])
    read: list[str] = []
    store = r.store

    class Watched(MemoryReportStore):
        def agent_intervals(self, company_id: str, agent_id: str, start: int, end: int) -> Any:
            read.append(agent_id)
            return store.agent_intervals(company_id, agent_id, start, end)

    r.reports = ReportService(Watched(), r.w.cc_repo, lambda: r.w.now)
    r.w.cc_repo.put_agent(
        AgentProfile(
            "u-carol", "acme", name="Carol", role="supervisor", skills={"sales": 4}, queues=[SALES]
        )
    )
    theirs = set(r.w.cc_repo.agents_of_queue("acme", SALES))
    rows = r.agents("u-carol", last=date(2027, 1, 17))
    assert {row["agent_id"] for row in rows.values()} == theirs & {"u-bob", "u-carol"}
    assert sorted(read) == sorted(theirs)  # one read per agent of hers, none of the others


def _bobs_changes(r: Reporting) -> None:
    """Bob: available, 100 s idle, offered (busy), 50 s later ended (idle), 30 s later
    offline: 130 s available, 50 s busy."""
    available(r.w, "u-bob")
    r.w.now += 100
    ix = offered_to_bob(r)
    r.w.now += 50
    r.w.cc.agents.accept(r.w.caller("u-bob"), ix)
    r.w.cc.agents.end(r.w.caller("u-bob"), ix, EndInteraction(disposition="resolved"))
    r.w.now += 30
    r.w.cc.agents.set_status(r.w.caller("u-bob"), "offline")


def test_an_agents_record_that_failed_counts_when_retried_after_later_ones() -> None:
    r = Reporting(world())
    _bobs_changes(r)
    agent_changes = [n for n, (kind, _, _) in enumerate(r.changes) if kind == "agent"]
    failed = agent_changes[1]  # the offer's: Lambda retries it after the batch went on
    every = list(r.changes)
    r.changes[failed] = ("skipped", None, None)
    r.count()
    r.changes[:] = every
    r.seen = 0  # the retry (and the stream delivering the rest again)
    bob = r.agents()[f"u-bob {DAY}"]
    assert (bob["available_s"], bob["busy_s"]) == (130, 50)


def test_an_agents_records_count_the_same_in_any_order() -> None:
    r = Reporting(world())
    _bobs_changes(r)
    for kind, old, new in reversed(r.changes):
        if kind == "agent":
            r.reports.count_agent(old, new)
    r.seen = len(r.changes)
    bob = r.agents()[f"u-bob {DAY}"]
    assert (bob["available_s"], bob["busy_s"]) == (130, 50)


def test_an_available_agent_with_only_idle_threads_open_is_idle_not_busy() -> None:
    from chalicelib.domain.report_time import routing_state

    holding = AgentProfile("u-bob", "acme", status="available", load=0, total=2)
    assert routing_state(holding) == "available"
    assert routing_state(replace(holding, load=1)) == "busy"


def test_a_spell_still_open_counts_up_to_the_time_of_reading() -> None:
    r = Reporting(world())
    available(r.w, "u-bob")
    r.w.now += 600  # still available: no change closed the spell
    bob = r.agents()[f"u-bob {DAY}"]
    assert (bob["available_s"], bob["busy_s"], bob["occupancy"]) == (600, 0, 0.0)
    r.w.now += 400
    assert r.agents()[f"u-bob {DAY}"]["available_s"] == 1000
    r.w.cc.agents.set_status(r.w.caller("u-bob"), "offline")
    r.w.now += 5000  # closed: the stored spell alone, counted once
    assert r.agents()[f"u-bob {DAY}"]["available_s"] == 1000


def test_an_agent_left_available_over_a_weekend_counts_as_idle_each_day() -> None:
    r = Reporting(world())
    friday_five_pm = 1_800_000_000 + 9 * 3600  # 2027-01-15T17:00Z
    r.w.now = friday_five_pm
    available(r.w, "u-bob")
    r.w.now = friday_five_pm + (2 * 24 + 16) * 3600  # Monday 09:00Z
    rows = r.agents(last=date(2027, 1, 18))
    assert [rows[f"u-bob 2027-01-{d}"]["available_s"] for d in (15, 16, 17, 18)] == [
        7 * 3600,
        86400,
        86400,
        9 * 3600,
    ]


def test_an_admins_report_reads_only_the_agents_with_figures() -> None:
    r = Reporting(world())
    idle = [f"u-x{n:03d}" for n in range(60)]
    for agent_id in idle:  # profiles without a figure, offline
        r.w.cc_repo.put_agent(AgentProfile(agent_id, "acme", queues=[SUPPORT]))
    seeded(r.store, 1, ["u-bob"])
    read: list[str] = []
    store = r.store

    class Watched(MemoryReportStore):
        def agent_intervals(self, company_id: str, agent_id: str, start: int, end: int) -> Any:
            read.append(agent_id)
            return store.agent_intervals(company_id, agent_id, start, end)

        def agents_with_figures(
            self, company_id: str, start: int, end: int, first: str = ""
        ) -> Any:
            return store.agents_with_figures(company_id, start, end, first)

    r.reports = ReportService(Watched(), r.w.cc_repo, lambda: r.w.now)
    assert {row["agent_id"] for row in r.agents().values()} == {"u-bob"}
    assert read == ["u-bob"]
