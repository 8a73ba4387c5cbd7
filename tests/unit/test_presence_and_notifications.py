"""Presence, push, missed messages and typing, against in-memory adapters and a hand-moved clock."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import NotFound, ValidationError
from chalicelib.domain.model import Event
from chalicelib.services.common import Caller
from tests.support import KEYS, World, create_im, seed_people, send

ALICE = Caller("u-alice", "acme", "admin")
BOB = Caller("u-bob", "acme")
CAROL = Caller("u-carol", "acme")


@pytest.fixture
def world() -> World:
    w = World()
    seed_people(w.directory_repo)
    return w


def status_of(world: World, user_id: str) -> str:
    user = world.directory_repo.get_user(user_id)
    assert user is not None
    return str(world.services.presence.view(user)["status"])


def connect(world: World, connection_id: str, user_id: str, device: str | None = None) -> None:
    world.services.connections.connect(connection_id, KEYS.token(user_id), device)


# -- presence ------------------------------------------------------------------


def test_presence_belongs_to_the_user_not_the_device(world: World) -> None:
    assert status_of(world, "u-bob") == "offline"
    connect(world, "phone", "u-bob")
    connect(world, "desk", "u-bob")
    assert status_of(world, "u-bob") == "available"
    world.services.connections.disconnect("phone")
    assert status_of(world, "u-bob") == "available"  # the desk is still connected
    world.services.connections.disconnect("desk")
    assert status_of(world, "u-bob") == "offline"


def test_chosen_status_shows_only_while_online(world: World) -> None:
    world.services.presence.set_status(BOB, "busy", "In a meeting")
    assert status_of(world, "u-bob") == "offline"
    connect(world, "desk", "u-bob")
    view = world.services.presence.view(world.directory_repo.get_user("u-bob"))
    assert (view["status"], view["message"]) == ("busy", "In a meeting")


def test_status_message_disappears_when_it_expires(world: World) -> None:
    connect(world, "desk", "u-bob")
    world.services.presence.set_status(BOB, "away", "Back at 3", expires_in=600)
    world.now += 300
    world.services.connections.heartbeat(world.connection_repo.get("desk"))
    user = world.directory_repo.get_user("u-bob")
    assert world.services.presence.view(user)["message"] == "Back at 3"
    world.now += 301
    assert world.services.presence.view(user)["message"] == ""
    assert world.services.presence.view(user)["status"] == "away"


@pytest.mark.parametrize(
    ("status", "message", "code"),
    [
        ("sleeping", None, "invalid_status"),
        ("offline", None, "invalid_status"),
        ("busy", "x" * 101, "invalid_status_message"),
        ("busy", 7, "invalid_status_message"),
    ],
)
def test_bad_presence_is_refused(world: World, status: object, message: object, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        world.services.presence.set_status(BOB, status, message)
    assert err.value.code == code
    assert world.directory_repo.get_user("u-bob").presence.status == "available"


def test_an_idle_device_that_vanished_goes_offline_after_ten_minutes(world: World) -> None:
    connect(world, "phone", "u-bob")
    world.now += 9 * 60
    assert status_of(world, "u-bob") == "available"
    world.now += 2 * 60  # eleven minutes without a frame: API Gateway dropped it silently
    assert status_of(world, "u-bob") == "offline"
    assert world.services.connections.sweep() == 1
    assert world.connection_repo.connections == {}
    assert world.directory_repo.get_user("u-bob").presence.online is False


def test_heartbeats_keep_a_connection_alive_but_not_past_two_hours(world: World) -> None:
    connect(world, "desk", "u-bob")
    for _ in range(23):  # a ping every five minutes for 115 minutes
        world.now += 5 * 60
        world.services.connections.heartbeat(world.connection_repo.get("desk"))
        assert status_of(world, "u-bob") == "available"
    world.now += 6 * 60  # 121 minutes: API Gateway closes every connection at two hours
    assert status_of(world, "u-bob") == "offline"
    assert world.services.connections.sweep() == 1


def test_a_presence_subscription_only_covers_co_workers(world: World) -> None:
    connect(world, "desk", "u-alice")
    snapshot = world.services.presence.subscribe("desk", ALICE, ["u-bob", "u-dave", "u-nobody"])
    assert list(snapshot["users"]) == ["u-bob"]
    assert sorted(snapshot["unknown"]) == ["u-dave", "u-nobody"]
    assert world.connection_repo.watchers("u-bob") == ["desk"]
    assert world.connection_repo.watchers("u-dave") == []


def test_presence_changes_reach_watchers_and_own_devices_only(world: World) -> None:
    for cid, user in [("a", "u-alice"), ("b", "u-bob"), ("c", "u-carol")]:
        connect(world, cid, user)
    world.services.presence.subscribe("a", ALICE, ["u-bob"])
    event = Event(
        "p1", "presence.changed", "acme", ["u-bob"], {"user_id": "u-bob"}, audience="watchers"
    )
    world.services.fanout.deliver(event)
    assert sorted(world.sender.frames) == ["a", "b"]  # carol did not ask


def test_profile_photo_upload_is_checked_before_it_shows(world: World) -> None:
    started = world.services.presence.photo_upload(BOB, "image/png", 50_000)
    key = started["key"]
    assert key.startswith("uploads/photos/u-bob/") and started["upload"]["method"] == "POST"
    with pytest.raises(NotFound):
        world.services.presence.photo_confirm(BOB, key)  # nothing uploaded yet
    world.media.objects[key] = {"content_type": "image/png", "size": 50_000}
    entry = world.services.presence.photo_confirm(BOB, key)
    kept = key.removeprefix("uploads/")  # moved out of the expiring prefix
    assert entry["photo_url"].startswith(f"memory://{kept}")
    assert world.media.describe(kept) == world.media.describe(key)
    with pytest.raises(ValidationError):
        world.services.presence.photo_confirm(ALICE, key)  # not alice's upload
    with pytest.raises(ValidationError):
        world.services.presence.photo_upload(BOB, "image/gif", 10)
    with pytest.raises(ValidationError):
        world.services.presence.photo_upload(BOB, "image/png", 10 * 1024 * 1024)


# -- notifications and missed messages ---------------------------------------------


def message_event(world: World, conversation: dict, text: str, sender: Caller = ALICE) -> Event:
    message, _ = send(world.services.conversations, sender, conversation["id"], text, text)
    return Event(
        f"message.created:{message.message_id}:created",
        "message.created",
        "acme",
        list(conversation["members"]),
        message.to_dict(),
        conversation["id"],
    )


def notify(world: World, event: Event) -> dict[str, int]:
    return world.services.notifications.on_message(event, world.dedup.run_once)


def test_a_device_not_connected_gets_a_push_with_sender_and_preview(world: World) -> None:
    world.services.notifications.register_device(BOB, "bob-phone", "apns", "tok-1")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    notify(world, message_event(world, conv, "Lunch at noon?"))
    (push,) = world.push.pushed
    assert (push["title"], push["body"], push["conversation_id"]) == (
        "Alice Adams",
        "Lunch at noon?",
        conv["id"],
    )
    assert push["silent"] is False


def test_a_foreground_device_gets_no_push_a_backgrounded_one_does(world: World) -> None:
    world.services.notifications.register_device(BOB, "bob-phone", "fcm", "tok-1")
    connect(world, "c-phone", "u-bob", device="bob-phone")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    notify(world, message_event(world, conv, "one"))
    assert world.push.pushed == []
    world.services.connections.set_state(world.connection_repo.get("c-phone"), "background")
    notify(world, message_event(world, conv, "two"))
    assert [p["body"] for p in world.push.pushed] == ["two"]


def test_a_muted_conversation_sends_no_push(world: World) -> None:
    world.services.notifications.register_device(BOB, "bob-phone", "apns", "tok-1")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    world.services.conversations.set_flags(BOB, conv["id"], muted=True)
    notify(world, message_event(world, conv, "ignored"))
    assert world.push.pushed == []


def test_do_not_disturb_still_delivers_silently(world: World) -> None:
    world.services.notifications.register_device(BOB, "bob-phone", "apns", "tok-1")
    world.services.presence.set_status(BOB, "dnd")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    notify(world, message_event(world, conv, "quietly"))
    assert [(p["body"], p["silent"]) for p in world.push.pushed] == [("quietly", True)]


def test_the_sender_is_never_notified_of_their_own_message(world: World) -> None:
    world.services.notifications.register_device(ALICE, "alice-phone", "apns", "tok-a")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    notify(world, message_event(world, conv, "hello"))
    assert world.push.pushed == []
    assert world.notification_repo.missed("u-alice") == []


def test_a_redelivered_event_pushes_once(world: World) -> None:
    world.services.notifications.register_device(BOB, "bob-phone", "apns", "tok-1")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    event = message_event(world, conv, "once")
    notify(world, event)
    notify(world, event)
    assert len(world.push.pushed) == 1
    assert [m.count for m in world.notification_repo.missed("u-bob")] == [1]


def test_a_dead_push_token_is_forgotten_and_the_rest_still_get_it(world: World) -> None:
    world.services.notifications.register_device(BOB, "old-phone", "apns", "dead")
    world.services.notifications.register_device(BOB, "new-phone", "apns", "alive")
    world.push.dead.add("endpoint/apns/dead")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    notify(world, message_event(world, conv, "hi"))
    assert [p["endpoint"] for p in world.push.pushed] == ["endpoint/apns/alive"]
    assert [d.device_id for d in world.notification_repo.devices("u-bob")] == ["new-phone"]


def test_missed_messages_are_summarised_to_the_first_device_only(world: World) -> None:
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    for text in ("one", "two"):
        notify(world, message_event(world, conv, text))
    connect(world, "bob-desk", "u-bob")
    connect(world, "bob-phone", "u-bob")
    for connection in ("bob-desk", "bob-phone"):
        world.services.fanout.deliver(
            Event(
                f"connection.opened:{connection}",
                "connection.opened",
                "acme",
                ["u-bob"],
                {"user_id": "u-bob"},
                audience="connection",
                connection_id=connection,
            )
        )
    (summary,) = world.sender.frames["bob-desk"]
    assert summary["type"] == "notification.missed"
    assert summary["data"]["total"] == 2
    assert summary["data"]["conversations"][0] == {
        "conversation_id": conv["id"],
        "count": 2,
        "last_seq": 2,
        "updated_at": summary["data"]["conversations"][0]["updated_at"],
    }
    assert "bob-phone" not in world.sender.frames


def test_a_message_to_a_connected_user_is_not_missed(world: World) -> None:
    connect(world, "bob-desk", "u-bob")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    notify(world, message_event(world, conv, "live"))
    assert world.notification_repo.missed("u-bob") == []


def test_logout_removes_the_devices_push_registration_and_its_connection(world: World) -> None:
    world.services.notifications.register_device(BOB, "bob-phone", "apns", "tok-1")
    connect(world, "c-phone", "u-bob", device="bob-phone")
    connect(world, "c-desk", "u-bob", device="bob-desk")
    world.services.notifications.logout(BOB, "bob-phone")
    assert world.notification_repo.devices("u-bob") == []
    assert world.push.registered == {}
    assert world.sender.closed == ["c-phone"]
    assert [c.connection_id for c in world.connection_repo.list_for_user("u-bob")] == ["c-desk"]
    assert status_of(world, "u-bob") == "available"
    with pytest.raises(NotFound):
        world.services.notifications.logout(BOB, "bob-phone")


def test_device_registration_is_validated(world: World) -> None:
    for device_id, platform, token, code in [
        ("", "apns", "t", "invalid_device_id"),
        ("d", "blackberry", "t", "invalid_platform"),
        ("d", "fcm", "", "invalid_push_token"),
    ]:
        with pytest.raises(ValidationError) as err:
            world.services.notifications.register_device(BOB, device_id, platform, token)
        assert err.value.code == code
    assert world.notification_repo.devices("u-bob") == []


# -- typing -------------------------------------------------------------------------


def test_typing_reaches_the_other_members_at_most_every_three_seconds(world: World) -> None:
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    connect(world, "alice-desk", "u-alice")
    connect(world, "bob-desk", "u-bob")
    assert world.services.typing.typing(ALICE, conv["id"]) is True
    world.now += 1
    assert world.services.typing.typing(ALICE, conv["id"]) is False
    world.now += 2.5
    assert world.services.typing.typing(ALICE, conv["id"]) is True
    frames = world.sender.frames["bob-desk"]
    assert [f["type"] for f in frames] == ["typing", "typing"]
    assert frames[0]["data"] == {
        "conversation_id": conv["id"],
        "user_id": "u-alice",
        "expires_in": 6,
    }
    assert "alice-desk" not in world.sender.frames
    assert world.conversation_repo.messages == {}  # never stored


def test_typing_in_someone_elses_conversation_is_not_found(world: World) -> None:
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    with pytest.raises(NotFound):
        world.services.typing.typing(CAROL, conv["id"])


def test_a_push_token_moves_to_its_new_owner(world: World) -> None:
    """A phone handed from Alice (acme) to Dave (globex): Alice's previews must not follow."""
    world.services.notifications.register_device(ALICE, "shared-phone", "apns", "tok-1")
    dave = Caller("u-dave", "globex", "admin")
    world.services.notifications.register_device(dave, "shared-phone", "apns", "tok-1")
    assert world.notification_repo.devices("u-alice") == []
    assert [d.device_id for d in world.notification_repo.devices("u-dave")] == ["shared-phone"]
    conv, _ = create_im(world.services.conversations, BOB, ["u-alice"])
    notify(world, message_event(world, conv, "for alice only", sender=BOB))
    assert world.push.pushed == []


def test_a_summary_that_could_not_be_delivered_waits_for_the_next_device(world: World) -> None:
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    notify(world, message_event(world, conv, "while away"))
    connect(world, "bob-phone", "u-bob")
    connect(world, "bob-desk", "u-bob")
    world.sender.gone.add("bob-phone")  # it left before the summary could reach it
    for connection in ("bob-phone", "bob-desk"):
        world.services.fanout.deliver(
            Event(
                f"connection.opened:{connection}",
                "connection.opened",
                "acme",
                ["u-bob"],
                {"user_id": "u-bob"},
                audience="connection",
                connection_id=connection,
            )
        )
    (summary,) = world.sender.frames["bob-desk"]
    assert summary["data"]["total"] == 1
