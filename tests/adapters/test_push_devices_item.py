"""The user's PUSH item on DynamoDB (read on every message): a Web Push subscription is
stored on it once, and a write it cannot take (over DynamoDB's 400 KB) is told as such,
not as a concurrent update."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters import dynamodb
from chalicelib.adapters.dynamodb.keys import PUSH_SK, user_pk
from chalicelib.adapters.dynamodb.models import PushDevicesItem
from chalicelib.domain.errors import Conflict
from chalicelib.domain.model import Device
from tests.webpush_support import FCM, Browser


def test_a_web_push_subscription_is_stored_once_on_the_users_push_item(tables: Any) -> None:
    repo = dynamodb.DynamoNotificationRepository()
    subscription = Browser.fixed(FCM + "abc").token()
    repo.put_device(Device("u-bob", "laptop", "webpush", subscription, "t1", subscription))
    repo.put_device(Device("u-bob", "phone", "apns", "apns-token", "t2", "arn:endpoint"))
    item = PushDevicesItem.get(user_pk("u-bob"), PUSH_SK, consistent_read=True)
    assert item.devices["laptop"] == {
        "platform": "webpush",
        "endpoint": subscription,
        "registered_at": "t1",
    }
    assert item.devices["phone"]["token"] == "apns-token"
    laptop, phone = sorted(repo.devices_of(["u-bob"])["u-bob"], key=lambda d: d.device_id)
    assert laptop == Device("u-bob", "laptop", "webpush", subscription, "t1", subscription)
    assert phone == Device("u-bob", "phone", "apns", "apns-token", "t2", "arn:endpoint")


def test_a_push_item_entry_written_with_both_copies_still_reads(tables: Any) -> None:
    subscription = Browser.fixed(FCM + "old").token()
    entry = {
        "platform": "webpush",
        "token": subscription,
        "endpoint": subscription,
        "registered_at": "t0",
    }
    PushDevicesItem(user_pk("u-bob"), PUSH_SK, devices={"old": entry}, version=1).save()
    (device,) = dynamodb.DynamoNotificationRepository().devices_of(["u-bob"])["u-bob"]
    assert device.token == device.endpoint == subscription


def test_a_push_item_that_would_outgrow_dynamodb_is_refused_as_too_many_devices(
    tables: Any,
) -> None:
    # with one more device, over DynamoDB's 400 KB
    big = {"platform": "apns", "endpoint": "x" * 404_000, "registered_at": "t0"}
    PushDevicesItem(user_pk("u-bob"), PUSH_SK, devices={"huge": big}, version=1).save()
    repo = dynamodb.DynamoNotificationRepository()
    with pytest.raises(Conflict) as refused:
        repo.put_device(Device("u-bob", "laptop", "apns", "t" * 4000, "t1", "e" * 4000))
    assert refused.value.code == "too_many_devices"
    assert repo.get_device("u-bob", "laptop") is None  # nothing half-written
