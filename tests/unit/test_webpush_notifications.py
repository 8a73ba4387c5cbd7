"""Browsers get pushes under the phones' rules: who, when, muted, do-not-disturb (shown
silently), pruned when the push service says the subscription is gone, tried again a
little when it is busy and then given up (never failing the record, never pushed
twice); registered only while the stage has a VAPID key; a user's devices capped. The
real Web Push sender runs, with a recording HTTP pool in place of the network."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.adapters.webpush import PushByPlatform, VapidKeys, WebPushGateway
from chalicelib.domain.errors import PushUnavailable, ValidationError
from chalicelib.domain.model import Event
from chalicelib.domain.webpush import PushEndpoints
from chalicelib.services.common import Caller
from tests import fakes
from tests.support import KEYS, World, create_im, seed_people, send
from tests.webpush_support import FCM, Browser, PublishedKey, vapid_secret

ALICE = Caller("u-alice", "acme", "admin")
BOB = Caller("u-bob", "acme")


@dataclass
class RecordingHttp:
    """urllib3's ``request`` as the sender calls it: records, answers ``answers`` in turn."""

    answers: list[int] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def request(self, method: str, url: str, **options: Any) -> Any:
        self.requests.append({"method": method, "url": url, **options})
        return SimpleNamespace(status=self.answers.pop(0) if self.answers else 201)


@pytest.fixture
def http() -> RecordingHttp:
    return RecordingHttp()


def web_world(http: RecordingHttp, secret: Any, **settings: Any) -> World:
    """A world whose browsers are pushed to with the VAPID key ``secret`` holds."""
    web = WebPushGateway(
        VapidKeys(secret),
        "mailto:ops@example.com",
        ttl=3600,
        timeout=1.0,
        endpoints=PushEndpoints(),
        http=http,
        sleep=lambda _seconds: None,
    )
    key = PublishedKey(vapid_secret()["public_key"])
    w = World(push=PushByPlatform(fakes.MemoryPushGateway(), web), webpush_key=key, **settings)
    seed_people(w.directory_repo)
    return w


@pytest.fixture
def world(http: RecordingHttp) -> World:
    return web_world(http, fakes.MemorySecretSource(vapid_secret(), what="VAPID"))


def message_event(world: World, conversation: dict[str, Any], text: str) -> Event:
    message, _ = send(world.services.conversations, ALICE, conversation["id"], text, text)
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


def bob_browser(world: World, name: str = "bob-laptop") -> Browser:
    browser = Browser(FCM + name)
    world.services.notifications.register_device(BOB, name, "webpush", browser.token())
    return browser


def test_a_browser_not_in_front_gets_the_message_encrypted_for_it(
    world: World, http: RecordingHttp
) -> None:
    browser = bob_browser(world)
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    event = message_event(world, conv, "Lunch at noon?")
    assert notify(world, event)["pushed"] == 1
    (request,) = http.requests
    assert request["url"] == FCM + "bob-laptop" and request["redirect"] is False
    payload = browser.read(request["body"])
    assert payload == {
        "type": "message",
        "conversation_id": conv["id"],
        "message_id": event.data["id"],
        "title": "Alice Adams",
        "body": "Lunch at noon?",
        "url": f"#/conversations/{conv['id']}",
        "silent": False,
        "tag": f"conversation-{conv['id']}",
    }


def test_a_browser_in_front_gets_no_push_one_in_the_background_does(
    world: World, http: RecordingHttp
) -> None:
    bob_browser(world)
    world.services.connections.connect("c-laptop", KEYS.token("u-bob"), "bob-laptop")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    notify(world, message_event(world, conv, "one"))
    assert http.requests == []
    world.services.connections.set_state(world.connection_repo.get("c-laptop"), "background")
    notify(world, message_event(world, conv, "two"))
    assert len(http.requests) == 1


def test_a_muted_conversation_pushes_to_no_browser(world: World, http: RecordingHttp) -> None:
    bob_browser(world)
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    world.services.conversations.set_flags(BOB, conv["id"], muted=True)
    notify(world, message_event(world, conv, "ignored"))
    assert http.requests == []


def test_do_not_disturb_shows_the_notification_silently(world: World, http: RecordingHttp) -> None:
    browser = bob_browser(world)
    world.services.presence.set_status(BOB, "dnd")
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    notify(world, message_event(world, conv, "quietly"))
    (request,) = http.requests
    assert browser.read(request["body"])["silent"] is True
    assert request["headers"]["Urgency"] == "normal"


def test_a_gone_subscription_is_pruned_and_the_other_browser_still_gets_it(
    world: World, http: RecordingHttp
) -> None:
    bob_browser(world, "old-laptop")
    bob_browser(world, "new-laptop")
    http.answers = [410, 201]
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    notify(world, message_event(world, conv, "hi"))
    assert len(http.requests) == 2
    assert [d.device_id for d in world.notification_repo.devices("u-bob")] == ["new-laptop"]


def test_a_push_service_down_gives_up_in_the_record_and_never_pushes_it_again(
    world: World, http: RecordingHttp
) -> None:
    bob_browser(world)
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    event = message_event(world, conv, "later")
    http.answers = [503, 503, 503]
    notify(world, event)  # the record succeeds: other recipients are not held up
    notify(world, event)  # SQS brings the record back anyway (another failure)
    assert len(http.requests) == 3  # the tries within the record, none after
    assert [m.count for m in world.notification_repo.missed("u-bob")] == [1]
    assert [d.device_id for d in world.notification_repo.devices("u-bob")] == ["bob-laptop"]


def test_without_a_vapid_key_a_browser_cannot_register(http: RecordingHttp) -> None:
    w = World(webpush_key=PublishedKey(None))
    seed_people(w.directory_repo)
    with pytest.raises(PushUnavailable) as refused:
        w.services.notifications.register_device(BOB, "laptop", "webpush", Browser(FCM).token())
    assert refused.value.code == "push_unavailable"
    assert w.notification_repo.devices("u-bob") == []
    w.services.notifications.register_device(BOB, "phone", "apns", "apns-token")  # phones can


def test_a_push_without_a_readable_vapid_key_is_dropped_and_counted(
    http: RecordingHttp, capsys: pytest.CaptureFixture[str]
) -> None:
    unreadable = fakes.MemorySecretSource(vapid_secret(), what="VAPID")
    unreadable.failing = True
    w = web_world(http, unreadable)
    bob_browser(w)
    conv, _ = create_im(w.services.conversations, ALICE, ["u-bob"])
    event = message_event(w, conv, "no key")
    capsys.readouterr()
    assert notify(w, event)["pushed"] == 1  # no raise: the record is done
    assert http.requests == []
    assert '"WebPushUnavailable"' in capsys.readouterr().out
    unreadable.failing = False
    notify(w, event)  # redelivered: dropped for good, not pushed late
    assert http.requests == []
    assert [d.device_id for d in w.notification_repo.devices("u-bob")] == ["bob-laptop"]


def test_a_user_keeps_the_most_recently_registered_devices_up_to_the_limit() -> None:
    w = World(push_max_devices_per_user=3)
    seed_people(w.directory_repo)
    notifications = w.services.notifications
    for n in range(4):
        notifications.register_device(BOB, f"phone-{n}", "apns", f"token-{n}")
    kept = [d.device_id for d in w.notification_repo.devices("u-bob")]
    assert sorted(kept) == ["phone-1", "phone-2", "phone-3"]
    assert "endpoint/apns/token-0" not in w.push.registered  # its endpoint let go too
    notifications.register_device(BOB, "phone-1", "apns", "token-1")  # again: no eviction
    assert len(w.notification_repo.devices("u-bob")) == 3


@pytest.mark.parametrize(
    ("media", "body"),
    [
        ([{"content_type": "image/jpeg", "size": 9, "filename": None}], "Picture"),
        ([{"content_type": "application/pdf", "size": 9, "filename": None}], "File"),
        ([{"content_type": "application/pdf", "size": 9, "filename": "menu.pdf"}], "menu.pdf"),
        (
            [
                {"content_type": "image/png", "size": 9, "filename": "a.png"},
                {"content_type": "image/png", "size": 9, "filename": "b.png"},
            ],
            "a.png (+1)",
        ),
    ],
)
def test_a_message_with_only_attachments_is_previewed_by_them(
    world: World, http: RecordingHttp, media: list[dict[str, Any]], body: str
) -> None:
    browser = bob_browser(world)
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    event = message_event(world, conv, "placeholder")
    event.data.update(text="", media=media)
    notify(world, event)
    (request,) = http.requests
    assert browser.read(request["body"])["body"] == body


def test_a_subscription_sent_twice_in_another_spelling_is_one_device(world: World) -> None:
    browser = Browser(FCM + "x")
    notifications = world.services.notifications
    notifications.register_device(BOB, "laptop", "webpush", browser.token())
    notifications.register_device(BOB, "laptop", "webpush", browser.token().replace(" ", ""))
    (device,) = world.notification_repo.devices("u-bob")
    assert device.token == device.endpoint and '"endpoint":"' + FCM + 'x"' in device.token


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("{}", "invalid_push_subscription"),
        (Browser.fixed("http://169.254.169.254/latest").token(), "push_endpoint_not_allowed"),
        (
            '{"endpoint": "' + FCM + 'x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}',
            "invalid_push_key",
        ),
    ],
)
def test_a_bad_subscription_is_refused_and_nothing_is_stored(
    world: World, token: str, code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        world.services.notifications.register_device(BOB, "laptop", "webpush", token)
    assert refused.value.code == code
    assert world.notification_repo.devices("u-bob") == []
