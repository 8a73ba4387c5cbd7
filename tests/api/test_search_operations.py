"""Search operations on moto and a real OpenSearch-protocol engine: the backfill
(history before search, read by Queries, resumable, paced, with progress), the alias
swap after a mapping change, and the redrive of refused writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.api.conftest import Api, running_api
from tests.api.test_search import body, found, say, start

PREFIX = "texting-test"


@pytest.fixture
def history(aws: Any, search_index: Any) -> Iterator[Api]:
    """Messages stored while search was off: nothing is in the index."""
    with running_api({"search_index": search_index}) as api:
        yield api


def _backfill(api: Api, index: Any, checkpoint: Any, **options: Any) -> Any:
    from chalicelib.services.search_backfill import SearchBackfill

    adapters = api.services.adapters
    return SearchBackfill(index, adapters.directory, adapters.conversations, checkpoint, **options)


class Reads:
    """Every DynamoDB operation made while counting (none may be a Scan)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from botocore.client import BaseClient

        self.operations: list[str] = []
        make = BaseClient._make_api_call

        def record(client: Any, operation: str, params: Any) -> Any:
            if client.meta.service_model.service_name == "dynamodb":
                self.operations.append(operation)
            return make(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", record)


def test_backfill_indexes_history_by_queries_with_progress_and_pace(
    history: Api, search_index: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.services.search_backfill import Checkpoint

    api = history
    ours = start(api, "alice", ["u-bob"])
    theirs = start(api, "dave", ["u-erin"])
    for n in range(5):
        say(api, "alice", ours, f"invoice number {n}")
    say(api, "dave", theirs, "invoice of globex")
    deleted = say(api, "alice", ours, "invoice to forget")
    api.call("DELETE", f"/conversations/{ours}/messages/{deleted['id']}", "alice")
    assert found(api, "bob", "invoice ") == []  # nothing indexed yet

    reads = Reads(monkeypatch)
    reports: list[int] = []
    pauses: list[float] = []
    run = _backfill(
        api,
        search_index,
        Checkpoint(),
        per_second=2.0,
        report=lambda progress: reports.append(progress.documents),
        sleep=pauses.append,
    )
    progress = run.run("acme")
    search_index.refresh()

    assert sorted(found(api, "bob", "invoice ")) == [f"invoice number {n}" for n in range(5)]
    assert found(api, "erin", "invoice ") == []  # another company's: not this run
    assert progress.conversations == 1 and progress.documents == 6  # 5 + 1 removal
    assert reports and reports[-1] == 6
    assert pauses and sum(pauses) > 2.0  # 6 documents at 2 a second
    assert "Scan" not in reads.operations and "Query" in reads.operations


def test_a_stopped_backfill_resumes_where_its_checkpoint_says(
    history: Api, search_index: Any, tmp_path: Path
) -> None:
    from chalicelib.services import search_backfill
    from chalicelib.services.search_backfill import Checkpoint

    api = history
    conv = start(api, "alice", ["u-bob"])
    for n in range(7):
        say(api, "alice", conv, f"ledger entry {n}")
    path = tmp_path / "checkpoint.json"
    written: list[int] = []

    class Failing:
        """The engine accepts three writes, then goes away (the operator's laptop sleeps)."""

        def write(self, documents: list[Any], deletions: list[str]) -> None:
            if len(written) == 3:
                raise RuntimeError("connection lost")
            written.append(len(documents))
            search_index.write(documents, deletions)

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(search_backfill, "BATCH", 2)
    monkeypatch.setattr(search_backfill, "PAGE", 2)
    try:
        with pytest.raises(RuntimeError):
            _backfill(api, Failing(), Checkpoint.load(path), sleep=lambda s: None).run("acme")
        saved = json.loads(path.read_text())
        assert saved["at"] == {conv: 6}  # three batches of two: messages 1..6
        resumed = _backfill(api, search_index, Checkpoint.load(path), sleep=lambda s: None)
        progress = resumed.run("acme")
    finally:
        monkeypatch.undo()
    search_index.refresh()
    assert progress.documents == 1  # only message 7 was left
    assert len(found(api, "bob", "ledger ")) == 7
    assert json.loads(path.read_text())["done"] == {"acme": [conv]}


def test_an_alias_swap_moves_searches_to_a_new_index_backfilled_first(
    history: Api, search_index: Any
) -> None:
    from chalicelib.adapters.opensearch import OpenSearchIndex, versioned
    from chalicelib.services.search_backfill import Checkpoint

    api = history
    conv = start(api, "alice", ["u-bob"])
    say(api, "alice", conv, "roadmap draft")
    old = search_index.health().index
    new = versioned(search_index.alias, 2)
    assert search_index.create(new)
    _backfill(api, OpenSearchIndex(search_index._endpoint, new), Checkpoint()).run("acme")
    assert found(api, "bob", "roadmap ") == []  # searches still read the old index

    assert search_index.point_alias(new) == old
    search_index.refresh()
    assert found(api, "bob", "roadmap ") == ["roadmap draft"]
    assert search_index.health().index == new


def test_redrive_indexes_refused_writes_as_the_table_holds_them_now(
    history: Api, search_index: Any
) -> None:
    from chalicelib.adapters.search_failures import SqsSearchFailures
    from chalicelib.services.search import IndexChange, SearchIndexer

    api = history
    conv = start(api, "alice", ["u-bob"])
    kept = say(api, "alice", conv, "refused once")
    gone = say(api, "alice", conv, "refused and deleted")
    api.call("DELETE", f"/conversations/{conv}/messages/{gone['id']}", "alice")
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=f"{PREFIX}-search-failures")["QueueUrl"]
    failures = SqsSearchFailures(PREFIX, sqs, url)
    failures.keep([IndexChange(conv, kept["seq"]), IndexChange(conv, gone["seq"])])
    assert failures.waiting() == 1

    indexer = SearchIndexer(search_index, api.services.adapters.conversations, failures.keep)
    assert failures.drain(indexer.redrive) == 1
    search_index.refresh()
    assert found(api, "bob", "refused ") == ["refused once"]
    assert failures.waiting() == 0
    assert body(api.call("GET", "/search?q=deleted", "bob"))["items"] == []


def test_the_operator_command_backfills_with_progress_and_reports_status(
    history: Api, search_index: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from infra import admin_search

    api = history
    conv = start(api, "alice", ["u-bob"])
    say(api, "alice", conv, "quarterly numbers")
    url = boto3.client("sqs", region_name="us-east-1").get_queue_url(
        QueueName=f"{PREFIX}-search-failures"
    )["QueueUrl"]
    where = ["--prefix", PREFIX, "--endpoint", search_index._endpoint, "--unsigned"]
    where += ["--region", "us-east-1", "--queue-url", url]
    checkpoint = tmp_path / "acme.json"
    capsys.readouterr()  # the app's own metric lines so far
    admin_search.main([*where, "backfill", "--company", "acme", "--checkpoint", str(checkpoint)])
    out, err = capsys.readouterr()
    assert json.loads(out.splitlines()[-1]) == {"conversations": 1, "documents": 1}
    assert "acme: 1 conversations, 1 documents" in err  # progress as it goes
    assert found(api, "bob", "quarterly ") == ["quarterly numbers"]

    admin_search.main([*where, "status"])
    status = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert status["alias"] == f"{PREFIX}-messages"
    assert status["documents"] == 1 and status["failures_waiting"] == 0
    assert status["status"] in ("green", "yellow")
