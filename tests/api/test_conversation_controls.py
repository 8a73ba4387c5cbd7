# ruff: noqa: F811 - ``pipeline`` is the imported fixture, named as tests take it
"""Hide, delete for me (a conversation, a message), on the whole event path: the table's
stream, the fan-out (which un-hides on a new message) and the devices' frames."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_event_pipeline import Pipeline, pipeline  # noqa: F401
from tests.api.test_websocket import connect
from tests.support import KEYS


def im(pipeline: Pipeline, who: str = "u-alice", others: tuple[str, ...] = ("u-bob",)) -> str:
    conv = pipeline.call("POST", "/conversations", who, {"type": "im", "members": list(others)})
    return str(conv["id"])


def say(pipeline: Pipeline, conv: str, who: str, text: str) -> dict[str, Any]:
    sent = pipeline.call(
        "POST", f"/conversations/{conv}/messages", who, {"client_id": f"{who}-{text}", "text": text}
    )
    assert sent["text"] == text, sent
    return dict(sent)


def settle(pipeline: Pipeline) -> None:
    """Stream → outbox → fan-out, as the local stack and AWS run them."""
    pipeline.run_outbox()
    pipeline.run_realtime()


def listed(pipeline: Pipeline, who: str) -> list[str]:
    return [c["id"] for c in pipeline.call("GET", "/conversations", who, None)["items"]]


def texts(pipeline: Pipeline, conv: str, who: str, query: str = "") -> list[str]:
    page = pipeline.call("GET", f"/conversations/{conv}/messages{query}", who, None)
    return [m["text"] for m in page["items"]]


def test_hide_leaves_the_list_until_the_next_message_brings_it_back(pipeline: Pipeline) -> None:
    conv = im(pipeline)
    say(pipeline, conv, "u-alice", "one")
    settle(pipeline)
    pipeline.call("PATCH", f"/conversations/{conv}", "u-bob", {"hidden": True})
    assert conv not in listed(pipeline, "u-bob")
    assert conv in listed(pipeline, "u-alice")  # her list is her own
    say(pipeline, conv, "u-alice", "two")
    settle(pipeline)
    assert conv in listed(pipeline, "u-bob")
    assert texts(pipeline, conv, "u-bob") == ["two", "one"]  # hide keeps the history


def test_delete_for_me_keeps_only_what_comes_after_and_leaves_the_others_alone(
    pipeline: Pipeline,
) -> None:
    conv = im(pipeline)
    first = say(pipeline, conv, "u-alice", "old news")
    say(pipeline, conv, "u-bob", "older reply")
    settle(pipeline)
    cleared = pipeline.call("POST", f"/conversations/{conv}/clear", "u-bob", None)
    assert (cleared["cleared_seq"], cleared["unread_count"], cleared["last_message"]) == (
        2,
        0,
        None,
    )
    assert conv not in listed(pipeline, "u-bob")
    assert texts(pipeline, conv, "u-bob") == []
    assert texts(pipeline, conv, "u-bob", "?after_seq=0") == []
    one = pipeline.call("GET", f"/conversations/{conv}/messages/{first['id']}", "u-bob", None)
    assert one["error"]["code"] == "message_not_found"
    synced = pipeline.call("POST", "/sync", "u-bob", {"conversations": {conv: 0}})
    assert synced["conversations"][conv]["messages"] == []
    assert synced["conversations"][conv]["through_seq"] == 2
    assert texts(pipeline, conv, "u-alice") == ["older reply", "old news"]

    say(pipeline, conv, "u-alice", "fresh start")
    settle(pipeline)
    assert conv in listed(pipeline, "u-bob")
    assert texts(pipeline, conv, "u-bob") == ["fresh start"]
    view = pipeline.call("GET", f"/conversations/{conv}", "u-bob", None)
    assert view["unread_count"] == 1 and view["last_message"]["text"] == "fresh start"
    again = pipeline.call("POST", f"/conversations/{conv}/clear", "u-bob", None)
    assert again["cleared_seq"] == 3  # forward only, and repeating it is harmless


def test_a_received_message_can_be_deleted_for_me_but_not_for_everyone(pipeline: Pipeline) -> None:
    conv = im(pipeline)
    keep = say(pipeline, conv, "u-alice", "keep")
    gone = say(pipeline, conv, "u-alice", "embarrassing")
    path = f"/conversations/{conv}/messages/{gone['id']}"
    refused = pipeline.call("DELETE", path, "u-bob", None)
    assert refused["error"]["code"] == "not_author"
    hidden = pipeline.call("POST", f"{path}/hide", "u-bob", None)
    assert (hidden["hidden"], hidden["text"], hidden["id"]) == (True, "", gone["id"])
    assert pipeline.call("POST", f"{path}/hide", "u-bob", None) == hidden  # harmless again
    assert texts(pipeline, conv, "u-bob") == ["keep"]
    assert texts(pipeline, conv, "u-bob", f"?after_seq={keep['seq'] - 1}") == ["keep"]
    assert pipeline.call("GET", path, "u-bob", None)["error"]["code"] == "message_not_found"
    assert texts(pipeline, conv, "u-alice") == ["embarrassing", "keep"]
    own = pipeline.call(
        "POST", f"/conversations/{conv}/messages/{keep['id']}/hide", "u-alice", None
    )
    assert own["hidden"] is True and texts(pipeline, conv, "u-alice") == ["embarrassing"]


def preview_of(pipeline: Pipeline, conv: str, who: str) -> str | None:
    """The last message's text as ``who``'s conversation list shows it (None: no message)."""
    entry = next(
        c for c in pipeline.call("GET", "/conversations", who, None)["items"] if c["id"] == conv
    )
    last = entry["last_message"]
    return None if last is None else str(last["text"])


def test_a_message_hidden_for_me_leaves_my_list_preview_for_the_one_before_it(
    pipeline: Pipeline,
) -> None:
    # Given three messages, the last of which bob hides for himself
    conv = im(pipeline)
    say(pipeline, conv, "u-alice", "first")
    second = say(pipeline, conv, "u-alice", "second")
    third = say(pipeline, conv, "u-alice", "awkward")
    settle(pipeline)
    pipeline.call("POST", f"/conversations/{conv}/messages/{third['id']}/hide", "u-bob", None)

    # Then his list shows the one before it, in the list and in the conversation itself;
    # alice's still shows hers
    assert preview_of(pipeline, conv, "u-bob") == "second"
    assert (
        pipeline.call("GET", f"/conversations/{conv}", "u-bob", None)["last_message"]["id"]
        == (second["id"])
    )
    assert preview_of(pipeline, conv, "u-alice") == "awkward"

    # When he hides that one too, the one before; hiding again changes nothing
    pipeline.call("POST", f"/conversations/{conv}/messages/{second['id']}/hide", "u-bob", None)
    pipeline.call("POST", f"/conversations/{conv}/messages/{third['id']}/hide", "u-bob", None)
    assert preview_of(pipeline, conv, "u-bob") == "first"

    # and the next message shows as usual, to both
    say(pipeline, conv, "u-alice", "next")
    settle(pipeline)
    assert preview_of(pipeline, conv, "u-bob") == "next"
    assert preview_of(pipeline, conv, "u-alice") == "next"


def test_a_message_deleted_for_everyone_leaves_the_preview_of_whoever_hid_the_one_after_it(
    pipeline: Pipeline,
) -> None:
    conv = im(pipeline)
    oops = say(pipeline, conv, "u-alice", "wrong customer's address")
    after = say(pipeline, conv, "u-alice", "ignore that")
    settle(pipeline)
    pipeline.call("POST", f"/conversations/{conv}/messages/{after['id']}/hide", "u-bob", None)
    assert preview_of(pipeline, conv, "u-bob") == "wrong customer's address"
    pipeline.call("DELETE", f"/conversations/{conv}/messages/{oops['id']}", "u-alice", None)
    entry = pipeline.call("GET", f"/conversations/{conv}", "u-bob", None)["last_message"]
    assert (entry["id"], entry["text"], entry["deleted"]) == (oops["id"], "", True)


def test_hiding_an_older_message_leaves_the_preview_and_hiding_every_message_empties_it(
    pipeline: Pipeline,
) -> None:
    conv = im(pipeline)
    only = say(pipeline, conv, "u-alice", "only one")
    older = say(pipeline, conv, "u-bob", "my own")
    settle(pipeline)
    pipeline.call("POST", f"/conversations/{conv}/messages/{only['id']}/hide", "u-bob", None)
    assert preview_of(pipeline, conv, "u-bob") == "my own"  # not the shown one: unchanged
    pipeline.call("POST", f"/conversations/{conv}/messages/{older['id']}/hide", "u-bob", None)
    assert preview_of(pipeline, conv, "u-bob") is None
    assert preview_of(pipeline, conv, "u-alice") == "my own"


def test_the_callers_other_devices_hear_of_each_change_and_no_one_else_does(
    pipeline: Pipeline,
) -> None:
    for conn, user in [("bob-phone", "u-bob"), ("bob-desk", "u-bob"), ("alice-desk", "u-alice")]:
        assert connect(conn, KEYS.token(user))["statusCode"] == 200
    conv = im(pipeline)
    sent = say(pipeline, conv, "u-alice", "psst")
    settle(pipeline)
    pipeline.call("POST", f"/conversations/{conv}/messages/{sent['id']}/hide", "u-bob", None)
    pipeline.call("PATCH", f"/conversations/{conv}", "u-bob", {"muted": True})
    pipeline.call("POST", f"/conversations/{conv}/clear", "u-bob", None)
    settle(pipeline)
    for device in ("bob-phone", "bob-desk"):
        hidden = [m for m in pipeline.frames(device, "message.updated") if m.get("hidden")]
        assert [(m["id"], m["text"]) for m in hidden] == [(sent["id"], "")], device
        own = [c for c in pipeline.frames(device, "conversation.updated") if "cleared_seq" in c]
        assert own[-1]["cleared_seq"] == 1 and own[-1]["hidden"] and own[-1]["muted"], device
        assert any(c["muted"] and not c["cleared_seq"] for c in own), device
    assert not [m for m in pipeline.frames("alice-desk", "message.updated") if m.get("hidden")]
    assert not [c for c in pipeline.frames("alice-desk", "conversation.updated") if "muted" in c]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("POST", "/clear"), ("POST", "/messages/{message}/hide")],
)
def test_another_company_or_a_non_member_finds_nothing(
    pipeline: Pipeline, method: str, suffix: str
) -> None:
    conv = im(pipeline)
    sent = say(pipeline, conv, "u-alice", "private")
    path = f"/conversations/{conv}" + suffix.format(message=sent["id"])
    for outsider in ("u-carol", "u-dave"):  # same company, not a member; another company
        refused = pipeline.call(method, path, outsider, None)
        assert refused["error"]["code"] == "conversation_not_found", outsider
    assert texts(pipeline, conv, "u-bob") == ["private"]


def test_hiding_an_unknown_message_is_404(pipeline: Pipeline) -> None:
    conv = im(pipeline)
    for message_id in (f"{conv}.99", "nope", f"{conv}.1" + "0" * 300):
        refused = pipeline.call(
            "POST", f"/conversations/{conv}/messages/{message_id}/hide", "u-bob", None
        )
        assert refused["error"]["code"] in ("message_not_found", "not_found"), message_id
