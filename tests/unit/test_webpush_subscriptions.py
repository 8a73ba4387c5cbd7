"""What a browser may register for Web Push: a real subscription's keys, and an endpoint
on a browser push service only (the SSRF rule), or locally the simulator's."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.webpush import PushEndpoints, b64url, parse_subscription
from tests.webpush_support import FCM, Browser

LOCAL = PushEndpoints(local_prefix="http://127.0.0.1:8000/_sim/push/")

ALLOWED = [
    FCM + "dXJsLXRva2Vu:APA91bH",
    "https://fcm.googleapis.com:443/fcm/send/abc",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
    "https://wns2-by3p.notify.windows.com/w/?token=BQYAAAB",
    "https://web.push.apple.com/QGuQyavXutnMH3TUM",
]

REFUSED = [
    "http://169.254.169.254/latest/meta-data/",  # the instance metadata service
    "https://169.254.169.254/latest/meta-data/",
    "http://localhost/push",
    "https://localhost/push",
    "https://127.0.0.1/push",
    "https://[::1]/push",
    "https://2130706433/push",  # 127.0.0.1 as a number
    "http://fcm.googleapis.com/fcm/send/abc",  # not https
    "HTTPS://fcm.googleapis.com/fcm/send/abc",
    "https://fcm.googleapis.com:8443/fcm/send/abc",  # another port
    "https://fcm.googleapis.com:80/fcm/send/abc",
    "https://user@fcm.googleapis.com/fcm/send/abc",  # user info
    "https://fcm.googleapis.com@169.254.169.254/fcm/send/abc",
    "https://fcm.googleapis.com:443@evil.example/x",
    "https://fcm.googleapis.com.evil.example/fcm/send/abc",
    "https://evilfcm.googleapis.com/fcm/send/abc",
    "https://push.apple.com.evil.example/x",
    "https://notpush.apple.com/x",
    "https://FCM.googleapis.com/fcm/send/abc",  # upper case host
    "https://fcm.googleapis.com./fcm/send/abc",  # trailing dot
    "https://xn--fcm-googleapis-com.evil.example/x",
    "https://fcm.google\u0430pis.com/fcm/send/abc",  # a Cyrillic a: an IDN look-alike
    "https://fcm.googleapis.com\\@evil.example/x",
    "https://fcm.googleapis.com/fcm/send/abc#frag",
    "https://fcm.googleapis.com/fcm/send/a b",
    "https://web.push.apple.com",  # no path
    "ftp://fcm.googleapis.com/x",
    "//fcm.googleapis.com/x",
    "",
    "https://fcm.googleapis.com/" + "a" * 2100,
    # the simulator's push service, where no setting names it (AWS)
    "http://127.0.0.1:8000/_sim/push/bob",
]


@pytest.mark.parametrize("endpoint", ALLOWED)
def test_the_browsers_push_services_are_allowed(endpoint: str) -> None:
    PushEndpoints().check(endpoint)


@pytest.mark.parametrize("endpoint", REFUSED)
def test_anything_else_is_refused(endpoint: str) -> None:
    with pytest.raises(ValidationError) as refused:
        PushEndpoints().check(endpoint)
    assert refused.value.code == "push_endpoint_not_allowed"


def test_the_local_simulator_is_allowed_only_where_the_setting_names_it() -> None:
    assert LOCAL.allows("http://127.0.0.1:8000/_sim/push/bob-laptop_1")
    assert LOCAL.allows(FCM + "abc")  # the real services too
    for trick in (
        "http://127.0.0.1:8000/_sim/push/",
        "http://127.0.0.1:8000/_sim/push/bob/gone",
        "http://127.0.0.1:8000/_sim/push/../twilio",
        "http://127.0.0.1:8000/_sim/push/bob?x=1",
        "http://127.0.0.1:8001/_sim/push/bob",
        "http://127.0.0.1:8000/_sim/phones/bob",
    ):
        assert not LOCAL.allows(trick), trick


def test_a_subscription_is_parsed_and_stored_in_one_spelling() -> None:
    browser = Browser(FCM + "abc")
    spaced = json.dumps(browser.subscription(), indent=2)
    parsed = parse_subscription(spaced)
    assert parsed.endpoint == FCM + "abc"
    assert parsed.auth == browser.auth
    assert parsed.token() == parse_subscription(browser.token()).token()
    assert parsed.origin == "https://fcm.googleapis.com"
    assert b64url(parsed.auth) not in repr(parsed)


def _with_keys(**keys: object) -> str:
    good = Browser.fixed(FCM + "abc").subscription()
    return json.dumps({**good, "keys": {**good["keys"], **keys}})


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("not json", "invalid_push_subscription"),
        ("[]", "invalid_push_subscription"),
        ('{"endpoint": "' + FCM + 'x"}', "invalid_push_subscription"),
        ('{"keys": {}}', "invalid_push_subscription"),
        ('{"endpoint": 7, "keys": {}}', "invalid_push_subscription"),
        (_with_keys(p256dh=None), "invalid_push_key"),
        (_with_keys(p256dh="!!!"), "invalid_push_key"),
        (_with_keys(p256dh=b64url(b"\x04" + b"\x01" * 64)), "invalid_push_key"),  # off curve
        (_with_keys(p256dh=b64url(b"\x04" + b"\x00" * 63)), "invalid_push_key"),  # 64 bytes
        (_with_keys(p256dh=b64url(b"\x02" + b"\x01" * 32)), "invalid_push_key"),  # compressed
        (_with_keys(auth=b64url(b"\x00" * 15)), "invalid_push_key"),
        (_with_keys(auth=b64url(b"\x00" * 32)), "invalid_push_key"),
        (_with_keys(auth=7), "invalid_push_key"),
    ],
)
def test_a_subscription_that_is_not_one_is_refused_with_its_code(token: str, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_subscription(token)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("endpoint", "stored"),
    [
        ("https://fcm.googleapis.com:443/fcm/send/abc", FCM + "abc"),
        ("HTTPS://fcm.googleapis.com/fcm/send/abc", FCM + "abc"),
        ("Https://fcm.googleapis.com:443/fcm/send/abc", FCM + "abc"),
        ("http://127.0.0.1:80/_sim/push/bob", "http://127.0.0.1/_sim/push/bob"),
        (FCM + "abc:443", FCM + "abc:443"),  # a path is not a port
    ],
)
def test_an_endpoint_is_stored_without_its_default_port_and_with_a_lower_case_scheme(
    endpoint: str, stored: str
) -> None:
    parsed = parse_subscription(Browser.fixed(endpoint).token())
    assert parsed.endpoint == stored
    if stored.startswith(FCM):
        assert parsed.origin == "https://fcm.googleapis.com"  # the VAPID audience
        PushEndpoints().check(parsed.endpoint)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com:443@evil.example/x",
        "https://user@fcm.googleapis.com:443/x",
        "https://fcm.googleapis.com:8443/fcm/send/abc",
        "https://FCM.googleapis.com:443/fcm/send/abc",
    ],
)
def test_normalising_never_lets_a_refused_endpoint_in(endpoint: str) -> None:
    parsed = parse_subscription(Browser.fixed(endpoint).token())
    assert not PushEndpoints().allows(parsed.endpoint)
