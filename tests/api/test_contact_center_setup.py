"""Removing set-up (queues, channels, canned replies) and canned replies limited to
queues, a page at a time, through the real app on moto: roles, other companies, bad
input (a 4xx that changes nothing), and what a removal must not leave behind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.contact_center import Queue
from chalicelib.domain.contact_center_records import CannedReply
from chalicelib.domain.model import BusinessNumber
from tests.api.conftest import running_api
from tests.api.test_contact_center import Center, body, error
from tests.contact_center_support import CHANNEL, SALES, SUPPORT
from tests.fakes.contact_center import MemoryRoutingQueue

ADMIN = "/admin/contact-center"
SPARE = "+14155550183"  # a business number of acme that is no channel yet


@pytest.fixture
def center(aws: Any) -> Iterator[Center]:
    routing = MemoryRoutingQueue()
    with running_api(adapters={"routing_queue": routing}) as api:
        yield Center(api, routing)


def queue(center: Center, queue_id: str, **settings: Any) -> None:
    answer = center.call(
        "PUT", f"{ADMIN}/queues/{queue_id}", "alice", {"name": queue_id, **settings}
    )
    assert answer.status_code == 200, answer.body


def queue_ids(center: Center) -> list[str]:
    return [q["queue_id"] for q in body(center.call("GET", "/queues", "alice"))["items"]]


def reply(center: Center, reply_id: str, queues: list[str] | None = None) -> Any:
    payload: dict[str, Any] = {"shortcut": reply_id, "title": reply_id, "text": f"{reply_id}!"}
    if queues is not None:
        payload["queues"] = queues
    return center.call("PUT", f"{ADMIN}/canned-responses/{reply_id}", "alice", payload)


def reply_ids(center: Center, who: str, query: str = "") -> list[str]:
    answer = center.call("GET", f"/canned-responses{query}", who)
    assert answer.status_code == 200, answer.body
    return [r["id"] for r in body(answer)["items"]]


def spare_channel(center: Center, queue_id: str) -> None:
    center.api.services.adapters.sms.put_number(BusinessNumber(SPARE, "acme", users=["u-bob"]))
    answer = center.call("PUT", f"{ADMIN}/channels/{SPARE}", "alice", {"queue_id": queue_id})
    assert answer.status_code == 200, answer.body


# -- deleting a canned reply -------------------------------------------------------------


def test_only_the_companys_admin_deletes_a_canned_reply_and_a_second_delete_is_404(
    center: Center,
) -> None:
    assert reply(center, "greet").status_code == 200
    path = f"{ADMIN}/canned-responses/greet"

    assert error(center.call("DELETE", path, "bob")) == (403, "admin_only")
    assert error(center.call("DELETE", path, "dave")) == (404, "reply_not_found")  # globex
    assert reply_ids(center, "alice") == ["greet"]  # nothing changed

    assert center.call("DELETE", path, "alice").status_code == 204
    assert reply_ids(center, "alice") == [] == reply_ids(center, "bob")
    assert error(center.call("DELETE", path, "alice")) == (404, "reply_not_found")


# -- deleting a queue --------------------------------------------------------------------


def test_a_queue_anything_still_names_is_kept_with_a_409_naming_what_blocks_it(
    center: Center,
) -> None:
    queue(center, "q-new")
    path = f"{ADMIN}/queues/q-new"
    spare_channel(center, "q-new")
    assert error(center.call("DELETE", path, "alice")) == (409, "queue_has_channels")
    assert SPARE in body(center.call("DELETE", path, "alice"))["error"]["message"]
    spare_channel(center, SUPPORT)

    queue(center, SALES, skills={"sales": 1}, overflow_queue_id="q-new")
    assert error(center.call("DELETE", path, "alice")) == (409, "queue_is_overflow_target")
    queue(center, SALES, skills={"sales": 1})

    bob = {"skills": {"support": 3}, "queues": [SUPPORT, "q-new"]}
    assert center.call("PUT", f"{ADMIN}/agents/u-bob", "alice", bob).status_code == 200
    assert error(center.call("DELETE", path, "alice")) == (409, "queue_has_agents")
    bob["queues"] = [SUPPORT]
    assert center.call("PUT", f"{ADMIN}/agents/u-bob", "alice", bob).status_code == 200

    assert reply(center, "night", ["q-new"]).status_code == 200
    assert error(center.call("DELETE", path, "alice")) == (409, "queue_has_canned_replies")
    assert center.call("DELETE", f"{ADMIN}/canned-responses/night", "alice").status_code == 204

    assert "q-new" in queue_ids(center)  # every refusal changed nothing
    assert error(center.call("DELETE", path, "bob")) == (403, "admin_only")
    assert error(center.call("DELETE", path, "dave")) == (404, "queue_not_found")
    assert center.call("DELETE", path, "alice").status_code == 204
    assert "q-new" not in queue_ids(center)
    assert error(center.call("DELETE", path, "alice")) == (404, "queue_not_found")


def test_a_queue_with_a_customer_waiting_or_held_by_an_agent_outside_it_is_kept(
    center: Center,
) -> None:
    queue(center, "q-night")
    center.text("hello")  # waits in Support: nobody is available
    waiting = center.cc.repo.waiting("acme", SUPPORT, 5)
    assert len(waiting) == 1
    interaction_id = waiting[0].interaction_id
    moved = center.call(
        "POST", f"/interactions/{interaction_id}/transfer", "alice", {"queue_id": "q-night"}
    )
    assert moved.status_code == 200, moved.body
    path = f"{ADMIN}/queues/q-night"
    assert error(center.call("DELETE", path, "alice")) == (409, "queue_has_interactions")

    # offered to bob by name: bob is no agent of q-night, yet it is held in it
    assert center.call("PUT", "/agent/status", "bob", {"status": "available"}).status_code == 200
    named = center.call(
        "POST", f"/interactions/{interaction_id}/transfer", "alice", {"agent_id": "u-bob"}
    )
    assert named.status_code == 200, named.body
    assert center.cc.repo.waiting("acme", "q-night", 5) == []
    assert center.cc.repo.get_interaction(interaction_id).queue_id == "q-night"
    assert error(center.call("DELETE", path, "alice")) == (409, "queue_has_interactions")
    assert "q-night" in queue_ids(center)


# -- deleting a channel ------------------------------------------------------------------


def test_a_channel_is_deleted_by_its_admin_once_and_its_number_is_a_number_again(
    center: Center,
) -> None:
    spare_channel(center, SALES)
    path = f"{ADMIN}/channels/%2B{SPARE[1:]}"
    assert error(center.call("DELETE", path, "bob")) == (403, "admin_only")
    assert error(center.call("DELETE", path, "dave")) == (404, "channel_not_found")
    assert center.cc.repo.get_channel(SPARE) is not None

    assert center.call("DELETE", path, "alice").status_code == 204
    listed = body(center.call("GET", f"{ADMIN}/channels", "alice"))["items"]
    assert [c["e164"] for c in listed] == [CHANNEL]
    assert error(center.call("DELETE", path, "alice")) == (404, "channel_not_found")
    assert error(center.call("DELETE", f"{ADMIN}/channels/%2B14155550100", "alice")) == (
        404,
        "channel_not_found",  # a business number that was never a channel
    )
    assert center.call("DELETE", f"{ADMIN}/queues/{SALES}", "alice").status_code == 409  # carol


def test_a_channel_a_customer_is_still_answered_on_is_kept(center: Center) -> None:
    offer = center.offered_to("bob")
    assert center.call("POST", f"/interactions/{offer['id']}/accept", "bob").status_code == 200
    path = f"{ADMIN}/channels/%2B{CHANNEL[1:]}"
    assert error(center.call("DELETE", path, "alice")) == (409, "channel_has_interactions")
    assert center.cc.repo.get_channel(CHANNEL) is not None


# -- canned replies limited to queues ------------------------------------------------------


def test_an_agent_finds_the_company_wide_replies_and_those_of_their_queues(
    center: Center,
) -> None:
    for reply_id, queues in (("all", None), ("sup", [SUPPORT]), ("sal", [SALES])):
        answer = reply(center, reply_id, queues)
        assert answer.status_code == 200 and body(answer)["queues"] == (queues or [])

    assert reply_ids(center, "bob") == ["all", "sup"]  # Support only
    assert reply_ids(center, "carol") == ["all", "sal", "sup"]  # Support and Sales
    assert reply_ids(center, "alice") == ["all", "sal", "sup"]  # admins: every reply
    assert reply_ids(center, "carol", "?q=/sa") == ["sal"]
    offer = center.offered_to("carol")  # a Support interaction: Sales' reply is not for it
    assert reply_ids(center, "carol", f"?interaction_id={offer['id']}") == ["all", "sup"]


def test_a_reply_for_a_queue_that_is_not_the_companys_or_badly_listed_changes_nothing(
    center: Center,
) -> None:
    center.cc.repo.put_queue(Queue("q-globex", "globex", "Theirs"))
    assert reply(center, "r1", [SUPPORT]).status_code == 200
    for queues, expected in (
        (["q-globex"], (404, "queue_not_found")),
        (["q-nowhere"], (404, "queue_not_found")),
        ("q-support", (400, "invalid_queues")),
        ([7], (400, "invalid_queues")),
        ([f"q{n}" for n in range(21)], (400, "invalid_queues")),
    ):
        assert error(reply(center, "r1", queues)) == expected, queues  # type: ignore[arg-type]
    stored = body(center.call("GET", "/canned-responses", "alice"))["items"]
    assert [(r["id"], r["queues"]) for r in stored] == [("r1", [SUPPORT])]
    assert reply_ids(center, "bob") == ["r1"]


# -- paging --------------------------------------------------------------------------------


def test_a_company_with_130_replies_is_answered_50_at_a_time_each_once(center: Center) -> None:
    repo = center.cc.repo
    for n in range(130):
        queues = [SALES] if n % 2 else []
        repo.put_canned(CannedReply(f"r{n:03d}", "acme", f"s{n}", f"Reply {n}", "text", queues))

    def pages(who: str, query: str = "") -> list[int]:
        sizes, seen, cursor = [], [], ""
        while True:
            answer = body(center.call("GET", f"/canned-responses?cursor={cursor}{query}", who))
            sizes.append(len(answer["items"]))
            seen += [r["id"] for r in answer["items"]]
            cursor = answer["next_cursor"]
            if cursor is None:
                assert seen == sorted(set(seen))  # in order, none twice
                return sizes

    assert pages("alice") == [50, 50, 30]
    assert pages("carol") == [50, 50, 30]  # Sales is one of her queues
    assert pages("bob") == [50, 15]  # the company-wide half
    # "Reply 1", "Reply 10".."19", "Reply 21".."91", "Reply 100".."129": 49 of them
    assert pages("alice", "&limit=20&q=reply%201") == [20, 20, 9]
    assert error(center.call("GET", "/canned-responses?limit=51", "alice")) == (
        400,
        "invalid_limit",
    )
    assert error(center.call("GET", "/canned-responses?cursor=abc", "alice")) == (
        400,
        "invalid_cursor",
    )
