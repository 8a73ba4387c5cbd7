"""Shared lines with an owner, against in-memory adapters: who may assign, the views,
labels, notes that never reach the provider, and the assignee's pushes first."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.api import requests
from chalicelib.domain.errors import Conflict, DomainError, NotFound, ValidationError
from chalicelib.domain.model import BusinessNumber, Event
from chalicelib.domain.sms import InboundSms
from chalicelib.services.commands import MarkRead
from chalicelib.services.common import Caller
from tests.support import World, create_im, seed_people, send

ALICE = Caller("u-alice", "acme", "admin")
BOB = Caller("u-bob", "acme")
CAROL = Caller("u-carol", "acme")
SHOP, SHARED, CUSTOMER = "+14155550100", "+14155550101", "+14155552671"


@pytest.fixture
def world() -> World:
    w = World()
    people = seed_people(w.directory_repo)
    for who, numbers in (("alice", [SHOP]), ("bob", [SHARED]), ("carol", [SHARED])):
        people[who].numbers = numbers
        w.directory_repo.put_user(people[who])
    w.sms_repo.put_number(BusinessNumber(SHOP, "acme", users=["u-alice"]))
    w.sms_repo.put_number(BusinessNumber(SHARED, "acme", users=["u-bob", "u-carol"]))
    return w


def texted(world: World, text: str = "hi", to: str = SHARED, sid: str = "SM1") -> str:
    """A customer's text to a business number; the conversation's id."""
    world.services.carrier.inbound(
        InboundSms(provider="twilio", provider_message_id=sid, from_=CUSTOMER, to=to, body=text)
    )
    conversation, _ = world.services.sms.start(BOB if to == SHARED else ALICE, CUSTOMER, to)
    return conversation.conversation_id


def lines(world: World) -> Any:
    assert world.services.shared_lines is not None
    return world.services.shared_lines


def listed(world: World, caller: Caller, view: str) -> list[str]:
    return [c["id"] for c in lines(world).list_view(caller, view, 25, None).items]


def refused(call: Any) -> DomainError:
    with pytest.raises(DomainError) as err:
        call()
    return err.value


# -- assignment ------------------------------------------------------------------


def test_anyone_on_the_line_assigns_to_themselves_or_another_and_unassigns(world: World) -> None:
    conversation_id = texted(world)
    assert lines(world).assign(BOB, conversation_id, "u-bob")["assignee"] == "u-bob"
    assert lines(world).assign(BOB, conversation_id, "u-carol")["assignee"] == "u-carol"
    assert world.services.conversations.get(CAROL, conversation_id)["assignee"] == "u-carol"
    assert lines(world).assign(CAROL, conversation_id, None)["assignee"] is None


def test_who_may_not_assign_and_to_whom_is_refused_with_its_code(world: World) -> None:
    shared = texted(world)
    own = texted(world, to=SHOP, sid="SM2")
    im, _ = create_im(world.services.conversations, BOB, ["u-carol"])
    cases = [
        (lambda: lines(world).assign(ALICE, shared, "u-alice"), NotFound, "conversation_not_found"),
        (
            lambda: lines(world).assign(BOB, shared, "u-alice"),
            ValidationError,
            "assignee_not_on_line",
        ),
        (
            lambda: lines(world).assign(BOB, shared, "u-dave"),
            ValidationError,
            "assignee_not_on_line",
        ),
        (lambda: lines(world).assign(BOB, im["id"], "u-bob"), Conflict, "not_a_shared_line"),
        (lambda: lines(world).assign(ALICE, own, "u-alice"), Conflict, "not_a_shared_line"),
    ]
    for call, kind, code in cases:
        error = refused(call)
        assert (type(error), error.code) == (kind, code)
    assert world.conversation_repo.get(shared).assignee is None  # nothing changed


def test_a_lost_race_answers_assignment_changed_and_keeps_the_winner(world: World) -> None:
    conversation_id = texted(world)
    real = world.shared_lines.assign

    def carol_lands_first(conversation: Any, assignee: str | None) -> Any:
        real(world.conversation_repo.get(conversation_id), "u-carol")
        return real(conversation, assignee)

    world.shared_lines.assign = carol_lands_first  # type: ignore[method-assign]
    error = refused(lambda: lines(world).assign(BOB, conversation_id, "u-bob"))
    assert (type(error), error.code) == (Conflict, "assignment_changed")
    assert world.conversation_repo.get(conversation_id).assignee == "u-carol"


def test_an_assignee_removed_from_the_line_loses_the_assignment(world: World) -> None:
    conversation_id = texted(world)
    lines(world).assign(BOB, conversation_id, "u-carol")
    world.services.admin.unassign(ALICE, SHARED, "u-carol")
    conversation = world.services.conversations.get(BOB, conversation_id)
    assert (conversation["assignee"], conversation["members"]) == (None, ["u-bob"])


# -- views ------------------------------------------------------------------------


def test_mine_unassigned_and_all_views(world: World) -> None:
    first = texted(world, sid="SM1")
    assert listed(world, BOB, "unassigned") == [first] == listed(world, CAROL, "unassigned")
    lines(world).assign(BOB, first, "u-carol")
    assert listed(world, CAROL, "mine") == [first]
    assert listed(world, BOB, "mine") == [] == listed(world, BOB, "unassigned")
    assert listed(world, BOB, "all") == [first]
    assert refused(lambda: listed(world, BOB, "theirs")).code == "invalid_view"


def test_a_line_of_one_has_no_unassigned_view(world: World) -> None:
    texted(world, to=SHOP, sid="SM3")
    assert listed(world, ALICE, "unassigned") == []


# -- labels ------------------------------------------------------------------------


def test_labels_are_trimmed_deduplicated_and_bounded(world: World) -> None:
    conversation_id = texted(world)
    view = lines(world).set_labels(BOB, conversation_id, (" billing ", "Billing", "vip"))
    assert view["labels"] == ["billing", "vip"]
    assert lines(world).set_labels(CAROL, conversation_id, ())["labels"] == []
    for bad in (("x" * 33,), tuple(f"l{n}" for n in range(11)), ("a\x00b",)):
        assert refused(lambda b=bad: lines(world).set_labels(BOB, conversation_id, b)).code == (
            "invalid_labels"
        )
    assert refused(lambda: lines(world).set_labels(ALICE, conversation_id, ("x",))).code == (
        "conversation_not_found"
    )


# -- notes ---------------------------------------------------------------------------


def test_a_note_is_shown_to_the_line_and_never_reaches_the_provider(world: World) -> None:
    conversation_id = texted(world)
    convs = world.services.conversations
    body = {"client_id": "n1", "text": "refund approved, tell her", "note": True}
    note, _ = convs.send(CAROL, requests.send_message(body, conversation_id))
    reply, _ = send(convs, CAROL, conversation_id, "r1", "Your refund is on its way")
    assert (note.channel, note.status) == ("note", "sent")
    for message in (note, reply):  # the sender is handed both: it sends only the text
        world.services.sms_sender.deliver(message.to_dict())
    assert [s["body"] for s in world.providers.sent] == ["Your refund is on its way"]
    bobs = [m.text for m in convs.history(BOB, conversation_id, 10, None).items]
    assert "refund approved, tell her" in bobs


def test_a_note_needs_a_texting_conversation(world: World) -> None:
    im, _ = create_im(world.services.conversations, BOB, ["u-carol"])
    command = requests.send_message({"client_id": "n1", "text": "x", "note": True}, im["id"])
    assert refused(lambda: world.services.conversations.send(BOB, command)).code == (
        "not_an_sms_conversation"
    )


# -- the assignee's devices first -----------------------------------------------------------


def inbound_event(world: World, conversation_id: str, sid: str) -> Event:
    world.services.carrier.inbound(
        InboundSms(provider="twilio", provider_message_id=sid, from_=CUSTOMER, to=SHARED, body=sid)
    )
    conversation = world.conversation_repo.get(conversation_id)
    assert conversation is not None
    message = world.conversation_repo.get_message(conversation_id, conversation.last_seq)
    assert message is not None
    return Event(
        f"message.created:{message.message_id}:created",
        "message.created",
        "acme",
        list(conversation.members),
        message.to_dict(),
        conversation_id,
    )


def test_the_assignee_is_pushed_at_once_the_others_only_if_still_unread(world: World) -> None:
    notifications = world.services.notifications
    notifications.register_device(BOB, "bob-phone", "apns", "tok-b")
    notifications.register_device(CAROL, "carol-phone", "apns", "tok-c")
    conversation_id = texted(world)
    lines(world).assign(BOB, conversation_id, "u-carol")

    first = inbound_event(world, conversation_id, "SM10")
    notifications.on_message(first, world.dedup.run_once)
    assert [p["endpoint"] for p in world.push.pushed] == ["endpoint/apns/tok-c"]
    ((held, delay),) = world.held.held
    assert (held.type, held.recipients, delay) == ("message.held", ["u-bob"], 120)
    notifications.on_held(held, world.dedup.run_once)  # two minutes later, still unread
    assert [p["endpoint"] for p in world.push.pushed] == [
        "endpoint/apns/tok-c",
        "endpoint/apns/tok-b",
    ]

    second = inbound_event(world, conversation_id, "SM11")
    notifications.on_message(second, world.dedup.run_once)
    world.services.conversations.read(BOB, MarkRead(conversation_id, int(second.data["seq"])))
    notifications.on_held(world.held.held[-1][0], world.dedup.run_once)  # bob read it meanwhile
    assert [p["endpoint"] for p in world.push.pushed][2:] == ["endpoint/apns/tok-c"]


def test_without_an_assignee_everyone_on_the_line_is_pushed_at_once(world: World) -> None:
    world.services.notifications.register_device(BOB, "bob-phone", "apns", "tok-b")
    world.services.notifications.register_device(CAROL, "carol-phone", "apns", "tok-c")
    conversation_id = texted(world)
    world.services.notifications.on_message(
        inbound_event(world, conversation_id, "SM12"), world.dedup.run_once
    )
    assert sorted(p["endpoint"] for p in world.push.pushed) == [
        "endpoint/apns/tok-b",
        "endpoint/apns/tok-c",
    ]
    assert world.held.held == []
