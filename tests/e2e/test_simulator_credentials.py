"""The carrier simulator's credentials rotate as Twilio's do: a secondary token the
API accepts, its promotion (webhooks signed with it, the old token refused with 401),
API keys created and revoked. Runs standalone, on the simulator's own harness."""

from __future__ import annotations

from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from chalicelib.adapters.twilio import TwilioAuthFailed, TwilioClient
from tests.e2e.test_simulator import ACCOUNT, BUSINESS, PHONE, TOKEN, Harness, sim  # noqa: F401


def rotate(harness: Harness, action: str, **extra: Any) -> Any:
    return harness.http.post(
        f"{harness.base}/_sim/twilio/credentials", json={"action": action, **extra}, timeout=5
    )


def client(harness: Harness, **auth: str) -> TwilioClient:
    return TwilioClient(ACCOUNT, base_url=f"{harness.base}/_sim/twilio", timeout=5, **auth)


def send(target: TwilioClient, harness: Harness, text: str) -> str:
    sent = target.send(BUSINESS, PHONE, text, [], f"{harness.base}/webhooks/twilio/status", None)
    return sent.provider_message_id


def signed_with(harness: Harness, token: str, sid: str) -> bool:
    from multidict import MultiDict

    [hook] = harness.wait_callbacks(sid, 2)[:1]
    params: MultiDict[str] = MultiDict()
    for key, values in hook.params.items():
        for value in values:
            params.add(key, value)
    signature = hook.headers.get("X-Twilio-Signature", "")
    return bool(RequestValidator(token).validate(hook.url, params, signature))


def test_a_promoted_secondary_token_signs_webhooks_and_the_old_one_is_refused(
    sim: Harness,  # noqa: F811
) -> None:
    secondary = rotate(sim, "create_secondary_token").json()["secondary_auth_token"]
    before = send(client(sim, auth_token=secondary), sim, "the secondary works")
    assert send(client(sim, auth_token=TOKEN), sim, "so does the primary")
    assert signed_with(sim, TOKEN, before)  # still signed with the primary

    assert rotate(sim, "promote_secondary_token").json() == {"auth_token": secondary}
    with pytest.raises(TwilioAuthFailed) as error:
        send(client(sim, auth_token=TOKEN), sim, "refused")
    assert (error.value.status, error.value.provider_code) == (401, "20003")
    after = send(client(sim, auth_token=secondary), sim, "after the promotion")
    assert signed_with(sim, secondary, after) and not signed_with(sim, TOKEN, after)
    listed = sim.messages()
    assert [r["mode"] for r in listed["refused"]] == ["unauthorized"]
    assert "refused" not in [m["text"] for m in listed["items"]]


def test_an_api_key_authenticates_until_it_is_revoked(sim: Harness) -> None:  # noqa: F811
    key = rotate(sim, "create_api_key")
    assert key.status_code == 201 and key.json()["sid"].startswith("SK")
    sid, secret = key.json()["sid"], key.json()["secret"]
    with_key = client(sim, api_key_sid=sid, api_key_secret=secret)
    send(with_key, sim, "with the key")
    [message] = sim.messages()["items"]
    assert message["auth"] == sid
    assert rotate(sim, "revoke_api_key", sid=sid).status_code == 200
    with pytest.raises(TwilioAuthFailed):
        send(with_key, sim, "revoked")
    with pytest.raises(TwilioAuthFailed):  # a key's secret is not the account's token
        send(client(sim, auth_token=secret), sim, "as the account")


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"action": "promote_secondary_token"}, 409),
        ({"action": "revoke_api_key", "sid": "SK" + "0" * 32}, 404),
        ({"action": "rotate_everything"}, 400),
    ],
)
def test_a_rotation_that_cannot_happen_changes_nothing(
    sim: Harness,  # noqa: F811
    payload: dict[str, Any],
    status: int,
) -> None:
    response = rotate(sim, **payload)
    assert response.status_code == status and "error" in response.json()
    assert send(client(sim, auth_token=TOKEN), sim, "the token still works")
