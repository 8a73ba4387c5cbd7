"""``python -m local.faults`` (``make faults``): exactly-once under faults, on the local stack.

Starts the local stack on free loopback ports (or uses ``--state-file``) and runs:

- every provider failure mode of the carrier simulator on outbound texts: 5xx,
  429, a slow 504, a timeout longer than the app waits, late, duplicate and
  out-of-order status callbacks;
- a consumer killed in the middle of a batch (the SMS sender and the real-time
  fan-out), its batch redelivered;
- a stale WebSocket (gone without ``$disconnect``: posts to it answer 410).

Each text is counted where it lands: the simulated phone's inbox. Each IM at the
devices. A text or IM is *lost* if it never arrives and the app does not say so
(a text the provider may have taken is reported ``unknown``, never resent: that
is the rule, and it is counted as held, not lost); *duplicated* if it arrives
twice. Prints a table; exits 1 on any loss or duplicate.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import requests
from websockets.sync.client import ClientConnection, connect

from local.launcher import StackError, local_stack

HTTP_SECONDS = 30.0
SETTLE_SECONDS = 3.0  # after everything arrived, a late duplicate still counts
CLIENT_TIMEOUT_SECONDS = 5.0  # the Twilio adapter's wait (chalicelib.adapters.twilio)
NOT_DELIVERED = {"failed", "undelivered", "unknown"}


@dataclass
class Row:
    scenario: str
    sent: int = 0
    arrived_once: int = 0
    lost: int = 0
    duplicated: int = 0
    held: int = 0  # reported unknown / failed by the app, not delivered: by design
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicated


class Client:
    """REST as one demo user."""

    def __init__(self, state: dict[str, Any], username: str) -> None:
        self.state = state
        self.user = next(u for u in state["users"] if u["username"] == username)
        cognito = boto3.client(
            "cognito-idp",
            endpoint_url=state["aws_endpoint_url"],
            region_name=state["region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.token = str(
            cognito.initiate_auth(
                AuthFlow="USER_PASSWORD_AUTH",
                ClientId=state["cognito"]["client_id"],
                AuthParameters={"USERNAME": username, "PASSWORD": self.user["password"]},
            )["AuthenticationResult"]["IdToken"]
        )
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def post(self, path: str, body: Any) -> requests.Response:
        return self.http.post(self.state["rest_url"] + path, json=body, timeout=HTTP_SECONDS)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.state["rest_url"] + path, timeout=HTTP_SECONDS)

    def send(self, conversation_id: str, text: str) -> dict[str, Any]:
        response = self.post(
            f"/conversations/{conversation_id}/messages",
            {"client_id": uuid.uuid4().hex, "text": text},
        )
        if response.status_code not in (201, 202):
            raise RuntimeError(f"send refused: {response.status_code} {response.text}")
        return dict(response.json())

    def statuses(self, conversation_id: str) -> dict[str, str]:
        items = self.get(f"/conversations/{conversation_id}/messages?limit=50").json()["items"]
        return {m["id"]: m["status"] for m in items}


class Device:
    """A WebSocket that counts every ``message.created`` per message id."""

    def __init__(self, state: dict[str, Any], token: str, user_agent: str = "faults") -> None:
        self.socket: ClientConnection = connect(
            f"{state['ws_url']}?token={token}",
            proxy=None,
            open_timeout=HTTP_SECONDS,
            user_agent_header=user_agent,
        )
        self.created: Counter[str] = Counter()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for raw in self.socket:
                frame = json.loads(raw)
                if frame.get("type") == "message.created":
                    self.created[str(frame["data"]["id"])] += 1
        except Exception:  # closed
            return

    def close(self) -> None:
        self.socket.close()


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


class Simulator:
    def __init__(self, state: dict[str, Any]) -> None:
        self.url = state["simulator_url"]
        self.http = requests.Session()
        self.http.trust_env = False

    def mode(
        self, phone: str, mode: str, count: int | None = None, delay: float | None = None
    ) -> None:
        body: dict[str, Any] = {"mode": mode}
        if count is not None:
            body["count"] = count
        if delay is not None:
            body["delay_seconds"] = delay
        response = self.http.post(
            f"{self.url}/phones/{phone}/mode", json=body, timeout=HTTP_SECONDS
        )
        response.raise_for_status()

    def inbox(self, phone: str) -> Counter[str]:
        response = self.http.get(f"{self.url}/phones/{phone}/inbox", timeout=HTTP_SECONDS)
        response.raise_for_status()
        return Counter(m["text"] for m in response.json())


@dataclass
class Text:
    scenario: str
    sender: Client
    conversation_id: str
    phone: str
    text: str
    message_id: str = ""
    expect_delivery: bool = True  # False: the app must report it (unknown), not send it


def sms_scenarios(
    state: dict[str, Any], senders: list[Client], texts_per_phone: int
) -> list[tuple[str, str, int | None, float | None, bool]]:
    """(scenario, mode, count, delay, expect delivery) — each on phones of its own."""
    return [
        ("provider accepts (baseline)", "deliver", None, None, True),
        ("provider 5xx, then accepts", "server_error", 1, None, True),
        ("provider 5xx on every try but the last", "server_error", 2, None, True),
        ("provider 429 with Retry-After", "rate_limit", 1, None, True),
        ("provider 504 after 1 s", "timeout", 1, 1.0, True),
        ("provider silent past the app's timeout", "timeout", 1, CLIENT_TIMEOUT_SECONDS + 2, False),
        ("status callbacks late", "late", None, 2.0, True),
        ("status callbacks twice", "duplicate_callbacks", None, None, True),
        ("status callbacks out of order", "out_of_order", None, None, True),
    ]


def phone_number(run: int, n: int) -> str:
    """A valid US mobile number of this run (exchanges 200-999: a NANP exchange never
    starts with 0 or 1, and the app refuses an invalid number), the n-th of the run."""
    import phonenumbers

    exchange = 200 + run % 800
    for step in range(800):
        candidate = f"+1415{200 + (exchange - 200 + step) % 800:03d}{n:04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate
    raise RuntimeError("no valid number in +1415")


def run_texts(
    state: dict[str, Any],
    sim: Simulator,
    senders: list[Client],
    plan: list[tuple[str, str, int | None, float | None, bool]],
    texts_per_phone: int,
    wait_seconds: float,
    before_send: Callable[[], None] | None = None,
) -> list[Row]:
    run = uuid.uuid4().hex[:6]
    texts: list[Text] = []
    for n, (scenario, mode, count, delay, expect) in enumerate(plan):
        sender = senders[n % len(senders)]
        phone = phone_number(int(run, 16), n)
        if mode != "deliver":
            sim.mode(phone, mode, count, delay)
        started = sender.post("/conversations", {"type": "sms", "to": phone})
        if started.status_code not in (200, 201):
            raise RuntimeError(f"could not start a text conversation: {started.text}")
        conversation_id = started.json()["id"]
        for k in range(texts_per_phone):
            texts.append(
                Text(scenario, sender, conversation_id, phone, f"{scenario} #{k} {run}", "", expect)
            )
            if not expect:
                break  # one is enough: it will not go out
    if before_send is not None:
        before_send()
    for text in texts:
        text.message_id = text.sender.send(text.conversation_id, text.text)["id"]

    def inboxes() -> dict[str, Counter[str]]:
        return {phone: sim.inbox(phone) for phone in {t.phone for t in texts}}

    def statuses() -> dict[str, str]:
        found: dict[str, str] = {}
        for conversation_id, sender in {(t.conversation_id, t.sender) for t in texts}:
            found.update(sender.statuses(conversation_id))
        return found

    def settled() -> bool:
        boxes, status = inboxes(), statuses()
        return all(
            boxes[t.phone][t.text] >= 1 and status.get(t.message_id) == "delivered"
            if t.expect_delivery
            else status.get(t.message_id) in NOT_DELIVERED
            for t in texts
        )

    wait_until(settled, wait_seconds)
    time.sleep(SETTLE_SECONDS)
    boxes, status = inboxes(), statuses()
    rows: dict[str, Row] = {}
    for text in texts:
        row = rows.setdefault(text.scenario, Row(text.scenario))
        row.sent += 1
        arrived = boxes[text.phone][text.text]
        final = status.get(text.message_id, "?")
        if arrived > 1:
            row.duplicated += 1
        elif arrived == 1:
            row.arrived_once += 1
            if final != "delivered":
                row.notes.append(f"arrived, status {final}")
        elif final in NOT_DELIVERED and not text.expect_delivery:
            row.held += 1
        else:
            row.lost += 1
            row.notes.append(f"never arrived (status {final})")
    return list(rows.values())


def im_kill_scenario(state: dict[str, Any], sim: Simulator, count: int) -> Row:
    """The real-time fan-out dies half-way through a batch; the batch comes back."""
    alice, dave = Client(state, "alice"), Client(state, "dave")
    row = Row("real-time fan-out killed mid-batch")
    devices = [Device(state, dave.token), Device(state, dave.token), Device(state, alice.token)]
    try:
        conversation = alice.post(
            "/conversations", {"type": "im", "members": [dave.user["user_id"]]}
        )
        conversation_id = conversation.json()["id"]
        requests.post(
            f"{state['rest_url']}/_faults/consumers/realtime_consumer/kill", timeout=HTTP_SECONDS
        ).raise_for_status()
        ids = [alice.send(conversation_id, f"kill {n}")["id"] for n in range(count)]
        row.sent = len(ids) * len(devices)
        wait_until(lambda: all(d.created[i] >= 1 for d in devices for i in ids), 60)
        time.sleep(SETTLE_SECONDS)
        for device in devices:
            for message_id in ids:
                seen = device.created[message_id]
                row.arrived_once += seen == 1
                row.duplicated += seen > 1
                row.lost += seen == 0
        row.notes.append("counted per (device, message)")
    finally:
        for device in devices:
            device.close()
    return row


def stale_scenario(state: dict[str, Any], count: int) -> Row:
    """One of grace's two devices vanishes without $disconnect: posts to it get 410."""
    erin, grace = Client(state, "erin"), Client(state, "grace")
    row = Row("stale connection (410 Gone)")
    agent = f"stale-{uuid.uuid4().hex[:8]}"
    live, gone = Device(state, grace.token), Device(state, grace.token, user_agent=agent)
    try:
        conversation_id = erin.post(
            "/conversations", {"type": "im", "members": [grace.user["user_id"]]}
        ).json()["id"]
        dropped = requests.post(
            f"{state['rest_url']}/_faults/connections/stale",
            json={"user_agent": agent},
            timeout=HTTP_SECONDS,
        ).json()["stale"]
        if len(dropped) != 1:
            raise RuntimeError(f"expected one stale connection, got {dropped}")
        ids = [erin.send(conversation_id, f"stale {n}")["id"] for n in range(count)]
        row.sent = len(ids)
        wait_until(lambda: all(live.created[i] >= 1 for i in ids), 60)
        time.sleep(SETTLE_SECONDS)
        for message_id in ids:
            seen = live.created[message_id]
            row.arrived_once += seen == 1
            row.duplicated += seen > 1
            row.lost += seen == 0
        row.notes.append("counted at the live device")
    finally:
        live.close()
        gone.close()
    return row


def report(rows: list[Row]) -> str:
    head = ("scenario", "sent", "once", "lost", "dup", "held", "notes")
    lines = [
        (
            r.scenario,
            str(r.sent),
            str(r.arrived_once),
            str(r.lost),
            str(r.duplicated),
            str(r.held),
            "; ".join(dict.fromkeys(r.notes)),
        )
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    for line in lines:
        out.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local.faults", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--texts", type=int, default=2, help="texts per provider mode")
    parser.add_argument("--messages", type=int, default=6, help="IMs per fan-out scenario")
    parser.add_argument("--wait-seconds", type=float, default=90.0, help="per group of scenarios")
    parser.add_argument("--state-file", default=None, help="use a running stack's stack.json")
    return parser.parse_args(argv)


def run(state: dict[str, Any], args: argparse.Namespace) -> list[Row]:
    sim = Simulator(state)
    senders = [Client(state, name) for name in ("alice", "bob", "erin")]
    rows = run_texts(
        state,
        sim,
        senders,
        sms_scenarios(state, senders, args.texts),
        args.texts,
        args.wait_seconds,
    )

    def kill_sender() -> None:
        requests.post(
            f"{state['rest_url']}/_faults/consumers/sms_sender/kill", timeout=HTTP_SECONDS
        ).raise_for_status()

    rows += run_texts(
        state,
        sim,
        senders[:1],
        [("SMS sender killed mid-batch", "deliver", None, None, True)],
        args.texts,
        args.wait_seconds,
        before_send=kill_sender,
    )
    rows.append(im_kill_scenario(state, sim, args.messages))
    rows.append(stale_scenario(state, args.messages))
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows: list[Row] | None = None
    stop_error = ""
    try:
        with local_stack(args.state_file) as stack:
            rows = run(stack.state, args)
    except StackError as error:  # the table still prints if the run itself finished
        stop_error = str(error)
    if rows is None:
        print(stop_error)
        return 1
    print("\nFaults on the local stack (each text counted at the phone, each IM at the devices)")
    print(report(rows))
    failed = [r.scenario for r in rows if not r.ok]
    if failed:
        print(f"FAIL: lost or duplicated in: {', '.join(failed)}")
    if stop_error:
        print(f"{stop_error}\nFAIL: the local stack did not stop cleanly")
    return 1 if failed or stop_error else 0


if __name__ == "__main__":
    sys.exit(main())
