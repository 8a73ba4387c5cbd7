"""Twilio's credentials in one container: the TTL, the forced re-read and its bound,
the previous token's window, API keys, and webhook signatures across a rotation.

Signatures come from twilio-python's ``RequestValidator``; time is a fake clock.
"""

from __future__ import annotations

import threading

import pytest
from twilio.request_validator import RequestValidator

from chalicelib.adapters.twilio_credentials import (
    CredentialsUnavailable,
    StoredSecret,
    TwilioCredentials,
    TwilioSecret,
)
from chalicelib.domain.sms import ProviderRetryable
from tests.fakes import MemorySecretSource

ACCOUNT = "AC" + "0123456789abcdef" * 2
OLD, NEW = "old-auth-token-0123456789abcdef", "new-auth-token-0123456789abcdef"
URL = "https://abc.execute-api.us-east-1.amazonaws.com/prod/webhooks/twilio/sms"
PARAMS = {"MessageSid": "SM" + "a" * 32, "From": "+14155550199", "To": "+14155550100"}
STORED_AT = 1_800_000_000.0
TTL, INTERVAL, WINDOW = 300.0, 30.0, 3600.0


class Clock:
    def __init__(self) -> None:
        self.monotonic = 1000.0
        self.wall = STORED_AT + 10

    def advance(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def credentials(source: MemorySecretSource, clock: Clock) -> TwilioCredentials:
    return TwilioCredentials(
        source,
        ttl=TTL,
        min_interval=INTERVAL,
        window=WINDOW,
        clock=lambda: clock.monotonic,
        wall=lambda: clock.wall,
    )


def signed_with(token: str) -> str:
    return str(RequestValidator(token).compute_signature(URL, PARAMS))


def secret(token: str, **more: str) -> dict[str, str]:
    return {"account_sid": ACCOUNT, "auth_token": token, **more}


# -- reading ------------------------------------------------------------------------------


def test_credentials_are_read_once_per_ttl(clock: Clock) -> None:
    source = MemorySecretSource(secret(OLD), STORED_AT)
    creds = credentials(source, clock)
    assert creds.current().auth_token == OLD
    source.put(secret(NEW), STORED_AT + 5)
    clock.advance(TTL - 1)
    assert creds.current().auth_token == OLD  # still cached
    assert source.reads == 1
    clock.advance(1)
    assert creds.current().auth_token == NEW
    assert source.reads == 2


def test_a_forced_re_read_happens_at_once(clock: Clock) -> None:
    source = MemorySecretSource(secret(OLD), STORED_AT)
    creds = credentials(source, clock)
    seen = creds.current()
    source.put(secret(NEW))
    assert creds.refresh(seen).auth_token == NEW
    assert creds.current().auth_token == NEW and source.reads == 2


def test_forced_re_reads_are_bounded_per_interval(clock: Clock) -> None:
    source = MemorySecretSource(secret(OLD), STORED_AT)
    creds = credentials(source, clock)
    seen = creds.current()
    for _ in range(100):
        assert creds.refresh(seen) == seen  # nothing new in the store
    assert source.reads == 2  # the first read, then one forced re-read
    source.put(secret(NEW))
    clock.advance(INTERVAL - 1)
    assert creds.refresh(seen) == seen  # inside the interval: no read
    assert source.reads == 2
    clock.advance(1)
    assert creds.refresh(seen).auth_token == NEW
    assert source.reads == 3


def test_waiters_take_what_another_request_re_read_without_reading_again(clock: Clock) -> None:
    source = MemorySecretSource(secret(OLD), STORED_AT)
    creds = credentials(source, clock)
    seen = creds.current()
    source.put(secret(NEW))
    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda: answers.append(creds.refresh(seen).auth_token))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert answers == [NEW] * 8
    assert source.reads == 2


def test_a_failed_re_read_keeps_the_cached_credentials_and_retries_after_the_interval(
    clock: Clock,
) -> None:
    source = MemorySecretSource(secret(OLD), STORED_AT)
    creds = credentials(source, clock)
    creds.current()
    source.failing = True
    clock.advance(TTL)
    assert creds.current().auth_token == OLD
    assert creds.current().auth_token == OLD  # not a read per request while the store is down
    assert source.reads == 2
    source.failing = False
    source.put(secret(NEW))
    clock.advance(INTERVAL)
    assert creds.current().auth_token == NEW


def test_nothing_to_fall_back_on_is_retryable_and_names_no_secret(clock: Clock) -> None:
    source = MemorySecretSource()
    source.put("not json " + OLD)
    with pytest.raises(CredentialsUnavailable) as error:
        credentials(source, clock).current()
    assert isinstance(error.value, ProviderRetryable) and not error.value.ambiguous
    assert OLD not in str(error.value)


# -- what a secret holds ------------------------------------------------------------------


def test_an_api_key_authenticates_the_rest_api_and_the_token_still_signs() -> None:
    parsed = TwilioSecret.parse(
        StoredSecret(secret(NEW, api_key_sid="SK" + "1" * 32, api_key_secret="key-secret")),
        WINDOW,
        STORED_AT,
    )
    assert parsed.rest_auth() == ("SK" + "1" * 32, "key-secret")
    assert parsed.webhook_tokens(STORED_AT) == (NEW,)


def test_half_an_api_key_is_ignored_and_the_account_token_used() -> None:
    parsed = TwilioSecret.parse(
        StoredSecret(secret(NEW, api_key_sid="SK" + "1" * 32)), WINDOW, STORED_AT
    )
    assert parsed.rest_auth() == (ACCOUNT, NEW)


def test_the_previous_token_signs_only_inside_its_window() -> None:
    parsed = TwilioSecret.parse(
        StoredSecret(secret(NEW, previous_auth_token=OLD), STORED_AT), WINDOW, STORED_AT + 99
    )
    assert parsed.webhook_tokens(STORED_AT + WINDOW - 1) == (NEW, OLD)
    assert parsed.webhook_tokens(STORED_AT + WINDOW) == (NEW,)


def test_no_secret_value_appears_in_a_repr() -> None:
    parsed = TwilioSecret.parse(
        StoredSecret(
            secret(NEW, previous_auth_token=OLD, api_key_sid="SK1", api_key_secret="key-secret")
        ),
        WINDOW,
        STORED_AT,
    )
    shown = repr(parsed) + repr(StoredSecret(secret(NEW)))
    assert NEW not in shown and OLD not in shown and "key-secret" not in shown


# -- webhook signatures across a rotation ---------------------------------------------------


def test_a_webhook_signed_with_the_current_token_needs_no_read(clock: Clock) -> None:
    source = MemorySecretSource(secret(OLD), STORED_AT)
    creds = credentials(source, clock)
    assert creds.signed(URL, PARAMS, signed_with(OLD))
    assert source.reads == 1


def test_a_webhook_signed_with_the_previous_token_is_valid_inside_the_window(
    clock: Clock,
) -> None:
    source = MemorySecretSource(secret(NEW, previous_auth_token=OLD), STORED_AT)
    creds = credentials(source, clock)
    assert creds.signed(URL, PARAMS, signed_with(OLD))
    assert creds.signed(URL, PARAMS, signed_with(NEW))  # Twilio signs with the new one now
    clock.wall = STORED_AT + WINDOW
    clock.advance(TTL)  # a reread of the same value changes nothing
    assert not creds.signed(URL, PARAMS, signed_with(OLD))
    assert creds.signed(URL, PARAMS, signed_with(NEW))


def test_until_twilio_signs_with_the_new_token_the_previous_one_stays_valid(
    clock: Clock,
) -> None:
    """The operator stored the new value in the evening and promotes it in the morning:
    every webhook in between is still signed with the old token and must not be lost."""
    source = MemorySecretSource(secret(NEW, previous_auth_token=OLD), STORED_AT)
    creds = credentials(source, clock)
    clock.wall = STORED_AT + 16 * 3600  # long after the stored value's window
    assert creds.signed(URL, PARAMS, signed_with(OLD))
    assert creds.signed(URL, PARAMS, signed_with(NEW))  # promoted: the window starts now
    clock.wall += WINDOW - 1
    assert creds.signed(URL, PARAMS, signed_with(OLD))  # one in flight, signed before
    clock.wall += 1
    assert not creds.signed(URL, PARAMS, signed_with(OLD))


def test_a_webhook_signed_with_a_token_the_container_has_not_seen_re_reads_at_once(
    clock: Clock,
) -> None:
    source = MemorySecretSource(secret(OLD), STORED_AT)
    creds = credentials(source, clock)
    creds.current()
    source.put(secret(NEW, previous_auth_token=OLD), clock.wall)  # the operator's new value
    assert creds.signed(URL, PARAMS, signed_with(NEW))  # Twilio promoted the new token
    assert creds.signed(URL, PARAMS, signed_with(OLD))  # one in flight, signed before
    assert source.reads == 2


def test_a_flood_of_forged_signatures_costs_one_read_per_interval(clock: Clock) -> None:
    source = MemorySecretSource(secret(OLD), STORED_AT)
    creds = credentials(source, clock)
    forged = signed_with("not-the-token")
    assert not any(creds.signed(URL, PARAMS, forged) for _ in range(500))
    assert source.reads == 2
    clock.advance(INTERVAL)
    assert not any(creds.signed(URL, PARAMS, forged) for _ in range(500))
    assert source.reads == 3


def test_a_missing_signature_is_refused_without_a_read(clock: Clock) -> None:
    source = MemorySecretSource(secret(OLD), STORED_AT)
    creds = credentials(source, clock)
    assert not creds.signed(URL, PARAMS, "")
    assert source.reads == 0


def test_an_api_key_secret_never_validates_a_webhook(clock: Clock) -> None:
    source = MemorySecretSource(
        secret(NEW, api_key_sid="SK" + "1" * 32, api_key_secret="key-secret"), STORED_AT
    )
    assert not credentials(source, clock).signed(URL, PARAMS, signed_with("key-secret"))
