"""ComplianceRepository contract: texting policies, consent records, registrations and
their change log, against DynamoDB (on moto) and the in-memory fake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from chalicelib.adapters import dynamodb
from chalicelib.domain.compliance import Consent, ConsentChange, Registration, TextingPolicy
from chalicelib.services.compliance.ports import ComplianceRepository
from chalicelib.services.sms.ports import SmsRepository
from tests import fakes

BUSINESS, PHONE = "+14155550100", "+14155552671"


@pytest.fixture(params=["dynamodb", "memory"])
def repos(request: pytest.FixtureRequest) -> Iterator[tuple[ComplianceRepository, SmsRepository]]:
    """The compliance repository and the SMS repository whose opt-outs share its history."""
    if request.param == "memory":
        sms = fakes.MemorySmsRepository(fakes.MemoryConversationRepository())
        yield fakes.MemoryComplianceRepository(sms), sms
        return
    request.getfixturevalue("tables")
    yield dynamodb.DynamoComplianceRepository(), dynamodb.DynamoSmsRepository()


@pytest.fixture
def repo(repos: tuple[ComplianceRepository, SmsRepository]) -> ComplianceRepository:
    return repos[0]


def campaign(status: str = "pending", at: str = "2026-01-01T00:00:00.000Z") -> Registration:
    return Registration(
        registration_id="r1",
        company_id="acme",
        type="campaign",
        provider="eum",
        status=status,
        provider_id="registration-abc",
        provider_status="SUBMITTED",
        details={"use_case": "CUSTOMER_CARE", "sample_messages": ["Your order shipped"]},
        numbers=[BUSINESS],
        updated_at=at,
    )


def test_a_texting_policy_reads_back_as_written(repo: ComplianceRepository) -> None:
    assert repo.get_texting_policy("acme") is None
    policy = TextingPolicy("acme", sender_name="Acme", quiet_hours=True, toll_free="never")
    repo.put_texting_policy(policy)
    assert repo.get_texting_policy("acme") == policy
    assert repo.get_texting_policy("other") is None


def test_a_consent_record_reads_back_per_pair_of_numbers(repo: ComplianceRepository) -> None:
    consent = Consent(BUSINESS, PHONE, opted_in_how="web form", recorded_by="u-alice")
    repo.put_consent(consent, ConsentChange("opted_in_how", "2026-01-01T00:00:00.000Z", "u-alice"))
    assert repo.get_consent(BUSINESS, PHONE) == consent
    assert repo.get_consent(PHONE, BUSINESS) is None


def test_a_new_registration_is_saved_once(repo: ComplianceRepository) -> None:
    assert repo.save_registration(campaign()) is True
    assert repo.save_registration(campaign()) is False
    stored = repo.get_registration("acme", "r1")
    assert stored is not None and stored.version == 1
    assert stored == replace(campaign(), version=1)
    assert repo.registrations("acme") == [replace(campaign(), version=1)]
    assert repo.registrations("other") == []


def test_a_change_needs_the_version_it_was_read_with(repo: ComplianceRepository) -> None:
    repo.save_registration(campaign())
    approved = replace(campaign("approved", "2026-01-02T00:00:00.000Z"), version=0)
    assert repo.save_registration(approved) is False  # read before it was stored
    approved.version = 1
    assert repo.save_registration(approved) is True
    assert approved.version == 2
    assert repo.get_registration("acme", "r1") == approved
    assert [e["status"] for e in repo.registration_history("acme", "r1")] == [
        "pending",
        "approved",
    ]


def test_two_writers_of_one_read_never_overwrite_each_other(repo: ComplianceRepository) -> None:
    """Two pollers (or a poller and an admin's import) read the same registration and
    both change it without changing its status: the second write is refused, not laid
    over the first (a condition on the status alone let both through)."""
    repo.save_registration(campaign())
    first = repo.get_registration("acme", "r1")
    second = repo.get_registration("acme", "r1")
    assert first is not None and second is not None
    first.provider_status, first.reason = "REVIEWING", "with the carrier"
    first.updated_at = "2026-01-02T00:00:00.000Z"
    second.provider_status, second.reason = "AWS_REVIEWING", "stale"
    second.updated_at = "2026-01-02T00:00:01.000Z"
    assert repo.save_registration(first) is True
    assert repo.save_registration(second) is False
    stored = repo.get_registration("acme", "r1")
    assert stored is not None and (stored.provider_status, stored.reason) == (
        "REVIEWING",
        "with the carrier",
    )


def test_only_registrations_under_review_are_pending(repo: ComplianceRepository) -> None:
    repo.save_registration(campaign())
    other = campaign()
    other.registration_id, other.company_id = "r2", "globex"
    repo.save_registration(other)
    assert {r.registration_id for r in repo.pending_registrations(10).items} == {"r1", "r2"}
    repo.save_registration(replace(campaign("approved", "2026-01-03T00:00:00.000Z"), version=1))
    assert [r.registration_id for r in repo.pending_registrations(10).items] == ["r2"]


def test_registrations_under_review_are_read_a_page_at_a_time(
    repo: ComplianceRepository,
) -> None:
    for n in range(5):
        repo.save_registration(replace(campaign(), registration_id=f"r{n}"))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = repo.pending_registrations(2, cursor)
        assert len(page.items) <= 2
        seen += [r.registration_id for r in page.items]
        pages += 1
        cursor = page.next_cursor
        if not cursor:
            break
    assert sorted(seen) == [f"r{n}" for n in range(5)] and pages == 3


def test_a_pending_cursor_of_another_list_is_refused(repo: ComplianceRepository) -> None:
    from chalicelib.adapters.cursors import encode_cursor
    from chalicelib.domain.errors import ValidationError

    with pytest.raises(ValidationError):
        repo.pending_registrations(2, encode_cursor({"k": "x"}, "users"))


def at(n: int) -> str:
    return f"2026-01-01T00:00:{n:02d}.000Z"


def test_consent_history_holds_opt_outs_and_the_records_changes_newest_first(
    repos: tuple[ComplianceRepository, SmsRepository],
) -> None:
    repo, sms = repos
    record = Consent(BUSINESS, PHONE, opted_in_how="paper form", recorded_by="u-alice")
    repo.put_consent(record, ConsentChange("opted_in_how", at(1), "u-alice", "paper form"))
    sms.set_opt_out(BUSINESS, PHONE, True, "STOP", "eum:in-1", at(2), text="STOP")
    repo.put_consent(record, ConsentChange("flagged", at(3), "eum:in-2", "wrong number"))
    repo.put_consent(record, ConsentChange("review_done", at(4), "u-bob", "wrong number"))
    sms.set_opt_out(BUSINESS, PHONE, False, "START", "eum:in-3", at(5), text="start")
    history = repo.consent_history(BUSINESS, PHONE, 10)
    assert history.next_cursor is None
    assert [(e["change"], e["by"]) for e in history.items] == [
        ("opted_in", "eum:in-3"),
        ("review_done", "u-bob"),
        ("flagged", "eum:in-2"),
        ("opted_out", "eum:in-1"),
        ("opted_in_how", "u-alice"),
    ]
    assert history.items[3] == {
        "change": "opted_out",
        "at": at(2),
        "by": "eum:in-1",
        "via": "STOP",
        "text": "STOP",
    }
    assert history.items[4]["text"] == "paper form"
    # the opt-out audit still lists only opt-outs and opt-ins
    assert [e["keyword"] for e in sms.opt_out_history(BUSINESS, PHONE)] == ["STOP", "START"]
    assert repo.consent_history(PHONE, BUSINESS, 10).items == []


def test_consent_history_is_read_a_page_at_a_time(
    repos: tuple[ComplianceRepository, SmsRepository],
) -> None:
    repo, _ = repos
    record = Consent(BUSINESS, PHONE)
    for n in range(5):
        repo.put_consent(record, ConsentChange("opted_in_how", at(n), "u-alice", f"form {n}"))
    first = repo.consent_history(BUSINESS, PHONE, 2)
    second = repo.consent_history(BUSINESS, PHONE, 2, first.next_cursor)
    third = repo.consent_history(BUSINESS, PHONE, 2, second.next_cursor)
    texts = [e["text"] for page in (first, second, third) for e in page.items]
    assert texts == ["form 4", "form 3", "form 2", "form 1", "form 0"]
    assert third.next_cursor is None


# -- versions: a write never lands on a copy someone else changed meanwhile ------------------


def test_a_texting_policy_written_over_a_stale_read_is_refused(repo: ComplianceRepository) -> None:
    assert repo.put_texting_policy(TextingPolicy("acme", sender_name="Acme")) is True
    first = repo.get_texting_policy("acme", consistent=True)
    second = repo.get_texting_policy("acme", consistent=True)
    assert first is not None and second is not None and first.version == 1
    first.quiet_hours = True
    assert repo.put_texting_policy(first) is True and first.version == 2
    second.toll_free = "never"
    assert repo.put_texting_policy(second) is False  # read before the first write
    stored = repo.get_texting_policy("acme", consistent=True)
    assert stored == first and stored is not None and stored.toll_free == "verified"
    assert repo.put_texting_policy(TextingPolicy("acme")) is False  # "new", but it exists


def test_a_consent_record_written_over_a_stale_read_is_refused(
    repo: ComplianceRepository,
) -> None:
    from chalicelib.domain.errors import ConcurrentUpdate

    assert repo.put_consent(Consent(BUSINESS, PHONE), ConsentChange("opted_in_how", at(1), "u-a"))
    person = repo.get_consent(BUSINESS, PHONE)
    rules = repo.get_consent(BUSINESS, PHONE)
    assert person is not None and rules is not None and person.version == 1
    rules.review_text, rules.review_at = "wrong number", at(2)
    assert repo.put_consent(rules, ConsentChange("flagged", at(2), "eum:in-1", "wrong number"))
    person.opted_in_how = "web form"
    with pytest.raises(ConcurrentUpdate):
        repo.put_consent(person, ConsentChange("opted_in_how", at(3), "u-a", "web form"))
    stored = repo.get_consent(BUSINESS, PHONE)
    assert stored is not None and (stored.review_text, stored.opted_in_how) == ("wrong number", "")
    assert [e["change"] for e in repo.consent_history(BUSINESS, PHONE, 10).items] == [
        "flagged",
        "opted_in_how",
    ]


def test_a_consent_change_already_in_the_history_is_not_written_again(
    repo: ComplianceRepository,
) -> None:
    """A provider's retry of a flagged text: the same entry (time, change, text's id)
    exists, so nothing is written, not even the record a person cleared since."""
    flag = ConsentChange("flagged", at(1), "eum:in-1", "wrong number")
    record = Consent(BUSINESS, PHONE, review_text="wrong number", review_at=at(1))
    assert repo.put_consent(record, flag) is True
    cleared = Consent(BUSINESS, PHONE, version=record.version)
    assert repo.put_consent(cleared, ConsentChange("review_done", at(2), "u-bob")) is True
    again = Consent(BUSINESS, PHONE, review_text="wrong number", review_at=at(1), version=2)
    assert repo.put_consent(again, flag) is False
    stored = repo.get_consent(BUSINESS, PHONE)
    assert stored is not None and stored.review_at == "" and stored.version == 2
    assert len(repo.consent_history(BUSINESS, PHONE, 10).items) == 2


def test_a_cursor_past_a_registration_resumes_after_it_even_once_it_left_the_index(
    repo: ComplianceRepository,
) -> None:
    for n in range(4):
        repo.save_registration(replace(campaign(), registration_id=f"r{n}"))
    polled = repo.get_registration("acme", "r1")
    assert polled is not None
    approved = replace(polled, status="approved", updated_at="2026-01-02T00:00:00.000Z")
    assert repo.save_registration(approved) is True  # r1 leaves the index
    after = repo.pending_registrations(10, repo.pending_cursor_after(polled))
    assert [r.registration_id for r in after.items] == ["r2", "r3"]


def test_the_pollers_cursor_is_kept_between_runs(repo: ComplianceRepository) -> None:
    assert repo.poll_cursor() is None
    repo.save_registration(campaign())
    cursor = repo.pending_cursor_after(campaign())
    repo.save_poll_cursor(cursor)
    assert repo.poll_cursor() == cursor
    repo.save_poll_cursor(None)
    assert repo.poll_cursor() is None
