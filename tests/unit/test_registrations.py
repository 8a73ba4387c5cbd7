"""The registrations service: the poller reads every registration under review (a page
of the index at a time), and what it and the carriers' refusals write on a business
number is only its registration (an admin's concurrent change to the rest stays)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.compliance import Registration
from chalicelib.domain.model import BusinessNumber
from tests.support import World

SHOP = "+14155550100"


@pytest.fixture
def world() -> World:
    w = World()
    w.sms_repo.put_number(BusinessNumber(SHOP, "acme", users=["u-alice"]))
    return w


def campaign(registration_id: str = "campaign-1", status: str = "pending") -> Registration:
    return Registration(
        registration_id=registration_id,
        company_id="acme",
        type="campaign",
        provider="eum",
        status=status,
        provider_id=f"registration-{registration_id}",
        provider_status="REVIEWING",
        numbers=[SHOP],
    )


def admin_changes_the_number_after_every_read(world: World) -> None:
    """An admin's change lands just after each read of the number (a race); a writer
    that reads nothing meets it whenever (``admin_change`` again at the end)."""
    read = world.sms_repo.get_number

    def racing(e164: str) -> BusinessNumber | None:
        seen = read(e164)
        admin_change(world)
        return seen

    world.sms_repo.get_number = racing  # type: ignore[method-assign]


def admin_change(world: World) -> None:
    stored = world.sms_repo.numbers[SHOP]
    if stored.state != "inactive":
        stored.users, stored.state = ["u-alice", "u-bob"], "inactive"


def test_the_poller_reads_every_registration_under_review_not_just_a_first_page(
    world: World,
) -> None:
    for n in range(25):
        world.compliance_repo.save_registration(campaign(f"c{n:02d}"))
        world.registration_source.statuses[f"registration-c{n:02d}"] = ("COMPLETE", "")
    assert world.services.registrations.poll(page_size=10) == {"pending": 25, "changed": 25}
    assert sorted(set(world.registration_source.asked)) == sorted(
        f"registration-c{n:02d}" for n in range(25)
    )
    assert world.compliance_repo.pending_registrations(100).items == []


def test_a_registrations_status_reaches_its_numbers_without_undoing_an_admins_change(
    world: World,
) -> None:
    admin_changes_the_number_after_every_read(world)
    world.services.registrations.record(campaign(status="approved"))
    admin_change(world)
    number = world.sms_repo.numbers[SHOP]
    assert (number.registration, number.registration_status) == ("10dlc", "approved")
    assert number.users == ["u-alice", "u-bob"] and number.state == "inactive"


def test_a_carrier_refusal_marks_the_number_without_undoing_an_admins_change(
    world: World,
) -> None:
    admin_changes_the_number_after_every_read(world)
    world.services.registrations.carrier_refused(SHOP, "30034")
    admin_change(world)
    number = world.sms_repo.numbers[SHOP]
    assert number.registration_status == "needs_updates" and "30034" in (number.registration_reason)
    assert number.users == ["u-alice", "u-bob"] and number.state == "inactive"


def test_a_poller_that_read_before_an_admins_import_does_not_overwrite_it(
    world: World,
) -> None:
    """The poller read version 1; the operator's import wrote version 2 meanwhile: the
    poller's write is refused and the import stands (the next run reads it)."""
    world.compliance_repo.save_registration(campaign())
    stale = world.compliance_repo.get_registration("acme", "campaign-1")
    assert stale is not None
    imported = replace(stale, provider_status="REQUIRES_UPDATES", status="needs_updates")
    world.compliance_repo.save_registration(imported)
    world.registration_source.statuses["registration-campaign-1"] = ("COMPLETE", "")
    original = world.compliance_repo.pending_registrations

    def stale_page(limit: int, cursor: str | None = None):  # type: ignore[no-untyped-def]
        page = original(limit, cursor)
        page.items = [stale]
        return page

    world.compliance_repo.pending_registrations = stale_page  # type: ignore[method-assign]
    assert world.services.registrations.poll() == {"pending": 1, "changed": 0}
    stored = world.compliance_repo.get_registration("acme", "campaign-1")
    assert stored is not None and stored.status == "needs_updates"


class LambdaTime:
    """The Lambda's remaining time, in seconds: each provider call takes one."""

    def __init__(self, world: World, seconds: float) -> None:
        self.left = seconds
        asked = world.registration_source.registration_status

        def slow(registration: Registration) -> tuple[str, str]:
            self.left -= 1
            return asked(registration)

        world.registration_source.registration_status = slow  # type: ignore[method-assign]

    def __call__(self) -> float:
        return self.left


def test_the_poller_stops_before_the_lambdas_time_runs_out_and_resumes_on_its_next_run(
    world: World,
) -> None:
    """25 registrations under review; each run has time for 7 provider calls before its
    15-second margin: every run goes on where the last stopped (none is asked twice
    before all were asked once), and the fourth run finishes and starts over after."""
    for n in range(25):
        world.compliance_repo.save_registration(campaign(f"c{n:02d}"))
    runs = []
    for _ in range(4):
        clock = LambdaTime(world, 15 + 7)
        asked_before = len(world.registration_source.asked)
        result = world.services.registrations.poll(page_size=10, time_left=clock, margin=15)
        assert clock.left >= 15
        runs.append(world.registration_source.asked[asked_before:])
        assert result["pending"] == len(runs[-1])
    assert [len(r) for r in runs] == [7, 7, 7, 4]
    asked = [a for run in runs for a in run]
    assert sorted(asked) == sorted(f"registration-c{n:02d}" for n in range(25))
    assert world.compliance_repo.poll_cursor() is None  # all polled: the next run starts over
    world.services.registrations.poll(page_size=10, time_left=LambdaTime(world, 17), margin=15)
    assert world.registration_source.asked[-2:] == ["registration-c00", "registration-c01"]


def test_the_poller_resumes_past_registrations_that_left_the_index(world: World) -> None:
    """Approved registrations leave the index as they are polled; the next run resumes
    just past the last one polled, skipping none of the rest."""
    for n in range(6):
        world.compliance_repo.save_registration(campaign(f"c{n}"))
        world.registration_source.statuses[f"registration-c{n}"] = ("COMPLETE", "")
    world.services.registrations.poll(page_size=4, time_left=LambdaTime(world, 18), margin=15)
    assert world.registration_source.asked == [f"registration-c{n}" for n in range(3)]
    world.registration_source.statuses["registration-c0"] = ("COMPLETE", "")
    assert world.services.registrations.poll(page_size=4) == {"pending": 3, "changed": 3}
    assert world.registration_source.asked[3:] == [f"registration-c{n}" for n in range(3, 6)]
    assert world.compliance_repo.pending_registrations(10).items == []


def test_an_unreadable_poller_cursor_starts_over_from_the_first_page(world: World) -> None:
    world.compliance_repo.save_registration(campaign())
    world.compliance_repo.save_poll_cursor("not-a-cursor")
    assert world.services.registrations.poll() == {"pending": 1, "changed": 0}
    assert world.compliance_repo.poll_cursor() is None
