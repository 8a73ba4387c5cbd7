"""`make bench`'s Web Push figures (``BENCH_PUSH=0`` skips them):

1. Send → push request on the local stack: a message sent over REST until the local
   simulator's push service has received the recipient's browser push (stream, outbox,
   SNS, SQS, fan-out, encryption, VAPID signature, the POST), p50 and p95.
2. What Web Push adds to the Lambda package: its modules (the sender, the crypto, the
   subscription rule, the key route); no new dependency (``cryptography``, PyJWT and
   urllib3 were already packaged).

Prints one JSON line (``local.bench`` reads it).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = 30
MODULES = (
    "chalicelib/adapters/webpush.py",
    "chalicelib/adapters/vapid.py",
    "chalicelib/adapters/webpush_crypto.py",
    "chalicelib/domain/webpush.py",
    "chalicelib/api/push.py",
)


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def push_lag() -> dict[str, Any]:
    """Send → the simulator holds the push, ``SAMPLES`` times, one message at a time."""
    import requests

    from local.launcher import local_stack
    from local.login import id_token
    from tests.webpush_support import Browser

    with local_stack() as running:
        state = running.state

        def session(username: str) -> requests.Session:
            s = requests.Session()
            s.trust_env = False
            s.headers["Authorization"] = f"Bearer {id_token(state, username)}"
            return s

        base, sim = state["rest_url"], state["simulator_url"]
        sender, recipient = session("dave"), session("carol")
        name = f"bench-{uuid.uuid4().hex[:10]}"
        browser = Browser(f"{sim}/push/{name}")
        recipient.post(
            f"{base}/devices",
            json={"device_id": name, "platform": "webpush", "token": browser.token()},
        ).raise_for_status()
        carol = next(u["user_id"] for u in state["users"] if u["username"] == "carol")
        conversation = sender.post(
            f"{base}/conversations", json={"type": "im", "members": [carol]}
        ).json()["id"]
        probe = requests.Session()
        probe.trust_env = False

        def ours() -> list[dict[str, Any]]:
            """This conversation's pushes (the demo's own messages may push to carol too)."""
            items = probe.get(f"{sim}/push/{name}").json()["items"]
            read = [browser.read_item(item) for item in items]
            return [p for p in read if p.get("conversation_id") == conversation]

        samples: list[float] = []
        for n in range(SAMPLES):
            started = time.perf_counter()
            sender.post(
                f"{base}/conversations/{conversation}/messages",
                json={"client_id": uuid.uuid4().hex, "text": f"bench {n}"},
            ).raise_for_status()
            deadline = started + 30
            while time.perf_counter() < deadline:
                if len(ours()) > n:
                    break
                time.sleep(0.01)
            samples.append((time.perf_counter() - started) * 1000)
        assert ours()[-1]["body"] == f"bench {SAMPLES - 1}"
        return {
            "samples": len(samples),
            "p50_ms": round(statistics.median(samples)),
            "p95_ms": round(_pct(samples, 0.95)),
        }


def package_share() -> dict[str, Any]:
    from local.bench import package_size

    size = package_size()
    size["webpush_modules_bytes"] = sum((ROOT / m).stat().st_size for m in MODULES)
    size["webpush_dependencies_bytes"] = 0
    return size


def main() -> None:
    print(json.dumps({"lag": push_lag(), "package": package_share()}))


if __name__ == "__main__":
    main()
