"""``python -m local.load`` (``make load``): bounded IM load against the local stack.

Starts the local stack on free loopback ports (as the end-to-end tests do), or
uses a running one (``--state-file``), then:

1. pre-seeds ``--seed-items`` items (default 100k) straight into moto (its bulk
   loader, ``local.motoserver.seed_items``): old conversations and their
   messages, some in the index, without stream records (as for old items);
2. creates ``--connections`` users (Cognito users of the local pool plus their
   directory profile) in one company and pairs them in one-to-one IM
   conversations, each user with one WebSocket;
3. once a probe IM has reached both its devices (the events the connects
   queued are behind it), sends ``--messages`` IMs over real HTTP at ``--rate``
   per second, spread over the pairs, and waits for every ``message.created``
   frame. CPU and AWS requests per message are counted over the sends.

Accounting is exactly-once per (device, message): every device of both members
must receive each message once. It prints a table (send and delivery latency
p50/p95/p99, lost, duplicated, the stack's memory) and exits 1 on any loss,
duplicate or refused send (and, with ``--max-p95``, on a slower p95).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import boto3
import requests
from botocore.config import Config

from local.launcher import RunningStack, StackError, local_stack

SETUP_SECONDS = 300.0  # opening conversations and WebSockets on a busy machine
SEND_SECONDS = 30.0  # a send slower than this counts as refused
SEED_CHUNK = 2000  # items per bulk-load request
SEED_MESSAGES_PER_CONVERSATION = 100


def aws_client(state: dict[str, Any], service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=state["aws_endpoint_url"],
        region_name=state["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False),  # moto validates; do not do it twice
    )


def table_name() -> str:
    from chalicelib import resources

    return resources.physical(resources.DEFAULT_PREFIX, resources.MESSAGING_TABLE.logical)


# -- seeding --------------------------------------------------------------------------


def seed_item(n: int, company_id: str) -> dict[str, Any]:
    """The n-th stored message of an old conversation (the shape the app writes,
    its sparse index included), so every query and index is as full as in use."""
    conversation = f"seed{n // SEED_MESSAGES_PER_CONVERSATION:06d}"
    seq = n % SEED_MESSAGES_PER_CONVERSATION + 1
    created = f"2025-01-01T00:{(n // 60) % 60:02d}:{n % 60:02d}.000Z"
    item = {
        "pk": {"S": f"CONV#{conversation}"},
        "sk": {"S": f"MSG#{seq:012d}"},
        "conversation_id": {"S": conversation},
        "company_id": {"S": company_id},
        "seq": {"N": str(seq)},
        "client_id": {"S": f"seed-{n}"},
        "sender": {"S": "seed"},
        "text": {"S": f"stored message {n}"},
        "status": {"S": "sent"},
        "created_at": {"S": created},
    }
    if n % 10 == 0:  # some in the index, across its partitions
        item["gsi1pk"] = {"S": f"SEED#{n % 16}"}
        item["gsi1sk"] = {"S": f"{created}#{conversation}#{seq}"}
    return item


def seed(state: dict[str, Any], count: int, company_id: str) -> float:
    """Store ``count`` old items straight into moto (its bulk loader: no stream
    records, as for items written more than a day ago); returns the seconds taken."""
    from local.motoserver import SEED_PATH

    table = table_name()
    started = time.monotonic()
    http = requests.Session()
    http.trust_env = False
    for first in range(0, count, SEED_CHUNK):
        items = [seed_item(n, company_id) for n in range(first, min(first + SEED_CHUNK, count))]
        response = http.post(
            state["aws_endpoint_url"] + SEED_PATH,
            json={"region": state["region"], "table": table, "items": items},
            timeout=120,
        )
        if response.status_code != 200:
            raise RuntimeError(f"seeding failed: {response.status_code} {response.text}")
    return time.monotonic() - started


# -- users, conversations -------------------------------------------------------------


@dataclass
class LoadUser:
    username: str
    user_id: str
    token: str = ""


def create_users(state: dict[str, Any], count: int, company_id: str) -> list[LoadUser]:
    """``count`` Cognito users with directory profiles in one company, signed in."""
    from local import demo, environment

    environment.use_local_aws(state["aws_endpoint_url"], state["region"])
    from chalicelib.adapters import dynamodb
    from chalicelib.domain.model import User

    dynamodb.bind_models(table_name(), state["region"])
    pool_id = state["cognito"]["user_pool_id"]
    client_id = state["cognito"]["client_id"]
    run = uuid.uuid4().hex[:6]
    local = threading.local()

    def make(n: int) -> LoadUser:
        if not hasattr(local, "cognito"):
            local.cognito = aws_client(state, "cognito-idp")
        cognito = local.cognito
        username = f"load{run}{n:04d}"
        password = demo.random_password()
        sub = demo.create_cognito_user(
            cognito, pool_id, username, f"{username}@load.example", password
        )
        dynamodb.DynamoDirectoryRepository().put_user(
            User(
                user_id=sub,
                company_id=company_id,
                name=f"Load {n}",
                email=f"{username}@load.example",
                extension=f"9{n:04d}",
                role="user",
            )
        )
        token = cognito.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )["AuthenticationResult"]["IdToken"]
        return LoadUser(username, sub, str(token))

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(make, range(count)))


# -- the run ----------------------------------------------------------------------------


@dataclass
class Sent:
    message_id: str
    at: float
    recipients: tuple[int, ...]  # device indexes


@dataclass
class Tally:
    """What each device received: message id → arrival times (one, if all is well)."""

    received: dict[tuple[int, str], list[float]] = field(default_factory=dict)

    def record(self, device: int, message_id: str) -> None:
        self.received.setdefault((device, message_id), []).append(time.monotonic())


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def device_reader(index: int, socket: aiohttp.ClientWebSocketResponse, tally: Tally) -> None:
    async for frame in socket:
        if frame.type != aiohttp.WSMsgType.TEXT:
            continue
        try:
            payload = json.loads(frame.data)
        except ValueError:
            continue
        if payload.get("type") == "message.created":
            tally.record(index, str(payload.get("data", {}).get("id")))


async def run_load(
    state: dict[str, Any],
    users: list[LoadUser],
    messages: int,
    rate: float,
    drain_seconds: float,
    snapshot: Callable[[], Any] = lambda: None,
) -> dict[str, Any]:
    tally = Tally()
    rest = state["rest_url"]
    timeout = aiohttp.ClientTimeout(total=SETUP_SECONDS)  # set-up; each send has its own
    # Each WebSocket holds its connection for good: the devices get a pool without a
    # limit of its own (in the sends' pool, the 65th device would wait for a free slot
    # until it timed out).
    async with (
        aiohttp.ClientSession(
            timeout=timeout, connector=aiohttp.TCPConnector(limit=64), trust_env=False
        ) as http,
        aiohttp.ClientSession(
            timeout=timeout, connector=aiohttp.TCPConnector(limit=0), trust_env=False
        ) as devices,
    ):
        # conversations: pairs (0, 1), (2, 3), ...
        pairs: list[tuple[int, int, str]] = []
        for a in range(0, len(users) - 1, 2):
            async with http.post(
                f"{rest}/conversations",
                json={"type": "im", "members": [users[a + 1].user_id]},
                headers={"Authorization": f"Bearer {users[a].token}"},
            ) as response:
                body = await response.json()
                if response.status not in (200, 201):
                    raise RuntimeError(f"could not open a conversation: {response.status} {body}")
                pairs.append((a, a + 1, str(body["id"])))
        # devices: one WebSocket per user
        connect_started = time.monotonic()
        sockets: list[aiohttp.ClientWebSocketResponse] = []
        for n in range(0, len(users), 20):
            sockets += await asyncio.gather(
                *(
                    devices.ws_connect(f"{state['ws_url']}?token={u.token}", heartbeat=None)
                    for u in users[n : n + 20]
                )
            )
        connect_seconds = time.monotonic() - connect_started
        readers = [asyncio.create_task(device_reader(n, s, tally)) for n, s in enumerate(sockets)]
        # Settle: the devices' connects queued events of their own (presence, ...);
        # one probe IM, delivered, means the pipeline got through them (a stream
        # shard is read in order), so the figures are those of connected devices.
        settle_started = time.monotonic()
        a, b, conversation_id = pairs[0]
        async with http.post(
            f"{rest}/conversations/{conversation_id}/messages",
            json={"client_id": f"probe-{uuid.uuid4().hex}", "text": "probe"},
            headers={"Authorization": f"Bearer {users[a].token}"},
        ) as response:
            probe = str((await response.json())["id"])
        while not {(a, probe), (b, probe)} <= tally.received.keys():
            if time.monotonic() - settle_started > SETUP_SECONDS:
                raise RuntimeError("the probe IM was not delivered: the stack does not deliver")
            await asyncio.sleep(0.05)
        for key in ((a, probe), (b, probe)):
            del tally.received[key]
        settle_seconds = time.monotonic() - settle_started
        before = snapshot()
        sent: list[Sent] = []
        refused: list[str] = []
        send_latency: list[float] = []

        async def send(k: int) -> None:
            a, b, conversation_id = pairs[k % len(pairs)]
            sender = a if (k // len(pairs)) % 2 == 0 else b
            started = time.monotonic()
            try:
                async with http.post(
                    f"{rest}/conversations/{conversation_id}/messages",
                    json={"client_id": f"load-{uuid.uuid4().hex}", "text": f"load message {k}"},
                    headers={"Authorization": f"Bearer {users[sender].token}"},
                    timeout=aiohttp.ClientTimeout(total=SEND_SECONDS),
                ) as response:
                    body = await response.json()
                    status = response.status
            except (TimeoutError, aiohttp.ClientError) as error:
                refused.append(type(error).__name__)
                return
            finally:
                send_latency.append(time.monotonic() - started)
            if status not in (200, 201):
                refused.append(f"{status} {body.get('error', {}).get('code')}")
                return
            sent.append(Sent(str(body["id"]), started, (a, b)))

        tasks = []
        first = time.monotonic()
        for k in range(messages):
            delay = first + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(k)))
        await asyncio.gather(*tasks)
        send_seconds = time.monotonic() - first
        expected = {(d, s.message_id) for s in sent for d in s.recipients}
        deadline = time.monotonic() + drain_seconds
        while time.monotonic() < deadline and not expected <= tally.received.keys():
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # a late duplicate still counts
        for socket in sockets:
            await socket.close()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)

    started_at = {s.message_id: s.at for s in sent}
    latencies = [
        times[0] - started_at[message_id]
        for (_, message_id), times in tally.received.items()
        if message_id in started_at
    ]
    counts = Counter({key: len(times) for key, times in tally.received.items()})
    return {
        "pairs": len(pairs),
        "settle_seconds": settle_seconds,
        "before": before,
        "connect_seconds": connect_seconds,
        "send_seconds": send_seconds,
        "sent": len(sent),
        "refused": refused,
        "expected": len(expected),
        "delivered": len(expected & tally.received.keys()),
        "lost": len(expected - tally.received.keys()),
        "duplicated": sum(1 for key in expected if counts[key] > 1),
        "unexpected": len(tally.received.keys() - expected),
        "send_latency": send_latency,
        "latency": latencies,
    }


def report(result: dict[str, Any], extra: dict[str, str]) -> str:
    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:,.0f} ms"

    rows = [
        *extra.items(),
        ("conversations", str(result["pairs"])),
        ("connect all devices", f"{result['connect_seconds']:.1f} s"),
        ("settle (a probe IM delivered)", f"{result['settle_seconds']:.1f} s"),
        ("sends accepted", f"{result['sent']} in {result['send_seconds']:.1f} s"),
        ("sends refused", str(len(result["refused"]))),
        ("deliveries expected", str(result["expected"])),
        ("delivered", str(result["delivered"])),
        ("lost", str(result["lost"])),
        ("duplicated", str(result["duplicated"])),
        (
            "send (HTTP) p50/p95/p99",
            " / ".join(ms(result["send_latency"], q) for q in (50, 95, 99)),
        ),
        ("delivery p50/p95/p99", " / ".join(ms(result["latency"], q) for q in (50, 95, 99))),
        ("delivery max", ms(result["latency"], 100)),
        (
            "delivery mean",
            f"{statistics.fmean(result['latency']) * 1000:,.0f} ms" if result["latency"] else "-",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--connections", type=int, default=200, help="WebSockets (one per user)")
    parser.add_argument("--rate", type=float, default=20.0, help="sends per second")
    parser.add_argument("--messages", type=int, default=600, help="how many sends")
    parser.add_argument("--seed-items", type=int, default=100_000, help="items stored first")
    parser.add_argument("--drain-seconds", type=float, default=60.0, help="wait for stragglers")
    parser.add_argument("--max-p95", type=float, default=None, help="fail above this (seconds)")
    parser.add_argument("--state-file", default=None, help="use a running stack's stack.json")
    return parser.parse_args(argv)


def moto_requests(state: dict[str, Any]) -> dict[str, int]:
    """Requests moto has answered so far, by ``service.Operation`` (its own count)."""
    from local.motoserver import STATS_PATH

    http = requests.Session()
    http.trust_env = False
    try:
        response = http.get(state["aws_endpoint_url"] + STATS_PATH, timeout=30)
        return dict(response.json()) if response.status_code == 200 else {}
    except (requests.RequestException, ValueError):
        return {}


def per_message(before: dict[str, int], after: dict[str, int], sent: int) -> str:
    """The busiest operations, per message sent, during the sends."""
    grown = Counter({k: v - before.get(k, 0) for k, v in after.items()})
    total = sum(grown.values())
    top = ", ".join(f"{name} {count / sent:.1f}" for name, count in grown.most_common(8) if count)
    return f"{total / sent:.1f} ({top})"


def load(args: argparse.Namespace, stack: RunningStack) -> tuple[dict[str, Any], dict[str, str]]:
    state = stack.state
    company_id = state["companies"][0]["company_id"]
    rss_start = stack.rss_mb()
    seed_seconds = seed(state, args.seed_items, company_id) if args.seed_items else 0.0
    print(f"seeded {args.seed_items} items in {seed_seconds:.1f} s", flush=True)
    started = time.monotonic()
    users = create_users(state, args.connections, company_id)
    print(f"created {len(users)} users in {time.monotonic() - started:.1f} s", flush=True)

    def snapshot() -> tuple[dict[str, float], dict[str, float], dict[str, int]]:
        return stack.memory_mb(), stack.cpu_seconds(), moto_requests(state)

    result = asyncio.run(
        run_load(state, users, args.messages, args.rate, args.drain_seconds, snapshot)
    )
    memory_after, cpu_after, calls_after = snapshot()
    memory_before, cpu_before, calls_before = result["before"]
    rss_after, rss_before = sum(memory_after.values()), sum(memory_before.values())
    extra = {
        "connections": str(args.connections),
        "rate": f"{args.rate:g}/s",
        "stored items (seeded)": f"{args.seed_items} in {seed_seconds:.1f} s",
    }
    if memory_after and memory_before and rss_start is not None:
        extra["stack memory (all processes)"] = (
            f"{rss_start:,.0f} MB at start, {rss_before:,.0f} MB before sends, "
            f"{rss_after:,.0f} MB after (over the sends: "
            + ", ".join(
                f"{name} {size:,.0f} MB ({size - memory_before[name]:+,.0f})"
                for name, size in memory_after.items()
                if name in memory_before
            )
            + ")"
        )
    if cpu_after and result["sent"]:
        # from the first send to the last delivery
        extra["CPU per message sent"] = ", ".join(
            f"{name} {(cpu_after[name] - cpu_before[name]) / result['sent'] * 1000:,.0f} ms"
            for name in cpu_after
            if name in cpu_before  # a process missed at the start is not charged its life
        )
    if calls_after and result["sent"]:
        extra["AWS requests per message"] = per_message(calls_before, calls_after, result["sent"])
    return result, extra


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.connections < 2 or args.rate <= 0 or args.messages < 1:
        print("error: at least 2 connections, a positive rate and one message", file=sys.stderr)
        return 2
    failures = []
    outcome: tuple[dict[str, Any], dict[str, str]] | None = None
    try:
        with local_stack(args.state_file) as stack:
            outcome = load(args, stack)
    except StackError as error:  # the table still prints if the run itself finished
        print(error)
        failures.append("the local stack did not start or stop cleanly")
    if outcome is None:
        return 1
    result, extra = outcome
    print("\nIM load on the local stack\n" + report(result, extra))
    if result["lost"] or result["duplicated"] or result["refused"]:
        failures.append("messages lost, duplicated or refused")
    if args.max_p95 is not None and percentile(result["latency"], 95) > args.max_p95:
        failures.append(f"delivery p95 above {args.max_p95} s")
    if result["refused"]:
        print(f"refused: {Counter(result['refused']).most_common(5)}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
