# ruff: noqa: F811 - ``pipeline`` is the imported fixture, named as tests take it
"""Hide, delete for me (a conversation, a message), on the whole event path: the table's
stream, the fan-out (which un-hides on a new message) and the devices' frames."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.services.common import Caller
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


def repository() -> Any:
    """The conversations repository the app runs on (moto), to interleave writes with."""
    from chalicelib import bootstrap

    return bootstrap.services().adapters.conversations


def hide_now(conv: str, who: str, message_id: str) -> None:
    """A hide that lands while another request is under way (the service, no HTTP)."""
    from chalicelib import bootstrap

    bootstrap.services().conversations.hide_message(Caller(who, "acme"), conv, message_id)


def before_the_hide_writes(monkeypatch: pytest.MonkeyPatch, meanwhile: Any) -> None:
    """Runs ``meanwhile`` once, after a hide has read and before it writes."""
    repo = repository()
    write = repo.hide_message
    pending = [meanwhile]

    def hide_message(*args: Any, **kwargs: Any) -> Any:
        if pending:
            pending.pop()()
        return write(*args, **kwargs)

    monkeypatch.setattr(repo, "hide_message", hide_message)


def test_a_message_deleted_for_everyone_while_a_hide_reads_never_shows_its_text(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given bob hides the last message while alice deletes the one before it for everyone
    conv = im(pipeline)
    oops = say(pipeline, conv, "u-alice", "wrong customer's address")
    after = say(pipeline, conv, "u-alice", "ignore that")
    settle(pipeline)
    delete = f"/conversations/{conv}/messages/{oops['id']}"
    before_the_hide_writes(monkeypatch, lambda: pipeline.call("DELETE", delete, "u-alice", None))
    pipeline.call("POST", f"/conversations/{conv}/messages/{after['id']}/hide", "u-bob", None)
    # Then bob's list shows that message deleted, without its text
    entry = pipeline.call("GET", f"/conversations/{conv}", "u-bob", None)["last_message"]
    assert (entry["id"], entry["text"], entry["deleted"]) == (oops["id"], "", True)
    assert preview_of(pipeline, conv, "u-bob") == ""


def test_a_delete_retried_after_a_failure_leaves_no_text_in_anyones_own_preview(
    pipeline: Pipeline,
) -> None:
    conv = im(pipeline)
    oops = say(pipeline, conv, "u-alice", "wrong customer's address")
    after = say(pipeline, conv, "u-alice", "ignore that")
    settle(pipeline)
    pipeline.call("POST", f"/conversations/{conv}/messages/{after['id']}/hide", "u-bob", None)
    # the first DELETE stopped right after marking the message deleted; the client retries
    repository().mark_deleted(conv, oops["seq"], "2026-01-01T00:00:00.000Z")
    pipeline.call("DELETE", f"/conversations/{conv}/messages/{oops['id']}", "u-alice", None)
    assert preview_of(pipeline, conv, "u-bob") == ""


def test_a_delete_for_everyone_never_puts_back_a_preview_the_member_moved_past(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given bob's list shows "second" (he hid "third"); alice deletes "second" for
    # everyone while bob hides it for himself, and the delete reads the members' views
    # as an eventually consistent read may still answer: from before bob's hide
    conv = im(pipeline)
    say(pipeline, conv, "u-alice", "first")
    second = say(pipeline, conv, "u-alice", "second")
    third = say(pipeline, conv, "u-alice", "third")
    settle(pipeline)
    pipeline.call("POST", f"/conversations/{conv}/messages/{third['id']}/hide", "u-bob", None)
    repo = repository()
    stale = repo.get_memberships(conv, ["u-alice", "u-bob"])
    mark_deleted = repo.mark_deleted

    def deleted_while_bob_hides(*args: Any) -> Any:
        found = mark_deleted(*args)
        hide_now(conv, "u-bob", second["id"])
        return found

    monkeypatch.setattr(repo, "mark_deleted", deleted_while_bob_hides)
    monkeypatch.setattr(repo, "get_memberships", lambda *_: stale)
    pipeline.call("DELETE", f"/conversations/{conv}/messages/{second['id']}", "u-alice", None)
    # Then bob's list shows the one he still sees, not the deleted one he hid
    assert preview_of(pipeline, conv, "u-bob") == "first"


def test_two_hides_at_once_never_leave_a_hidden_message_in_the_preview(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv = im(pipeline)
    say(pipeline, conv, "u-alice", "first")
    second = say(pipeline, conv, "u-alice", "second")
    third = say(pipeline, conv, "u-alice", "third")
    settle(pipeline)
    before_the_hide_writes(monkeypatch, lambda: hide_now(conv, "u-bob", second["id"]))
    pipeline.call("POST", f"/conversations/{conv}/messages/{third['id']}/hide", "u-bob", None)
    assert preview_of(pipeline, conv, "u-bob") == "first"


def test_a_slower_hide_never_moves_the_preview_back_to_an_older_head(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given bob hides "third" while "fourth" arrives and he hides that one too
    conv = im(pipeline)
    say(pipeline, conv, "u-alice", "first")
    say(pipeline, conv, "u-alice", "second")
    third = say(pipeline, conv, "u-alice", "third")
    settle(pipeline)

    def fourth_arrives_and_is_hidden() -> None:
        fourth = say(pipeline, conv, "u-alice", "fourth")
        hide_now(conv, "u-bob", fourth["id"])

    before_the_hide_writes(monkeypatch, fourth_arrives_and_is_hidden)
    pipeline.call("POST", f"/conversations/{conv}/messages/{third['id']}/hide", "u-bob", None)
    # Then his list shows neither hidden one
    assert preview_of(pipeline, conv, "u-bob") == "second"
    assert preview_of(pipeline, conv, "u-alice") == "fourth"


def test_a_delete_for_everyone_below_the_last_message_reads_no_members_views(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    conv = im(pipeline)
    oops = say(pipeline, conv, "u-alice", "oops")
    say(pipeline, conv, "u-alice", "later")
    settle(pipeline)
    repo, read = repository(), []

    def get_memberships(*args: Any) -> dict[str, Any]:
        read.append(args)
        return {}

    monkeypatch.setattr(repo, "get_memberships", get_memberships)
    pipeline.call("DELETE", f"/conversations/{conv}/messages/{oops['id']}", "u-alice", None)
    assert read == []
    assert texts(pipeline, conv, "u-bob") == ["later", ""]


def test_a_hide_by_a_member_who_left_meanwhile_is_not_found(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters.dynamodb.keys import membership_sk, user_pk
    from chalicelib.adapters.dynamodb.models import MembershipItem

    conv = im(pipeline)
    sent = say(pipeline, conv, "u-alice", "bye")
    settle(pipeline)
    gone = MembershipItem(user_pk("u-bob"), membership_sk(conv))
    before_the_hide_writes(monkeypatch, gone.delete)
    hidden = pipeline.call(
        "POST", f"/conversations/{conv}/messages/{sent['id']}/hide", "u-bob", None
    )
    assert hidden["error"]["code"] == "conversation_not_found"
    assert repository().hidden_seqs("u-bob", conv, 1, 10) == set()


def test_a_hide_cancelled_by_a_conflicting_write_is_tried_again(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError
    from pynamodb.transactions import TransactWrite

    from chalicelib.adapters.dynamodb import hidden_messages as adapter

    conflicts = [1]

    class ConflictingWrite(TransactWrite):
        def _commit(self) -> Any:
            if conflicts:
                conflicts.pop()
                reasons = [None, CancellationReason("TransactionConflict")]
                error = {"Error": {"Code": "TransactionCanceledException", "Message": "x"}}
                cause = VerboseClientError(
                    error, "TransactWriteItems", cancellation_reasons=reasons
                )
                raise TransactWriteError("cancelled", cause=cause)
            return super()._commit()

    conv = im(pipeline)
    say(pipeline, conv, "u-alice", "kept")
    sent = say(pipeline, conv, "u-alice", "gone for me")
    settle(pipeline)
    monkeypatch.setattr(adapter, "TransactWrite", ConflictingWrite)
    hidden = pipeline.call(
        "POST", f"/conversations/{conv}/messages/{sent['id']}/hide", "u-bob", None
    )
    assert hidden["hidden"] is True and conflicts == []
    assert preview_of(pipeline, conv, "u-bob") == "kept"


def test_my_own_change_leaves_out_the_preview_while_my_own_one_stands(
    pipeline: Pipeline,
) -> None:
    # Given bob hid the last message (his list shows his own preview), then mutes
    assert connect("bob-desk", KEYS.token("u-bob"))["statusCode"] == 200
    conv = im(pipeline)
    say(pipeline, conv, "u-alice", "kept")
    gone = say(pipeline, conv, "u-alice", "gone for me")
    settle(pipeline)
    pipeline.call("POST", f"/conversations/{conv}/messages/{gone['id']}/hide", "u-bob", None)
    pipeline.call("PATCH", f"/conversations/{conv}", "u-bob", {"muted": True})
    settle(pipeline)
    # Then his devices' frame carries his fields but no last_message to replace his own
    own = [c for c in pipeline.frames("bob-desk", "conversation.updated") if c.get("muted")]
    assert own and "last_message" not in own[-1]
    assert preview_of(pipeline, conv, "u-bob") == "kept"


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
