"""Browsers get pushes under the phones' rules: who, when, muted, do-not-disturb (shown
silently), pruned when the push service says the subscription is gone, retried when it
is busy. The real Web Push sender runs, with a recording HTTP pool in place of the
network."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.adapters.webpush import PushByPlatform, PushRetryLater, VapidKeys, WebPushGateway
from chalicelib.domain.errors import ValidationError
from chalicelib.domain.model import Event
from chalicelib.domain.webpush import PushEndpoints
from chalicelib.services.common import Caller
from tests import fakes
from tests.support import KEYS, World, create_im, seed_people, send
from tests.webpush_support import FCM, Browser, vapid_secret

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


@pytest.fixture
def world(http: RecordingHttp) -> World:
    web = WebPushGateway(
        VapidKeys(fakes.MemorySecretSource(vapid_secret())),
        "mailto:ops@example.com",
        ttl=3600,
        timeout=1.0,
        endpoints=PushEndpoints(),
        http=http,
    )
    w = World(push=PushByPlatform(fakes.MemoryPushGateway(), web))
    seed_people(w.directory_repo)
    return w


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
        "url": f"/#/conversations/{conv['id']}",
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


def test_a_busy_push_service_fails_the_event_and_its_redelivery_pushes_once(
    world: World, http: RecordingHttp
) -> None:
    bob_browser(world)
    conv, _ = create_im(world.services.conversations, ALICE, ["u-bob"])
    event = message_event(world, conv, "later")
    http.answers = [503]
    with pytest.raises(PushRetryLater):
        notify(world, event)
    notify(world, event)  # SQS brings the record back
    notify(world, event)  # and once more: already pushed
    assert len(http.requests) == 2
    assert [m.count for m in world.notification_repo.missed("u-bob")] == [1]
    assert [d.device_id for d in world.notification_repo.devices("u-bob")] == ["bob-laptop"]


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
