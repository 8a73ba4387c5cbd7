"""The WebSocket frames the client types (web/src/lib/frames.ts) are exactly the ones
the server sends and accepts: both sides are read here, so neither can gain, lose or
rename a frame type without the other.

- server → client events: the realtime queue's event types
  (``resources.REALTIME_EVENT_TYPES``) and every ``Event(type=...)`` or
  ``{"type": ..., "data": ...}`` frame built in ``chalicelib``, less the internal ones;
- server → client replies: every ``presenters.frame("...")`` in ``chalicelib``;
- client → server actions: the keys of the ``ACTIONS`` table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from chalicelib import resources
from chalicelib.api import websocket

ROOT = Path(__file__).resolve().parents[2]
FRAMES = ROOT / "web" / "src" / "lib" / "frames.ts"
CHALICELIB = ROOT / "chalicelib"
# Events that never reach a device: connection.opened triggers the missed-messages
# notice (notification.missed) for the device that just connected.
INTERNAL_EVENTS = {"connection.opened"}


def _union(source: str, name: str, key: str) -> set[str]:
    """The ``key`` literals of the members of ``export type <name> = | {...} | ...;``."""
    match = re.search(rf"export type {name} =\n((?:\s+\|.*\n)+)", source)
    assert match, f"no union {name} in {FRAMES.name}"
    return set(re.findall(rf'\{{ {key}: "([^"]+)"', match.group(1)))


def _client() -> dict[str, set[str]]:
    source = FRAMES.read_text()
    return {
        "events": _union(source, "ServerEvent", "type"),
        "replies": _union(source, "ServerReply", "type"),
        "actions": _union(source, "ClientAction", "action"),
    }


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _server_frames() -> tuple[set[str], set[str]]:
    """(event types, reply types) as built in the server's code."""
    events: set[str] = set(resources.REALTIME_EVENT_TYPES)
    replies: set[str] = set()
    for path in CHALICELIB.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "Event":
                    events |= {
                        v for k in node.keywords if k.arg == "type" if (v := _literal(k.value))
                    }
                elif name == "frame" and node.args and (kind := _literal(node.args[0])):
                    replies.add(kind)
            elif isinstance(node, ast.Dict):
                keys = [_literal(k) for k in node.keys]
                if "type" in keys and "data" in keys:
                    kind = _literal(node.values[keys.index("type")])
                    if kind:
                        events.add(kind)
    return events - INTERNAL_EVENTS, replies


def test_the_clients_server_events_are_the_events_the_server_sends() -> None:
    events, _ = _server_frames()
    client = _client()["events"]
    assert events - client == set(), "sent by the server, not typed in frames.ts"
    assert client - events == set(), "typed in frames.ts, never sent by the server"


def test_the_clients_replies_are_the_replies_the_server_sends() -> None:
    _, replies = _server_frames()
    client = _client()["replies"]
    assert replies - client == set(), "sent by the server, not typed in frames.ts"
    assert client - replies == set(), "typed in frames.ts, never sent by the server"


def test_the_clients_actions_are_the_servers_actions_table() -> None:
    assert _client()["actions"] == set(websocket.ACTIONS)


def test_the_server_side_reading_finds_the_known_frames() -> None:
    """The parse above can fail: it finds frames built each way the server builds them."""
    events, replies = _server_frames()
    assert {"typing", "notification.missed", "queue.updated", "message.created"} <= events
    assert {"pong", "message.ack", "error", "presence.snapshot"} <= replies
    assert "connection.opened" not in events
