"""ComplianceRepository contract: texting policies, consent records, registrations and
their change log, against DynamoDB (on moto) and the in-memory fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.adapters import dynamodb
from chalicelib.domain.compliance import Consent, Registration, TextingPolicy
from chalicelib.services.compliance.ports import ComplianceRepository
from tests import fakes

BUSINESS, PHONE = "+14155550100", "+14155552671"


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request: pytest.FixtureRequest) -> Iterator[ComplianceRepository]:
    if request.param == "memory":
        yield fakes.MemoryComplianceRepository()
        return
    request.getfixturevalue("tables")
    yield dynamodb.DynamoComplianceRepository()


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
    repo.put_consent(consent)
    assert repo.get_consent(BUSINESS, PHONE) == consent
    assert repo.get_consent(PHONE, BUSINESS) is None


def test_a_new_registration_is_saved_once(repo: ComplianceRepository) -> None:
    assert repo.save_registration(campaign(), None) is True
    assert repo.save_registration(campaign(), None) is False
    assert repo.get_registration("acme", "r1") == campaign()
    assert repo.registrations("acme") == [campaign()]
    assert repo.registrations("other") == []


def test_a_status_change_needs_the_status_it_was_read_with(repo: ComplianceRepository) -> None:
    repo.save_registration(campaign(), None)
    approved = campaign("approved", "2026-01-02T00:00:00.000Z")
    assert repo.save_registration(approved, "draft") is False
    assert repo.save_registration(approved, "pending") is True
    assert repo.get_registration("acme", "r1") == approved
    assert [e["status"] for e in repo.registration_history("acme", "r1")] == [
        "pending",
        "approved",
    ]


def test_only_registrations_under_review_are_pending(repo: ComplianceRepository) -> None:
    repo.save_registration(campaign(), None)
    other = campaign()
    other.registration_id, other.company_id = "r2", "globex"
    repo.save_registration(other, None)
    assert {r.registration_id for r in repo.pending_registrations(10)} == {"r1", "r2"}
    repo.save_registration(campaign("approved", "2026-01-03T00:00:00.000Z"), "pending")
    assert [r.registration_id for r in repo.pending_registrations(10)] == ["r2"]
    assert len(repo.pending_registrations(1)) == 1
