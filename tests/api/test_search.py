"""GET /search through Chalice on moto, indexed from the table's stream by the real
indexer into a real OpenSearch-protocol engine: isolation across companies and
conversations, removed members, hidden conversations, deleted messages, hostile
queries (4xx, never 5xx), filters and pagination."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from tests.api.conftest import Api, running_api

REGION = "us-east-1"


class Indexer:
    """Reads the table's stream from the start and hands new records to
    ``search_indexer`` (as Lambda's event source mapping would), then refreshes."""

    def __init__(self, index: Any) -> None:
        from chalicelib import resources

        table = resources.physical("texting-test", resources.MESSAGING_TABLE.logical)
        self.stream = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=table)[
            "Table"
        ]["LatestStreamArn"]
        self.index = index
        self.iterators: dict[str, str] = {}

    def run(self) -> None:
        from app import app
        from local import lambda_events
        from local.pollers import resolve_handler

        handler = resolve_handler(app, "search_indexer")
        streams = boto3.client("dynamodbstreams", region_name=REGION)
        shards = streams.describe_stream(StreamArn=self.stream)["StreamDescription"]["Shards"]
        for shard in shards:
            sid = shard["ShardId"]
            if sid not in self.iterators:
                self.iterators[sid] = streams.get_shard_iterator(
                    StreamArn=self.stream, ShardId=sid, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            out = streams.get_records(ShardIterator=self.iterators[sid])
            self.iterators[sid] = out["NextShardIterator"]
            if out["Records"]:
                event = lambda_events.stream_event(out["Records"], self.stream, REGION)
                handler(event, lambda_events.lambda_context("search_indexer"))
        self.index.refresh()


@pytest.fixture
def searching(aws: Any, search_index: Any) -> Iterator[tuple[Api, Indexer]]:
    with running_api({"search_index": search_index}) as api:
        yield api, Indexer(search_index)


def body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def start(api: Api, who: str, members: list[str], name: str | None = None) -> str:
    payload: dict[str, Any] = {"type": "im", "members": members}
    if name:
        payload["name"] = name
    response = api.call("POST", "/conversations", who, payload)
    assert response.status_code in (200, 201), response.body
    return str(body(response)["id"])


def say(api: Api, who: str, conversation: str, text: str) -> dict[str, Any]:
    response = api.call(
        "POST",
        f"/conversations/{conversation}/messages",
        who,
        {"client_id": f"k-{len(text)}-{hash(text)}", "text": text},
    )
    assert response.status_code in (200, 201), response.body
    return dict(body(response))


def find(api: Api, who: str, **params: str) -> Any:
    return api.call("GET", "/search?" + urlencode(params), who)


def found(api: Api, who: str, q: str, **params: str) -> list[str]:
    response = find(api, who, q=q, **params)
    assert response.status_code == 200, response.body
    return [item["message"]["text"] for item in body(response)["items"]]


def test_a_message_is_found_by_its_members_with_a_highlight(
    searching: tuple[Api, Indexer],
) -> None:
    api, indexer = searching
    conv = start(api, "alice", ["u-bob"])
    say(api, "alice", conv, "the <b>quarterly</b> report is late")
    indexer.run()
    answer = body(find(api, "bob", q="quarterly rep"))
    [item] = answer["items"]
    assert item["conversation_id"] == conv
    assert item["message"]["sender"] == "u-alice"
    assert "<mark>quarterly</mark>" in item["highlight"]
    assert "&lt;b&gt;" in item["highlight"]
    assert answer["next_cursor"] is None


def test_other_companies_and_other_conversations_never_match(
    searching: tuple[Api, Indexer],
) -> None:
    api, indexer = searching
    ours = start(api, "alice", ["u-bob"])
    theirs = start(api, "dave", ["u-erin"])
    private = start(api, "bob", ["u-carol"])
    say(api, "alice", ours, "merger plans")
    say(api, "dave", theirs, "merger plans of globex")
    say(api, "bob", private, "merger gossip")
    indexer.run()
    assert found(api, "alice", "merger ") == ["merger plans"]
    assert found(api, "erin", "merger ") == ["merger plans of globex"]
    assert sorted(found(api, "bob", "merger ")) == ["merger gossip", "merger plans"]
    # asking for a conversation of someone else finds nothing and says nothing
    assert found(api, "alice", "merger ", conversation_id=theirs) == []
    assert found(api, "alice", "merger ", conversation_id=private) == []


def test_a_removed_member_stops_finding_the_group(searching: tuple[Api, Indexer]) -> None:
    api, indexer = searching
    group = start(api, "alice", ["u-bob", "u-carol"], name="Launch")
    say(api, "alice", group, "launch checklist")
    indexer.run()
    assert found(api, "carol", "checklist ") == ["launch checklist"]
    removed = api.call("DELETE", f"/conversations/{group}/members/u-carol", "alice")
    assert removed.status_code == 200
    assert found(api, "carol", "checklist ") == []
    assert found(api, "bob", "checklist ") == ["launch checklist"]


def test_a_hidden_conversation_follows_the_members_choice(
    searching: tuple[Api, Indexer],
) -> None:
    api, indexer = searching
    conv = start(api, "alice", ["u-bob"])
    say(api, "alice", conv, "holiday rota")
    indexer.run()
    api.call("PATCH", f"/conversations/{conv}", "bob", {"hidden": True})
    assert found(api, "bob", "rota ") == []
    assert found(api, "alice", "rota ") == ["holiday rota"]


def test_a_deleted_message_is_not_returned_even_before_the_index_hears(
    searching: tuple[Api, Indexer],
) -> None:
    api, indexer = searching
    conv = start(api, "alice", ["u-bob"])
    sent = say(api, "alice", conv, "password is swordfish")
    say(api, "alice", conv, "swordfish jokes")
    indexer.run()
    api.call("DELETE", f"/conversations/{conv}/messages/{sent['id']}", "alice")
    assert found(api, "bob", "swordfish ") == ["swordfish jokes"]  # re-checked at once
    indexer.run()
    assert indexer.index.health().documents == 1  # and the stream removed the document


@pytest.mark.parametrize(
    "q",
    [
        "*",
        "merger OR *",
        'company_id:globex "',
        "\\ / ( ) [ ] { } ~ ^ : ! && ||",
        "a" * 256,
        "ÿ\u0301\u200b\u202e\U0001f600 \u210c\U0001d522\U0001d529",
        "\u0000\u0007",
        '"""',
        "\uff0a\uff4d\uff45\uff52\uff47\uff45\uff52",  # full-width *merger
    ],
)
def test_hostile_queries_never_5xx_and_never_cross_companies(
    searching: tuple[Api, Indexer], q: str
) -> None:
    api, indexer = searching
    say(api, "dave", start(api, "dave", ["u-erin"]), "merger plans of globex")
    indexer.run()
    response = find(api, "alice", q=q)
    assert response.status_code in (200, 400), (q, response.status_code)
    if response.status_code == 200:
        assert body(response)["items"] == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": "a" * 257}, "invalid_query"),
        ({}, "invalid_query"),
        ({"q": "x", "channel": "fax"}, "invalid_channel"),
        ({"q": "x", "after": "yesterday"}, "invalid_date"),
        ({"q": "x", "after": "2024-05-02", "before": "2024-05-01"}, "invalid_date"),
        ({"q": "x", "cursor": "not-a-cursor"}, "invalid_cursor"),
        ({"q": "x", "limit": "0"}, "invalid_limit"),
        ({"q": "x", "limit": "51"}, "invalid_limit"),
    ],
)
def test_bad_parameters_are_400_with_a_code(
    searching: tuple[Api, Indexer], params: dict[str, str], code: str
) -> None:
    api, _ = searching
    response = find(api, "alice", **params)
    assert response.status_code == 400
    assert body(response)["error"]["code"] == code


@pytest.fixture(params=["opensearch", "sqlite"])
def on_each_engine(
    request: pytest.FixtureRequest, aws: Any, tmp_path: Any
) -> Iterator[tuple[Api, Indexer]]:
    """The API on each adapter that ships: OpenSearch (on osmem) and SQLite FTS5."""
    if request.param == "sqlite":
        from chalicelib.adapters.sqlite_search import SqliteSearchIndex

        index: Any = SqliteSearchIndex(str(tmp_path / "search.sqlite3"), "texting-test-messages")
    else:
        index = request.getfixturevalue("search_index")
    with running_api({"search_index": index}) as api:
        yield api, Indexer(index)


def _cursor(*values: Any) -> str:
    raw = json.dumps(list(values)).encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(10**30, "x"),  # beyond 64 bits
        _cursor(1, "\ud800"),  # a lone surrogate
        _cursor(float("nan"), "x"),
        _cursor(True, "x"),
        _cursor([1], "x"),
        _cursor(1),  # the wrong shape: engines answer these with an error of their own
        _cursor("x", "y"),
        _cursor(1, "x", 3),
        _cursor(1.5, "x"),
        base64.urlsafe_b64encode(b"[" * 700 + b"]" * 700).decode(),  # deeply nested
    ],
    ids=["huge", "surrogate", "nan", "bool", "list", "one", "strings", "three", "float", "deep"],
)
def test_a_made_up_cursor_is_400_on_every_engine(
    on_each_engine: tuple[Api, Indexer], cursor: str
) -> None:
    api, indexer = on_each_engine
    say(api, "alice", start(api, "alice", ["u-bob"]), "cursor check")
    indexer.run()
    response = find(api, "alice", q="cursor", cursor=cursor)
    assert response.status_code == 400, response.body
    assert body(response)["error"]["code"] == "invalid_cursor"


def test_the_last_day_there_is_is_a_bound_like_any_other(
    on_each_engine: tuple[Api, Indexer],
) -> None:
    api, indexer = on_each_engine
    say(api, "alice", start(api, "alice", ["u-bob"]), "calendar edge")
    indexer.run()
    assert found(api, "alice", "calendar ", before="9999-12-31") == ["calendar edge"]
    assert found(api, "alice", "calendar ", after="9999-12-31") == []


def test_pages_are_newest_first_and_continue_without_repeats(
    searching: tuple[Api, Indexer],
) -> None:
    api, indexer = searching
    conv = start(api, "alice", ["u-bob"])
    for n in range(5):
        say(api, "alice", conv, f"status update {n}")
    indexer.run()
    seen: list[str] = []
    params = {"q": "update ", "limit": "2"}
    while True:
        page = body(find(api, "bob", **params))
        seen += [item["message"]["text"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [f"status update {n}" for n in range(4, -1, -1)]


def test_filters_by_person_and_channel(searching: tuple[Api, Indexer]) -> None:
    api, indexer = searching
    conv = start(api, "alice", ["u-bob"])
    say(api, "alice", conv, "deploy friday")
    say(api, "bob", conv, "deploy monday")
    indexer.run()
    assert found(api, "alice", "deploy ", sender="u-bob") == ["deploy monday"]
    assert found(api, "alice", "deploy ", channel="sms") == []
    assert len(found(api, "alice", "deploy ", channel="im")) == 2


def test_without_search_the_api_says_so(aws: Any) -> None:
    with running_api() as api:
        response = find(api, "alice", q="anything")
    assert response.status_code == 403
    assert body(response)["error"]["code"] == "search_disabled"


def test_an_unreachable_engine_is_503_not_500(aws: Any) -> None:
    from chalicelib.adapters.opensearch import OpenSearchIndex

    with running_api({"search_index": OpenSearchIndex("http://127.0.0.1:9", "x")}) as api:
        start(api, "alice", ["u-bob"])
        response = find(api, "alice", q="anything")
    assert response.status_code == 503
    assert body(response)["error"]["code"] == "search_unavailable"
