"""The operator's backfill of canned replies' per-scope copies, on moto: replies saved
before replies were kept per scope reach their agents after it, and it is resumable
and idempotent."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.contact_center import Queue
from chalicelib.domain.contact_center_records import EVERY_QUEUE, CannedReply
from chalicelib.services.contact_center import canned_copies as backfill
from tests.serial_moto import serial_dynamodb  # noqa: F401  (a fixture)

TABLE = "texting-test-messaging"


def saved_before_copies(reply: CannedReply) -> None:
    """The reply as an earlier release stored it: under the company only."""
    from chalicelib.adapters.dynamodb.contact_center_items import ConfigItem
    from chalicelib.adapters.dynamodb.keys import co_pk
    from chalicelib.adapters.dynamodb.keys_contact_center import canned_sk

    ConfigItem(
        co_pk(reply.company_id), canned_sk(reply.reply_id), data=dataclasses.asdict(reply)
    ).save()


def scope_ids(repo: Any, scopes: list[str]) -> list[str]:
    page = repo.canned_page("acme", scopes, 50, None, lambda _: True)
    return [r.reply_id for r in page.items]


@pytest.fixture
def repo(serial_dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    from chalicelib.adapters import dynamodb

    monkeypatch.setattr(backfill, "PAGE", 2)  # several rounds with a handful of replies
    dynamodb.bind_models(TABLE, "us-east-1")
    made = dynamodb.DynamoContactCenterRepository()
    made.put_queue(Queue("q-a", "acme", "A"))
    made.put_queue(Queue("q-b", "acme", "B"))
    return made


def test_older_replies_reach_their_agents_after_the_backfill_and_a_rerun_changes_nothing(
    repo: Any, tmp_path: Path
) -> None:
    from infra.admin_contact_center import canned_copies

    for n, queues in enumerate(([], ["q-a"], ["q-a", "q-b"], ["q-b"], [])):
        saved_before_copies(CannedReply(f"r{n}", "acme", f"s{n}", "T", "text", queues))
    assert scope_ids(repo, [EVERY_QUEUE, "q-a", "q-b"]) == []  # what agents saw

    checkpoint = tmp_path / "canned.json"
    out = io.StringIO()
    assert canned_copies(TABLE, "us-east-1", ["acme"], checkpoint, 1000.0, out) == {"acme": 5}

    assert scope_ids(repo, [EVERY_QUEUE]) == ["r0", "r4"]
    assert scope_ids(repo, ["q-a"]) == ["r1", "r2"]
    assert scope_ids(repo, [EVERY_QUEUE, "q-b"]) == ["r0", "r2", "r3", "r4"]
    assert "acme: 5 replies" in out.getvalue()
    # resumed from its checkpoint: nothing left; from scratch: the same copies again
    assert canned_copies(TABLE, "us-east-1", ["acme"], checkpoint, 1000.0, out) == {"acme": 0}
    assert canned_copies(TABLE, "us-east-1", ["acme"], None, 1000.0, out) == {"acme": 5}
    assert scope_ids(repo, ["q-a"]) == ["r1", "r2"]


def test_a_reply_saved_while_the_backfill_runs_keeps_the_copies_of_its_save(
    repo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters.dynamodb import contact_center_config as config

    saved_before_copies(CannedReply("r1", "acme", "s1", "T", "text", ["q-a"]))
    parse = config._reply
    saves: list[CannedReply] = []

    def admin_saves_just_after_the_read(item: Any) -> CannedReply:
        read = parse(item)
        if not saves:  # the backfill read the old reply; an admin saves it now
            saves.append(dataclasses.replace(read, queues=["q-b"]))
            repo.put_canned(saves[0])
        return read

    monkeypatch.setattr(config, "_reply", admin_saves_just_after_the_read)
    assert backfill.CannedCopies(repo, backfill.CopiesCheckpoint()).run("acme") == 1
    assert scope_ids(repo, ["q-a"]) == [] and scope_ids(repo, ["q-b"]) == ["r1"]
