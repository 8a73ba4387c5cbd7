"""Rotating Twilio's credentials under traffic, on a local stack of its own: texts
flow both ways while the auth token is rotated (a secondary token, the secret
updated with it and an API key, then Twilio promotes it) and then the API key (a
new key in the secret, the old one revoked at once). Not one text is lost or sent
twice in either direction.

Each step is taken at once, without waiting for the TTL (300 s, longer than the
test): the containers learn of it only from a 401 or a signature that fails, so
the test proves the forced re-read. The re-read bound is 1 s here (30 s by
default) so the second step need not wait for it; the steps are further apart
than that. The stack is its own because the rotation changes the credentials
every other end-to-end test signs with (``stack.json`` keeps the first token);
its pacing and rate limits are wide so texts go out as fast as they are written.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests

from tests.e2e.clients import Api, Stack, login, user
from tests.e2e.conftest import running_stack

pytestmark = pytest.mark.e2e

PACE_SECONDS = 0.1  # between two texts of one direction
REREAD_SECONDS = 1
STEP_TEXTS = 15  # texts each way between two steps: longer apart than REREAD_SECONDS
DEADLINE = 60.0


def wait_for(condition: Callable[[], Any], timeout: float = DEADLINE, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not before the deadline: {what or condition}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def rotation_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TWILIO_SECRET_REREAD_MIN_SECONDS", str(REREAD_SECONDS))
        env.setenv("SMS_PACING_LOCAL_PER_SECOND", "100")
        env.setenv("SMS_RATE_PER_USER_PER_MINUTE", "10000")
        env.setenv("SMS_RATE_PER_COMPANY_PER_MINUTE", "10000")
        with running_stack(tmp_path_factory, "rotation-stack") as state:
            yield state


class Carrier:
    """The simulated Twilio account, and the stage's secret in the stack's moto."""

    def __init__(self, stack: Stack) -> None:
        self.url = stack["simulator_url"]
        self.http = requests.Session()
        self.http.trust_env = False
        twilio = stack["providers"]["twilio"]
        self.secret_name = twilio["secret_name"]
        self.secret: dict[str, str] = {
            "account_sid": twilio["account_sid"],
            "auth_token": twilio["auth_token"],
        }
        self.secrets = boto3.client(
            "secretsmanager",
            endpoint_url=stack["aws_endpoint_url"],
            region_name=stack["region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def rotate(self, action: str, **extra: str) -> dict[str, str]:
        response = self.http.post(
            f"{self.url}/twilio/credentials", json={"action": action, **extra}, timeout=10
        )
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def put_secret(self, **changes: str) -> None:
        """What the operator runs: ``aws secretsmanager put-secret-value``."""
        self.secret |= changes
        self.secrets.put_secret_value(
            SecretId=self.secret_name, SecretString=json.dumps(self.secret)
        )

    def messages(self) -> dict[str, Any]:
        return dict(self.http.get(f"{self.url}/messages", timeout=10).json())

    def inbox(self, phone: str) -> list[dict[str, Any]]:
        return list(self.http.get(f"{self.url}/phones/{phone}/inbox", timeout=10).json())

    def text_from(self, phone: str, to: str, text: str) -> dict[str, Any]:
        response = self.http.post(
            f"{self.url}/phones/{phone}/send", json={"to": to, "text": text}, timeout=30
        )
        assert response.status_code == 201, response.text
        return dict(response.json())


class Traffic:
    """Texts both ways, one every ``PACE_SECONDS`` per direction, until stopped."""

    def __init__(self, alice: Api, carrier: Carrier, conversation: dict[str, Any]) -> None:
        self.alice, self.carrier, self.conversation = alice, carrier, conversation
        self.out: list[tuple[str, int]] = []  # text, REST status
        self.inbound: list[tuple[str, Any]] = []  # text, the app's answer to the webhook
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(self._one_out,), daemon=True),
            threading.Thread(target=self._run, args=(self._one_in,), daemon=True),
        ]

    def _run(self, one: Callable[[int], None]) -> None:
        n = 0
        while not self.stop.is_set():
            try:
                one(n)
            except Exception as error:  # reported by the test
                self.failures.append(f"{type(error).__name__}: {error}")
            n += 1
            self.stop.wait(PACE_SECONDS)

    def _one_out(self, n: int) -> None:
        text = f"out-{n}"
        response = self.alice.post(
            f"/conversations/{self.conversation['id']}/messages",
            {"client_id": str(uuid.uuid4()), "text": text},
        )
        self.out.append((text, response.status_code))

    def _one_in(self, n: int) -> None:
        text = f"in-{n}"
        sent = self.carrier.text_from(
            self.conversation["external_number"], self.conversation["business_number"], text
        )
        self.inbound.append((text, sent.get("webhook_status")))

    def __enter__(self) -> Traffic:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(DEADLINE)

    def more(self, count: int = STEP_TEXTS) -> None:
        """Wait until ``count`` more texts went each way."""
        out, inbound = len(self.out) + count, len(self.inbound) + count
        wait_for(
            lambda: len(self.out) >= out and len(self.inbound) >= inbound,
            what=f"{count} more texts each way",
        )


def history(api: Api, conversation_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = f"?limit=100&cursor={cursor}" if cursor else "?limit=100"
        page = api.get(f"/conversations/{conversation_id}/messages{query}").json()
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def authenticated_with(carrier: Carrier, sid: str) -> bool:
    return any(m["auth"] == sid for m in carrier.messages()["items"])


def test_rotating_the_token_and_the_api_key_under_traffic_loses_and_repeats_no_text(
    rotation_stack: Stack,
) -> None:
    stack = rotation_stack
    carrier = Carrier(stack)
    alice = Api(stack["rest_url"], login(stack, "alice"))
    customer = f"+1415555{uuid.uuid4().int % 9000 + 1000}"
    business = user(stack, "alice")["numbers"][0]
    started = alice.post("/conversations", {"type": "sms", "to": customer, "from": business})
    assert started.status_code == 201, started.text
    conversation = started.json()

    with Traffic(alice, carrier, conversation) as traffic:
        traffic.more()
        # The auth token, as docs/sms.md tells the operator (minus the wait for the
        # TTL): a secondary token, the secret holding it with the old one as previous
        # (and, from now on, an API key for the REST API), then Twilio promotes it.
        old = carrier.secret["auth_token"]
        new = carrier.rotate("create_secondary_token")["secondary_auth_token"]
        first = carrier.rotate("create_api_key")
        carrier.put_secret(
            auth_token=new,
            previous_auth_token=old,
            api_key_sid=first["sid"],
            api_key_secret=first["secret"],
        )
        carrier.rotate("promote_secondary_token")
        # Only a 401 (the old token refused) makes the sender re-read within the TTL.
        wait_for(lambda: authenticated_with(carrier, first["sid"]), what="texts with the key")
        traffic.more()
        # The API key: a second key in the secret, the first revoked at once.
        second = carrier.rotate("create_api_key")
        carrier.put_secret(api_key_sid=second["sid"], api_key_secret=second["secret"])
        carrier.rotate("revoke_api_key", sid=first["sid"])
        wait_for(lambda: authenticated_with(carrier, second["sid"]), what="the second key")
        traffic.more()

    assert traffic.failures == []
    out_texts = [text for text, _ in traffic.out]
    in_texts = [text for text, _ in traffic.inbound]
    assert len(out_texts) >= 15 and len(in_texts) >= 15
    assert {status for _, status in traffic.out} == {202}
    # Every inbound webhook was accepted: Twilio would not have retried a 403.
    assert {status for _, status in traffic.inbound} == {200}

    def delivered() -> list[dict[str, Any]] | None:
        items = history(alice, conversation["id"])
        mine = [m for m in items if m["text"] in out_texts]
        settled = len(mine) == len(out_texts) and all(m["status"] == "delivered" for m in mine)
        return items if settled else None

    # Delivered means the carrier's status callbacks were accepted too.
    items = wait_for(delivered, what="every outbound text delivered")
    stored = Counter(m["text"] for m in items)
    assert all(stored[text] == 1 for text in out_texts + in_texts), stored

    carried = carrier.messages()
    sent = Counter(m["text"] for m in carried["items"] if m["direction"] == "outbound-api")
    assert {text: sent[text] for text in out_texts} == dict.fromkeys(out_texts, 1)
    received = Counter(m["text"] for m in carrier.inbox(customer))
    assert {text: received[text] for text in out_texts} == dict.fromkeys(out_texts, 1)
    callbacks = [w for m in carried["items"] for w in m["webhooks"] if m["text"] in out_texts]
    assert callbacks and {w.get("response_status") for w in callbacks} == {200}
    # The rotation did bite: stale credentials were refused twice (or more, when
    # texts were in flight together), and each text was sent again after a re-read.
    assert Counter(r["mode"] for r in carried["refused"])["unauthorized"] >= 2
