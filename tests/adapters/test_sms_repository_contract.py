"""SmsRepository contract: every method, against DynamoDB (on moto) and the fake.

The DynamoDB adapter is the reference; a fake that disagrees is fixed to match.
Message statuses are read back through the conversation repository the SMS
repository shares its messages with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pytest

from chalicelib.adapters import dynamodb
from chalicelib.domain.model import BusinessNumber, Conversation, Message, Policy, User
from chalicelib.services.ports import ConversationRepository
from chalicelib.services.sms.ports import SmsRepository
from tests import fakes

BUSINESS = "+14155550100"
OTHER_BUSINESS = "+14155550199"
PHONE = "+14155552671"
OTHER_PHONE = "+12125550123"
EARLY, CUTOFF, LATE = (
    "2026-01-01T00:00:00.000Z",
    "2026-01-02T00:00:00.000Z",
    "2026-01-05T00:00:00.000Z",
)


@dataclass
class Repos:
    sms: SmsRepository
    conversations: ConversationRepository

    def status(self, conversation_id: str, seq: int) -> str:
        message = self.conversations.get_message(conversation_id, seq)
        assert message is not None
        return message.status

    def text(
        self,
        seq: int,
        *,
        conversation_id: str = "s1",
        at: str = EARLY,
        status: str = "queued",
        direction: str = "outbound",
        channel: str = "sms",
    ) -> Message:
        """Append one text to an SMS conversation (created on first use)."""
        conv = self.conversations.get(conversation_id) or sms_conversation(
            self.conversations, conversation_id, BUSINESS, PHONE, at
        )
        return self.conversations.append_message(
            conv,
            Message(
                conversation_id=conversation_id,
                company_id="acme",
                seq=seq,
                client_id=f"c{seq}",
                sender="u-alice" if direction == "outbound" else PHONE,
                text="hi",
                created_at=at,
                status=status,
                channel=channel,
                direction=direction if channel == "sms" else "",
                segments=1 if channel == "sms" else 0,
                encoding="GSM-7" if channel == "sms" else "",
            ),
        )


def sms_conversation(
    conversations: ConversationRepository,
    conversation_id: str,
    business: str,
    external: str,
    at: str = EARLY,
) -> Conversation:
    created, _ = conversations.create(
        Conversation(
            conversation_id=conversation_id,
            company_id="acme",
            type="sms",
            members=["u-alice"],
            created_by="u-alice",
            created_at=at,
            updated_at=at,
            business_number=business,
            external_number=external,
        )
    )
    return created


@pytest.fixture(params=["dynamodb", "memory"])
def repos(request: pytest.FixtureRequest) -> Iterator[Repos]:
    if request.param == "memory":
        conversations = fakes.MemoryConversationRepository()
        yield Repos(fakes.MemorySmsRepository(conversations), conversations)
        return
    request.getfixturevalue("tables")
    yield Repos(dynamodb.DynamoSmsRepository(), dynamodb.DynamoConversationRepository())


# -- business numbers ------------------------------------------------------------------


def test_a_number_reads_back_as_stored_and_a_second_put_replaces_it(repos: Repos) -> None:
    number = BusinessNumber(
        BUSINESS, "acme", "toll_free", "US", ["sms"], "eum", "active", ["u-alice", "u-bob"]
    )
    repos.sms.put_number(number)
    assert repos.sms.get_number(BUSINESS) == number
    repos.sms.put_number(BusinessNumber(BUSINESS, "acme", users=["u-carol"]))
    assert repos.sms.get_number(BUSINESS) == BusinessNumber(BUSINESS, "acme", users=["u-carol"])
    assert repos.sms.get_number(OTHER_BUSINESS) is None


def test_a_companys_numbers_are_listed_in_number_order_and_no_others(repos: Repos) -> None:
    for e164, company in [
        ("+14155550300", "acme"),
        ("+14155550100", "acme"),
        ("+14155550200", "globex"),
        ("+14155550150", "acme"),
    ]:
        repos.sms.put_number(BusinessNumber(e164, company))
    assert [n.e164 for n in repos.sms.numbers_of_company("acme")] == [
        "+14155550100",
        "+14155550150",
        "+14155550300",
    ]
    assert repos.sms.numbers_of_company("initech") == []


def test_a_users_numbers_are_those_on_the_profile_that_exist(repos: Repos) -> None:
    repos.sms.put_number(BusinessNumber(BUSINESS, "acme", users=["u-alice"]))
    repos.sms.put_number(BusinessNumber(OTHER_BUSINESS, "acme", users=["u-alice"]))
    repos.sms.put_number(BusinessNumber("+14155550177", "acme", users=["u-bob"]))
    alice = User(
        "u-alice",
        "acme",
        "Alice",
        "a@acme.test",
        numbers=[OTHER_BUSINESS, "+19995550000", BUSINESS],
    )
    assert sorted(n.e164 for n in repos.sms.numbers_of(alice)) == [BUSINESS, OTHER_BUSINESS]
    assert repos.sms.numbers_of(User("u-erin", "acme", "Erin", "e@acme.test")) == []


def test_a_numbers_conversations_are_its_sms_conversations_only(repos: Repos) -> None:
    sms_conversation(repos.conversations, "s1", BUSINESS, PHONE)
    sms_conversation(repos.conversations, "s2", BUSINESS, OTHER_PHONE)
    sms_conversation(repos.conversations, "s3", OTHER_BUSINESS, PHONE)
    repos.conversations.create(
        Conversation("g1", "acme", "im", ["u-alice", "u-bob"], "u-alice", EARLY, EARLY)
    )
    assert sorted(repos.sms.conversations_of_number(BUSINESS)) == ["s1", "s2"]
    assert repos.sms.conversations_of_number(OTHER_BUSINESS) == ["s3"]
    assert repos.sms.conversations_of_number("+14155550000") == []


# -- policies --------------------------------------------------------------------------


def test_policies_read_back_per_company_in_id_order(repos: Repos) -> None:
    repos.sms.put_policy(Policy("p2", "acme", "No texting", sms_enabled=False))
    repos.sms.put_policy(Policy("p1", "acme", "Sales"))
    repos.sms.put_policy(Policy("p1", "globex", "Globex sales"))
    assert repos.sms.get_policy("acme", "p2") == Policy("p2", "acme", "No texting", False)
    assert repos.sms.get_policy("acme", "p9") is None
    assert repos.sms.policies("acme") == [
        Policy("p1", "acme", "Sales", True),
        Policy("p2", "acme", "No texting", False),
    ]
    repos.sms.put_policy(Policy("p1", "acme", "Sales team", sms_enabled=False))
    assert repos.sms.get_policy("acme", "p1") == Policy("p1", "acme", "Sales team", False)
    assert repos.sms.policies("initech") == []


# -- opt-outs --------------------------------------------------------------------------


def test_an_opt_out_is_recorded_once_per_pair_of_numbers(repos: Repos) -> None:
    assert repos.sms.opted_out(BUSINESS, PHONE) is False
    assert repos.sms.set_opt_out(BUSINESS, PHONE, True, "STOP", "SM1", "t1") is True
    assert repos.sms.set_opt_out(BUSINESS, PHONE, True, "QUIT", "SM2", "t2") is False
    assert repos.sms.opted_out(BUSINESS, PHONE) is True
    assert repos.sms.opted_out(BUSINESS, OTHER_PHONE) is False
    assert repos.sms.opted_out(OTHER_BUSINESS, PHONE) is False
    assert repos.sms.opted_out(PHONE, BUSINESS) is False


def test_opting_in_without_an_opt_out_changes_nothing(repos: Repos) -> None:
    assert repos.sms.set_opt_out(BUSINESS, PHONE, False, "START", "SM1", "t1") is False
    assert repos.sms.opted_out(BUSINESS, PHONE) is False
    assert repos.sms.opt_out_history(BUSINESS, PHONE) == []


def test_the_opt_out_audit_trail_lists_each_change_oldest_first(repos: Repos) -> None:
    at = ["2026-01-01T00:00:00.000Z", "2026-01-01T00:00:05.000Z", "2026-01-02T00:00:00.000Z"]
    repos.sms.set_opt_out(BUSINESS, PHONE, True, "STOP", "SM1", at[0], text="Stop.")
    repos.sms.set_opt_out(BUSINESS, PHONE, True, "STOP", "SM2", at[1])  # no change: no entry
    repos.sms.set_opt_out(BUSINESS, PHONE, False, "START", "SM3", at[1], text="start")
    repos.sms.set_opt_out(BUSINESS, PHONE, True, "admin", "u-alice", at[2])
    assert repos.sms.opt_out_history(BUSINESS, PHONE) == [
        {"opted_out": True, "keyword": "STOP", "at": at[0], "source": "SM1", "text": "Stop."},
        {"opted_out": False, "keyword": "START", "at": at[1], "source": "SM3", "text": "start"},
        {"opted_out": True, "keyword": "admin", "at": at[2], "source": "u-alice", "text": ""},
    ]
    assert repos.sms.opt_out_history(BUSINESS, OTHER_PHONE) == []


def test_the_audit_trail_is_in_time_order_even_when_changes_arrive_out_of_order(
    repos: Repos,
) -> None:
    repos.sms.set_opt_out(BUSINESS, PHONE, True, "STOP", "SM2", "2026-01-01T00:00:09.000Z")
    repos.sms.set_opt_out(BUSINESS, PHONE, False, "START", "SM1", "2026-01-01T00:00:01.000Z")
    assert [h["at"] for h in repos.sms.opt_out_history(BUSINESS, PHONE)] == [
        "2026-01-01T00:00:01.000Z",
        "2026-01-01T00:00:09.000Z",
    ]


# -- provider message ids --------------------------------------------------------------


def test_a_provider_message_id_leads_back_to_its_message(repos: Repos) -> None:
    repos.sms.map_provider_message("twilio", "SM1", "s1", 3)
    repos.sms.map_provider_message("twilio", "SM1", "s1", 3)  # a retried mapping
    repos.sms.map_provider_message("eum", "SM2", "s2", 7)
    assert repos.sms.find_provider_message("twilio", "SM1") == ("s1", 3)
    assert repos.sms.find_provider_message("eum", "SM2") == ("s2", 7)
    assert repos.sms.find_provider_message("eum", "SM1") is None  # ids are per provider
    assert repos.sms.find_provider_message("twilio", "SM9") is None


# -- rate windows ----------------------------------------------------------------------


def test_a_rate_window_admits_requests_up_to_its_limit(repos: Repos) -> None:
    assert [repos.sms.take_rate("user#u-alice", 60, 3) for _ in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_each_key_and_each_window_counts_on_its_own(repos: Repos) -> None:
    assert [repos.sms.take_rate("user#u-alice", 60, 1) for _ in range(2)] == [True, False]
    assert repos.sms.take_rate("user#u-bob", 60, 1) is True
    assert repos.sms.take_rate("user#u-alice", 120, 1) is True
    assert repos.sms.take_rate("company#acme", 60, 1) is True


def test_a_lower_limit_counts_what_the_window_already_took(repos: Repos) -> None:
    assert [repos.sms.take_rate("k", 60, 10) for _ in range(3)] == [True, True, True]
    assert repos.sms.take_rate("k", 60, 3) is False
    assert repos.sms.take_rate("k", 60, 4) is True


# -- usage -----------------------------------------------------------------------------


def usage_row(day: str, scope: str, out: tuple[int, int], inb: tuple[int, int]) -> dict[str, Any]:
    return {
        "day": day,
        "scope": scope,
        "outbound": {"messages": out[0], "segments": out[1]},
        "inbound": {"messages": inb[0], "segments": inb[1]},
    }


def test_usage_counts_messages_and_segments_per_day_for_the_company_and_each_user(
    repos: Repos,
) -> None:
    day1, day2 = "2026-01-01", "2026-01-02"
    repos.sms.add_usage("acme", "u-zoe", day1, "outbound", 2)
    repos.sms.add_usage("acme", "abe", day1, "outbound", 1)
    repos.sms.add_usage("acme", "u-zoe", day1, "outbound", 3)
    repos.sms.add_usage("acme", None, day1, "inbound", 4)  # inbound: the company's only
    repos.sms.add_usage("acme", None, day2, "inbound", 1)
    assert repos.sms.usage("acme", day1, day2) == [
        usage_row(day1, "company", (3, 6), (1, 4)),
        usage_row(day1, "abe", (1, 1), (0, 0)),
        usage_row(day1, "u-zoe", (2, 5), (0, 0)),
        usage_row(day2, "company", (0, 0), (1, 1)),
    ]


def test_usage_covers_only_the_days_asked_for_and_the_company_asked_about(repos: Repos) -> None:
    for day in ["2025-12-31", "2026-01-01", "2026-01-02", "2026-01-03"]:
        repos.sms.add_usage("acme", None, day, "outbound", 1)
    repos.sms.add_usage("globex", "u-dave", "2026-01-02", "outbound", 1)
    assert [r["day"] for r in repos.sms.usage("acme", "2026-01-01", "2026-01-02")] == [
        "2026-01-01",
        "2026-01-02",
    ]
    assert repos.sms.usage("acme", "2026-02-01", "2026-02-28") == []
    assert repos.sms.usage("initech", "2026-01-01", "2026-01-31") == []


# -- pacing ----------------------------------------------------------------------------


def test_pacing_slots_do_not_overlap(repos: Repos) -> None:
    now, costs = 1000.0, [1.0, 0.5, 2.0, 0.25, 1.0]
    slots = []
    for cost in costs:
        wait = repos.sms.take_pace(BUSINESS, cost, now, 60)
        slots.append((now + wait, now + wait + cost))
    assert slots[0][0] == now  # the first send goes at once
    for (_, end), (start, _) in pairwise(slots):
        assert start == pytest.approx(end)  # each slot starts where the last one ended


def test_each_number_has_its_own_pace(repos: Repos) -> None:
    assert repos.sms.take_pace(BUSINESS, 5.0, 1000.0, 60) == 0
    assert repos.sms.take_pace(OTHER_BUSINESS, 5.0, 1000.0, 60) == 0
    assert repos.sms.take_pace(BUSINESS, 5.0, 1000.0, 60) == pytest.approx(5.0)


def test_a_number_idle_since_its_last_slot_sends_at_once(repos: Repos) -> None:
    assert repos.sms.take_pace(BUSINESS, 1.0, 1000.0, 60) == 0
    assert repos.sms.take_pace(BUSINESS, 1.0, 1010.0, 60) == 0
    assert repos.sms.take_pace(BUSINESS, 1.0, 1010.0, 60) == pytest.approx(1.0)


def test_a_wait_beyond_the_limit_is_reported_and_reserves_nothing(repos: Repos) -> None:
    assert repos.sms.take_pace(BUSINESS, 30.0, 1000.0, 10) == 0
    assert repos.sms.take_pace(BUSINESS, 1.0, 1000.0, 10) == pytest.approx(30.0)
    assert repos.sms.take_pace(BUSINESS, 1.0, 1000.0, 10) == pytest.approx(30.0)
    assert repos.sms.take_pace(BUSINESS, 1.0, 1025.0, 10) == pytest.approx(5.0)
    assert repos.sms.take_pace(BUSINESS, 1.0, 1025.0, 10) == pytest.approx(6.0)


# -- the send claim --------------------------------------------------------------------


def test_a_claimed_text_cannot_be_claimed_again(repos: Repos) -> None:
    repos.text(1)
    assert repos.sms.claim_send("s1", 1) is True
    assert repos.status("s1", 1) == "sending"
    assert repos.sms.claim_send("s1", 1) is False
    assert repos.status("s1", 1) == "sending"


def test_a_deleted_text_cannot_be_claimed(repos: Repos) -> None:
    repos.text(1)
    repos.conversations.mark_deleted("s1", 1, LATE)
    assert repos.sms.claim_send("s1", 1) is False
    assert repos.status("s1", 1) == "queued"


def test_a_text_that_does_not_exist_cannot_be_claimed(repos: Repos) -> None:
    repos.text(1)
    assert repos.sms.claim_send("s1", 2) is False
    assert repos.sms.claim_send("s9", 1) is False
    assert repos.conversations.get_message("s1", 2) is None


@pytest.mark.parametrize("status", ["sent", "delivered", "failed", "unknown"])
def test_a_text_past_the_queue_cannot_be_claimed(repos: Repos, status: str) -> None:
    repos.text(1)
    assert repos.sms.advance_status("s1", 1, status) is True
    assert repos.sms.claim_send("s1", 1) is False
    assert repos.status("s1", 1) == status


def test_a_released_text_is_queued_again_and_can_be_claimed_again(repos: Repos) -> None:
    repos.text(1)
    repos.sms.claim_send("s1", 1)
    repos.sms.release_send("s1", 1)
    assert repos.status("s1", 1) == "queued"
    assert repos.sms.claim_send("s1", 1) is True


def test_release_after_provider_id_set_keeps_it_sending(repos: Repos) -> None:
    repos.text(1)
    repos.sms.claim_send("s1", 1)
    repos.sms.set_provider_id("s1", 1, "SM123")
    repos.sms.release_send("s1", 1)
    stored = repos.conversations.get_message("s1", 1)
    assert stored is not None
    assert (stored.status, stored.provider_message_id) == ("sending", "SM123")
    assert repos.sms.claim_send("s1", 1) is False


@pytest.mark.parametrize("status", ["queued", "sent", "delivered"])
def test_releasing_a_text_that_is_not_being_sent_changes_nothing(repos: Repos, status: str) -> None:
    repos.text(1)
    if status != "queued":
        repos.sms.advance_status("s1", 1, status)
    repos.sms.release_send("s1", 1)
    assert repos.status("s1", 1) == status
    repos.sms.release_send("s1", 9)  # no such text: nothing to release, no error
    assert repos.conversations.get_message("s1", 9) is None


def test_the_provider_id_is_stored_on_the_text(repos: Repos) -> None:
    repos.text(1)
    repos.text(2)
    repos.sms.claim_send("s1", 1)
    repos.sms.set_provider_id("s1", 1, "SM123")
    first, second = (
        repos.conversations.get_message("s1", 1),
        repos.conversations.get_message("s1", 2),
    )
    assert first is not None and second is not None
    assert (first.provider_message_id, first.status) == ("SM123", "sending")
    assert second.provider_message_id == ""


# -- statuses --------------------------------------------------------------------------


def test_status_never_moves_backwards_and_unknown_statuses_are_ignored(repos: Repos) -> None:
    repos.text(1)
    assert repos.sms.advance_status("s1", 1, "sent") is True
    assert repos.sms.advance_status("s1", 1, "sending") is False  # a late step
    assert repos.sms.advance_status("s1", 1, "queued") is False
    assert repos.sms.advance_status("s1", 1, "sent") is False  # a repeated callback
    assert repos.sms.advance_status("s1", 1, "accepted-by-carrier") is False  # not ours
    assert repos.status("s1", 1) == "sent"
    assert repos.sms.advance_status("s1", 1, "delivered") is True
    assert repos.sms.advance_status("s1", 1, "failed") is False  # the first final status wins
    assert repos.status("s1", 1) == "delivered"


def test_an_unknown_status_never_replaces_a_queued_one(repos: Repos) -> None:
    repos.text(1)
    assert repos.sms.advance_status("s1", 1, "receiving") is False
    assert repos.status("s1", 1) == "queued"
    assert repos.sms.claim_send("s1", 1) is True  # still claimable


def test_advancing_records_the_provider_id_and_error_code(repos: Repos) -> None:
    repos.text(1)
    repos.text(2)
    assert repos.sms.advance_status("s1", 1, "failed", "SM9", "30007") is True
    assert repos.sms.advance_status("s1", 2, "sent", "SM10") is True
    failed, sent = (
        repos.conversations.get_message("s1", 1),
        repos.conversations.get_message("s1", 2),
    )
    assert failed is not None and sent is not None
    assert (failed.status, failed.provider_message_id, failed.error_code) == (
        "failed",
        "SM9",
        "30007",
    )
    assert (sent.status, sent.provider_message_id, sent.error_code) == ("sent", "SM10", "")


def test_a_refused_advance_leaves_provider_id_and_error_code_alone(repos: Repos) -> None:
    repos.text(1)
    repos.sms.advance_status("s1", 1, "delivered", "SM1")
    assert repos.sms.advance_status("s1", 1, "failed", "SM2", "30005") is False
    stored = repos.conversations.get_message("s1", 1)
    assert stored is not None
    assert (stored.provider_message_id, stored.error_code) == ("SM1", "")


def test_advancing_a_text_that_does_not_exist_is_refused(repos: Repos) -> None:
    repos.text(1)
    assert repos.sms.advance_status("s1", 2, "delivered") is False
    assert repos.sms.advance_status("s9", 1, "delivered") is False
    assert repos.conversations.get_message("s1", 2) is None


# -- the reconciler's index ------------------------------------------------------------


def test_stale_pending_lists_only_outbound_texts_without_a_final_status(repos: Repos) -> None:
    repos.text(1, status="queued")
    repos.text(2, status="sending")
    repos.text(3, status="sent")
    repos.text(4, status="delivered")
    repos.text(5, status="failed")
    repos.text(6, status="received", direction="inbound")
    repos.text(7, at=LATE)  # not stale yet
    repos.text(8, conversation_id="g1", channel="im", status="sent")
    repos.text(9, conversation_id="s2")
    assert sorted(repos.sms.stale_pending(CUTOFF, 100)) == [
        ("s1", 1),
        ("s1", 2),
        ("s1", 3),
        ("s2", 9),
    ]


def test_a_text_leaves_stale_pending_once_its_status_is_final(repos: Repos) -> None:
    repos.text(1)
    repos.text(2)
    repos.sms.claim_send("s1", 1)
    assert repos.sms.advance_status("s1", 1, "sent") is True
    assert sorted(repos.sms.stale_pending(CUTOFF, 10)) == [("s1", 1), ("s1", 2)]
    repos.sms.advance_status("s1", 1, "delivered")
    repos.sms.advance_status("s1", 2, "unknown")
    assert repos.sms.stale_pending(CUTOFF, 10) == []


def test_stale_pending_returns_at_most_limit_texts(repos: Repos) -> None:
    """The reconciler's batch size bounds one run; the texts beyond it wait for the next."""
    for seq in range(1, 9):  # spread over every shard of the index
        repos.text(seq)
    batch = repos.sms.stale_pending(CUTOFF, 3)
    assert len(batch) == 3
    assert set(batch) <= {("s1", seq) for seq in range(1, 9)}


def test_a_text_books_its_slot_however_far_off_and_keeps_it(repos: Repos) -> None:
    sms, number = repos.sms, BUSINESS
    assert sms.take_pace(number, 30.0, 1000.0, 10) == 0  # the number is busy for 30 s
    assert sms.take_pace(number, 1.0, 1000.0, 10, key="m1") == pytest.approx(30.0)  # booked
    assert sms.take_pace(number, 1.0, 1010.0, 10, key="m1") == pytest.approx(20.0)  # the same
    assert sms.take_pace(number, 1.0, 1000.0, 10, key="m2") == pytest.approx(31.0)  # next one
    assert sms.take_pace(number, 1.0, 1000.0, 10) == pytest.approx(32.0)  # not reserved


def test_a_numbers_registration_is_written_without_touching_the_rest(repos: Repos) -> None:
    repos.sms.put_number(BusinessNumber(BUSINESS, "acme", users=["u-alice"], registration=""))
    marked = repos.sms.set_number_registration(
        BUSINESS, "acme", "needs_updates", "carrier error 30034", kind="10dlc", kind_if_unset=True
    )
    assert marked is not None and marked.users == ["u-alice"]
    assert (marked.registration, marked.registration_status) == ("10dlc", "needs_updates")
    stored = repos.sms.get_number(BUSINESS)
    assert stored == marked


def test_a_set_kind_stays_when_only_an_unset_kind_may_be_written(repos: Repos) -> None:
    repos.sms.put_number(BusinessNumber(BUSINESS, "acme", registration="toll_free"))
    marked = repos.sms.set_number_registration(
        BUSINESS, "acme", "needs_updates", "30034", kind="10dlc", kind_if_unset=True
    )
    assert marked is not None and marked.registration == "toll_free"
    assert marked.registration_status == "needs_updates"
    approved = repos.sms.set_number_registration(
        BUSINESS, "acme", "approved", "", registration_id="campaign-1", kind="10dlc"
    )
    assert approved is not None and (approved.registration, approved.registration_id) == (
        "10dlc",
        "campaign-1",
    )


def test_another_companys_number_or_none_is_not_given_a_registration(repos: Repos) -> None:
    repos.sms.put_number(BusinessNumber(BUSINESS, "globex"))
    assert repos.sms.set_number_registration(BUSINESS, "acme", "approved", "") is None
    assert repos.sms.set_number_registration(OTHER_BUSINESS, "acme", "approved", "") is None
    stored = repos.sms.get_number(BUSINESS)
    assert stored is not None and stored.registration_status == ""
    assert repos.sms.get_number(OTHER_BUSINESS) is None


# -- the confirmation an opt-out or opt-in owes ----------------------------------------------

T0, T1, T2 = "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:30.000Z", "2026-01-01T00:05:00.000Z"


def test_an_opt_out_that_owes_its_confirmation_is_claimed_once(repos: Repos) -> None:
    from chalicelib.domain.errors import ConcurrentUpdate

    assert repos.sms.claim_reply(BUSINESS, PHONE, T0, T0) is None  # nothing owed
    repos.sms.set_opt_out(BUSINESS, PHONE, True, "STOP", "eum:in-1", T0, reply_owed=True)
    assert repos.sms.claim_reply(BUSINESS, PHONE, T0, T0) == ("eum:in-1", True, T0)
    with pytest.raises(ConcurrentUpdate):  # another attempt holds a fresh claim
        repos.sms.claim_reply(BUSINESS, PHONE, T1, T0)
    assert repos.sms.claim_reply(BUSINESS, PHONE, T2, T1) == ("eum:in-1", True, T0)  # stale
    repos.sms.settle_reply(BUSINESS, PHONE, "eum:in-1")
    assert repos.sms.claim_reply(BUSINESS, PHONE, T2, T2) is None


def test_a_released_confirmation_is_claimable_again(repos: Repos) -> None:
    repos.sms.set_opt_out(BUSINESS, PHONE, True, "STOP", "eum:in-1", T0, reply_owed=True)
    repos.sms.claim_reply(BUSINESS, PHONE, T0, T0)
    repos.sms.release_reply(BUSINESS, PHONE, "eum:in-1")
    assert repos.sms.claim_reply(BUSINESS, PHONE, T1, T0) == ("eum:in-1", True, T0)


def test_a_newer_change_owes_its_own_confirmation(repos: Repos) -> None:
    repos.sms.set_opt_out(BUSINESS, PHONE, True, "STOP", "eum:in-1", T0, reply_owed=True)
    repos.sms.claim_reply(BUSINESS, PHONE, T0, T0)
    repos.sms.set_opt_out(BUSINESS, PHONE, False, "START", "eum:in-2", T1, reply_owed=True)
    repos.sms.settle_reply(BUSINESS, PHONE, "eum:in-1")  # the old one: the new one stays
    assert repos.sms.claim_reply(BUSINESS, PHONE, T1, T0) == ("eum:in-2", False, T1)
    repos.sms.set_opt_out(BUSINESS, PHONE, True, "STOP", "twilio:SM1", T2)  # answered inline
    assert repos.sms.claim_reply(BUSINESS, PHONE, T2, T2) is None
    assert repos.sms.claim_reply(OTHER_BUSINESS, PHONE, T2, T2) is None
