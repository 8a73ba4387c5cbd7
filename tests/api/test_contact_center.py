"""Contact-center routes through the real app (chalice.test.Client, DynamoDB on moto):
every route, the cross-tenant matrix, bad input; a signed Twilio webhook to a channel."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from chalicelib.domain.contact_center import Channel
from chalicelib.domain.model import BusinessNumber
from local.inprocess import EventPath
from tests.api.conftest import PUBLIC_BASE, TWILIO_TOKEN, Api, running_api
from tests.contact_center_support import CHANNEL, SALES, SUPPORT, RoutingRunner, seed_center
from tests.fakes.contact_center import MemoryRoutingQueue

CUSTOMER = "+14155552671"


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def error(response: Any) -> tuple[int, str]:
    return response.status_code, body(response)["error"]["code"]


class Center:
    def __init__(self, api: Api, routing: MemoryRoutingQueue) -> None:
        self.api = api
        services = api.services
        self.routing = routing
        assert services.contact_center is not None
        self.cc = services.contact_center
        self.runner = RoutingRunner(self.routing, self.cc, time.time)
        seed_center(self.cc.repo, services.adapters.directory, services.adapters.sms)
        self._sid = 0
        self.path: EventPath | None = None

    def outbox(self) -> None:
        """The table's stream through ``outbox_stream`` (Lambda's mapping, by hand)."""
        if self.path is None:
            self.path = EventPath.for_prefix("texting-test")
        self.path.run_outbox()

    def call(self, method: str, path: str, who: str | None = "bob", body: Any = None) -> Any:
        return self.api.call(method, path, who, body)

    def text(self, text: str = "hello", from_: str = CUSTOMER) -> Any:
        self._sid += 1
        params = {
            "MessageSid": f"SM{self._sid:032d}",
            "AccountSid": "AC" + "0" * 32,
            "From": from_,
            "To": CHANNEL,
            "Body": text,
            "NumMedia": "0",
        }
        url = PUBLIC_BASE + "/webhooks/twilio/sms"
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
        return self.api.client.http.post(
            "/webhooks/twilio/sms",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            },
            body=urllib.parse.urlencode(params),
        )

    def offered_to(self, who: str = "bob") -> dict[str, Any]:
        """bob available, a customer texts, routing runs: bob's offer."""
        assert self.call("PUT", "/agent/status", who, {"status": "available"}).status_code == 200
        self.text()
        self.runner.run()
        items = body(self.call("GET", "/interactions", who))["items"]
        assert len(items) == 1 and items[0]["state"] == "offered"
        return items[0]  # type: ignore[no-any-return]


@pytest.fixture
def center(aws: Any) -> Iterator[Center]:
    routing = MemoryRoutingQueue()
    with running_api(adapters={"routing_queue": routing}) as api:
        yield Center(api, routing)


def test_an_agent_sees_their_profile_and_sets_their_status(center: Center) -> None:
    me = body(center.call("GET", "/agent"))
    assert me["status"] == "offline" and me["skills"] == {"support": 3}
    assert me["queues"] == [SUPPORT] and me["max_concurrent"] == 6 and me["active"] == 0
    changed = center.call("PUT", "/agent/status", body={"status": "available"})
    assert changed.status_code == 200 and body(changed)["status"] == "available"
    assert body(center.call("GET", "/agent"))["status"] == "available"


def test_an_agent_sees_the_channels_they_may_text_from(center: Center) -> None:
    adapters = center.api.services.adapters
    second, foreign = "+14155550181", "+14155550182"
    adapters.sms.put_number(BusinessNumber(second, "acme", users=["u-bob"]))
    adapters.sms.put_number(BusinessNumber(foreign, "acme", users=["u-carol"]))
    bob = adapters.directory.get_user("u-bob")
    bob.numbers = [CHANNEL, second, foreign]  # not a user of the last one
    adapters.directory.put_user(bob)
    center.cc.repo.put_channel(Channel(second, "acme", SALES))
    center.cc.repo.put_channel(Channel(foreign, "acme", SUPPORT))
    assert body(center.call("GET", "/agent"))["channels"] == [
        {"e164": CHANNEL, "queue_id": SUPPORT, "serves_queue": True},  # their queue first
        {"e164": second, "queue_id": SALES, "serves_queue": False},
    ]
    assert body(center.call("GET", "/agent", "alice"))["channels"] == []  # no number
    changed = body(center.call("PUT", "/agent/status", body={"status": "away"}))
    assert changed["status"] == "away"
    assert [c["e164"] for c in changed["channels"]] == [CHANNEL, second]  # as GET /agent


@pytest.mark.parametrize(
    ("payload", "code"),
    [({"status": "busy"}, "invalid_status"), ({}, "invalid_status"), ([1], "invalid_body")],
)
def test_a_bad_status_is_400(center: Center, payload: Any, code: str) -> None:
    assert error(center.call("PUT", "/agent/status", body=payload)) == (400, code)


def test_someone_who_is_not_an_agent_is_told_so_and_unsigned_calls_are_401(center: Center) -> None:
    assert error(center.call("GET", "/agent", "dave")) == (404, "not_an_agent")
    assert error(center.call("GET", "/interactions", "dave")) == (404, "not_an_agent")
    assert center.call("GET", "/agent", None).status_code == 401
    assert center.call("GET", "/interactions", None).status_code == 401


def test_a_text_to_the_channel_is_offered_accepted_and_ended_into_a_case(center: Center) -> None:
    response = center.text("my parcel is late")
    assert response.status_code == 200
    offer = center.offered_to("bob")
    assert offer["customer"]["phone"] == CUSTOMER and offer["channel"] == CHANNEL
    assert offer["agent_id"] == "u-bob" and offer["offer_expires_at"]
    assert not [e for e in center.api.publisher.events if e.type == "interaction.offered"]
    center.outbox()  # the offer's event comes from the table's stream
    offered_events = [e for e in center.api.publisher.events if e.type == "interaction.offered"]
    assert offered_events and offered_events[-1].recipients == ["u-bob"]
    assert offered_events[-1].data["customer"]["cases"] == []  # the screen pop comes with it
    published = center.api.publisher.events
    queue = [e for e in published if e.type == "queue.updated"]
    assert queue and queue[-1].recipients == ["u-alice"] and queue[-1].data["queue_id"] == SUPPORT
    presence = [e for e in published if e.type == "presence.changed"]
    assert [e.data["presence"]["agent_status"] for e in presence] == ["available"]
    shown = body(center.call("GET", f"/interactions/{offer['id']}"))
    assert shown["customer"]["phone"] == CUSTOMER and shown["customer"]["cases"] == []
    accepted = center.call("POST", f"/interactions/{offer['id']}/accept")
    assert accepted.status_code == 200 and body(accepted)["state"] == "active"
    sent = center.call(
        "POST",
        f"/conversations/{offer['conversation_id']}/messages",
        body={"client_id": "r1", "text": "On it!"},
    )
    assert sent.status_code in (201, 202), body(sent)
    ended = center.call("POST", f"/interactions/{offer['id']}/end", body={"disposition": "solved"})
    assert ended.status_code == 200 and body(ended)["state"] == "ended" and body(ended)["case_id"]
    record = body(center.call("GET", f"/customers/{offer['customer']['id']}"))
    assert record["cases"][0]["id"] == body(ended)["case_id"]
    assert record["interactions"][0]["disposition"] == "solved"
    found = body(center.call("GET", "/customers?phone=(415)%20555-2671"))
    assert [c["id"] for c in found["items"]] == [offer["customer"]["id"]]
    assert body(center.call("GET", "/interactions"))["items"] == []


def test_reject_and_transfer_put_it_back_in_a_queue(center: Center) -> None:
    offer = center.offered_to("bob")
    rejected = center.call("POST", f"/interactions/{offer['id']}/reject")
    assert rejected.status_code == 200 and body(rejected)["state"] == "waiting"
    center.call("PUT", "/agent/status", "carol", {"status": "available"})
    center.runner.run()
    mine = body(center.call("GET", "/interactions", "carol"))["items"]
    assert [i["id"] for i in mine] == [offer["id"]]
    center.call("POST", f"/interactions/{offer['id']}/accept", "carol")
    moved = center.call(
        "POST", f"/interactions/{offer['id']}/transfer", "carol", {"queue_id": SALES}
    )
    assert body(moved)["state"] == "waiting" and body(moved)["queue_id"] == SALES


def test_end_without_a_disposition_is_wrap_up_and_a_second_end_closes(center: Center) -> None:
    offer = center.offered_to("bob")
    center.call("POST", f"/interactions/{offer['id']}/accept")
    first = center.call("POST", f"/interactions/{offer['id']}/end", body={"notes": "called back"})
    assert body(first)["state"] == "wrap_up"
    assert body(center.call("GET", "/agent"))["active"] == 1  # wrap-up holds the slot
    second = center.call("POST", f"/interactions/{offer['id']}/end")
    assert body(second)["state"] == "ended" and body(second)["notes"] == "called back"
    assert body(center.call("GET", "/agent"))["active"] == 0


def test_interaction_actions_refuse_others_wrong_states_and_bad_input(center: Center) -> None:
    offer = center.offered_to("bob")
    path = f"/interactions/{offer['id']}"
    assert error(center.call("POST", f"{path}/accept", "carol")) == (403, "not_your_interaction")
    assert error(center.call("GET", path, "carol")) == (404, "interaction_not_found")
    assert center.call("GET", path, "alice").status_code == 200  # admin / supervisor
    for who in ("dave", "erin"):  # another company
        assert error(center.call("GET", path, who)) == (404, "interaction_not_found")
        assert error(center.call("POST", f"{path}/accept", who)) == (404, "interaction_not_found")
        assert error(center.call("POST", f"{path}/end", who)) == (404, "interaction_not_found")
    assert error(center.call("POST", "/interactions/nope/accept")) == (404, "interaction_not_found")
    assert error(center.call("POST", f"{path}/end")) == (409, "invalid_state")  # not accepted
    assert error(center.call("POST", f"{path}/transfer", body={"queue_id": SALES})) == (
        409,
        "invalid_state",
    )
    center.call("POST", f"{path}/accept")
    assert error(center.call("POST", f"{path}/reject")) == (409, "invalid_state")
    assert error(center.call("POST", f"{path}/transfer", body={})) == (400, "invalid_queue_id")
    assert error(center.call("POST", f"{path}/transfer", body={"queue_id": "q-nope"})) == (
        404,
        "queue_not_found",
    )
    assert error(center.call("POST", f"{path}/end", body={"disposition": 5})) == (
        400,
        "invalid_disposition",
    )
    assert error(center.call("POST", f"{path}/end", body={"case_id": "case-x"})) == (
        400,
        "invalid_case",
    )
    assert error(center.call("GET", "/interactions?cursor=zzz")) == (400, "invalid_cursor")
    assert error(center.call("GET", "/interactions?limit=0")) == (400, "invalid_limit")


def test_interactions_are_paginated(center: Center) -> None:
    center.call("PUT", "/agent/status", body={"status": "available"})
    for n in range(3):
        center.text(from_=f"+1415555300{n}")
    center.runner.run()
    first = body(center.call("GET", "/interactions?limit=2"))
    rest = body(center.call("GET", f"/interactions?limit=2&cursor={first['next_cursor']}"))
    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    ids = [i["id"] for i in first["items"] + rest["items"]]
    assert len(set(ids)) == 3


def test_agent_outbound_creates_an_active_interaction_and_queues_the_text(center: Center) -> None:
    center.call("PUT", "/agent/status", body={"status": "available"})
    made = center.call(
        "POST",
        "/interactions",
        body={"channel": CHANNEL, "to": "(415) 555-2671", "client_id": "o1", "text": "Hi!"},
    )
    assert made.status_code == 201, body(made)
    view = body(made)
    assert view["state"] == "active" and view["direction"] == "outbound"
    assert view["message"]["status"] == "queued"
    assert body(center.call("GET", "/agent"))["active"] == 1
    for payload, code in (
        (
            {"channel": "+14155550999", "to": CUSTOMER, "client_id": "o2", "text": "x"},
            "invalid_channel",
        ),
        ({"channel": CHANNEL, "client_id": "o3", "text": "x"}, "invalid_to"),
        ({"channel": CHANNEL, "to": CUSTOMER, "client_id": "o4"}, "invalid_text"),
    ):
        assert error(center.call("POST", "/interactions", body=payload)) == (400, code)
    assert error(
        center.call(
            "POST",
            "/interactions",
            "dave",
            {"channel": CHANNEL, "to": CUSTOMER, "client_id": "o5", "text": "x"},
        )
    ) == (404, "not_an_agent")


def test_canned_responses_are_searched_and_filled_for_an_interaction(center: Center) -> None:
    put = center.call(
        "PUT",
        "/admin/contact-center/canned-responses/greet",
        "alice",
        {
            "shortcut": "hi",
            "title": "Greeting",
            "text": "Hello {customer_name}, I am {agent_name}.",
        },
    )
    assert put.status_code == 200
    center.call(
        "PUT",
        "/admin/contact-center/canned-responses/bye",
        "alice",
        {"shortcut": "bye", "title": "Goodbye", "text": "Bye"},
    )
    found = body(center.call("GET", "/canned-responses?q=/hi"))["items"]
    assert [r["id"] for r in found] == ["greet"]
    assert len(body(center.call("GET", "/canned-responses"))["items"]) == 2
    offer = center.offered_to("bob")
    filled = body(center.call("GET", f"/canned-responses?q=greeting&interaction_id={offer['id']}"))
    assert filled["items"][0]["rendered"] == "Hello there, I am u-bob."
    assert body(center.call("GET", "/canned-responses", "dave"))["items"] == []  # globex's admin
    assert error(center.call("GET", "/canned-responses", "erin")) == (404, "not_an_agent")
    assert error(center.call("GET", f"/canned-responses?interaction_id={offer['id']}", "dave")) == (
        404,
        "interaction_not_found",
    )
    assert error(
        center.call("PUT", "/admin/contact-center/canned-responses/x", "bob", {"text": "t"})
    ) == (
        403,
        "admin_only",
    )


def test_customers_are_per_company_and_need_a_phone(center: Center) -> None:
    center.text()
    center.runner.run()
    mine = body(center.call("GET", f"/customers?phone={urllib.parse.quote(CUSTOMER)}"))["items"]
    assert len(mine) == 1
    theirs = body(center.call("GET", f"/customers?phone={urllib.parse.quote(CUSTOMER)}", "dave"))
    assert theirs["items"] == []
    assert error(center.call("GET", f"/customers/{mine[0]['id']}", "dave")) == (
        404,
        "customer_not_found",
    )
    assert error(center.call("GET", "/customers")) == (400, "invalid_phone")
    assert error(center.call("GET", f"/customers/{mine[0]['id']}", "erin")) == (404, "not_an_agent")


def test_queue_stats_are_for_supervisors_and_admins_of_the_company(center: Center) -> None:
    center.text()
    stats = center.call("GET", f"/queues/{SUPPORT}/stats", "alice")
    assert stats.status_code == 200
    figures = body(stats)
    assert figures["waiting"] == 1 and figures["agents_available"] == 0 and figures["active"] == 0
    assert figures["days"][0]["offered"] == 1
    assert error(center.call("GET", f"/queues/{SUPPORT}/stats", "bob")) == (403, "supervisor_only")
    assert error(center.call("GET", f"/queues/{SUPPORT}/stats", "dave")) == (404, "queue_not_found")
    assert error(center.call("GET", f"/queues/{SUPPORT}/stats?days=99", "alice")) == (
        400,
        "invalid_days",
    )


def test_admins_configure_queues_channels_and_agents(center: Center) -> None:
    made = center.call(
        "PUT",
        "/admin/contact-center/queues/q-vip",
        "alice",
        {
            "name": "VIP",
            "skills": {"support": 4},
            "priority": 5,
            "timezone": "Europe/Paris",
            "hours": {"mon": "09:00-17:00"},
        },
    )
    assert made.status_code == 200 and body(made)["priority"] == 5
    assert "q-vip" in [q["queue_id"] for q in body(center.call("GET", "/queues"))["items"]]
    for payload, code in (
        ({"name": "X", "hours": {"mon": "late"}}, "invalid_hours"),
        ({"name": "X", "skills": {"support": 9}}, "invalid_skills"),
        ({"name": "X", "timezone": "Nowhere/None"}, "invalid_timezone"),
        ({"name": ""}, "invalid_name"),
        ({"name": "X", "offer_timeout_s": "30"}, "invalid_offer_timeout_s"),
    ):
        assert error(
            center.call("PUT", "/admin/contact-center/queues/q-bad", "alice", payload)
        ) == (400, code)
    assert error(center.call("PUT", "/admin/contact-center/queues/q-x", "bob", {"name": "X"})) == (
        403,
        "admin_only",
    )
    channel = center.call(
        "PUT",
        f"/admin/contact-center/channels/{urllib.parse.quote(CHANNEL)}",
        "alice",
        {"queue_id": "q-vip"},
    )
    assert channel.status_code == 200 and body(channel)["queue_id"] == "q-vip"
    assert body(center.call("GET", "/admin/contact-center/channels", "alice"))["items"] == [
        {"e164": CHANNEL, "queue_id": "q-vip"}
    ]
    assert error(
        center.call(
            "PUT",
            f"/admin/contact-center/channels/{urllib.parse.quote(CHANNEL)}",
            "dave",
            {"queue_id": "q-vip"},
        )
    )[0] in (403, 404)
    agent = center.call(
        "PUT",
        "/admin/contact-center/agents/u-carol",
        "alice",
        {"skills": {"support": 5}, "queues": ["q-vip"], "max_concurrent": 3},
    )
    assert body(agent)["max_concurrent"] == 3 and body(agent)["queues"] == ["q-vip"]
    assert error(
        center.call("PUT", "/admin/contact-center/agents/u-carol", "alice", {"max_concurrent": 11})
    ) == (
        400,
        "invalid_max_concurrent",
    )
    assert error(center.call("PUT", "/admin/contact-center/agents/u-erin", "alice", {})) == (
        404,
        "user_not_found",
    )
    assert len(body(center.call("GET", "/admin/contact-center/agents", "alice"))["items"]) == 3
    assert error(center.call("GET", "/admin/contact-center/agents", "bob")) == (403, "admin_only")
