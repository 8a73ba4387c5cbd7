"""The local stack's choice of search engine (``local/search_engine.py``) and the
adapter the app builds for it (``bootstrap_adapters.search_index``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chalicelib.adapters.opensearch import OpenSearchIndex
from chalicelib.adapters.sqlite_search import SqliteSearchIndex
from chalicelib.bootstrap_adapters import search_index
from chalicelib.domain.search import SearchDocument, SearchRequest, parse_query
from local import search_engine
from tests.support import settings

DOC = SearchDocument("d1.1", "co1", "d1", 1, "im", "a", "2024-05-01T10:00:00.000Z", "hello")


def test_the_default_is_an_embedded_index_in_a_folder_removed_at_stop() -> None:
    env: dict[str, str] = {}
    local = search_engine.start("texting-x", env)
    assert local is not None and local.engine == "sqlite"
    assert env["SEARCH_ENABLED"] == "true" and env["SEARCH_INDEX"] == "texting-x-messages"
    index = search_index(
        settings(
            search_enabled=True,
            search_endpoint=env["SEARCH_ENDPOINT"],
            search_index=env["SEARCH_INDEX"],
        )
    )
    assert isinstance(index, SqliteSearchIndex)
    index.write([DOC], [])
    found = index.search(SearchRequest("co1", ("d1",), parse_query("hello ")))
    assert [hit.doc_id for hit in found.hits] == ["d1.1"]
    folder = Path(env["SEARCH_ENDPOINT"].removeprefix("sqlite:")).parent
    assert folder.is_dir()
    local.stop()
    assert not folder.exists()


def test_osmem_runs_the_stack_on_the_opensearch_adapter() -> None:
    env = {"SEARCH_LOCAL_ENGINE": "osmem"}
    local = search_engine.start("texting-y", env)
    assert local is not None and local.engine == "osmem"
    try:
        index = search_index(
            settings(
                search_enabled=True,
                search_endpoint=env["SEARCH_ENDPOINT"],
                search_index=env["SEARCH_INDEX"],
                search_sigv4=False,
            )
        )
        assert isinstance(index, OpenSearchIndex)
        assert index.health().index == "texting-y-messages-v1"
    finally:
        local.stop()


def test_an_unknown_engine_or_search_off() -> None:
    with pytest.raises(ValueError, match="SEARCH_LOCAL_ENGINE"):
        search_engine.start("texting-z", {"SEARCH_LOCAL_ENGINE": "lucene"})
    env = {"SEARCH_ENABLED": "false"}
    assert search_engine.start("texting-z", env) is None
    assert env["SEARCH_ENABLED"] == "false"


def test_an_embedded_index_that_cannot_be_opened_is_search_unavailable(tmp_path: Path) -> None:
    from chalicelib.services.search_ports import SearchUnavailable

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    gone = SqliteSearchIndex(str(blocker / "search.sqlite3"), "nothing")
    with pytest.raises(SearchUnavailable):
        gone.write([DOC], [])
    with pytest.raises(SearchUnavailable):
        gone.search(SearchRequest("co1", ("d1",), parse_query("x")))
    assert gone.health().status == "unreachable"


def test_admin_search_reads_the_embedded_index_and_refuses_versions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra import admin_search

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    path = tmp_path / "texting-x-messages.sqlite3"
    SqliteSearchIndex(str(path), "texting-x-messages").write([DOC], [])
    common = ["--prefix", "texting-x", "--endpoint", f"sqlite:{path}", "--region", "us-east-1"]
    admin_search.main([*common, "status"])
    assert '"documents": 1' in capsys.readouterr().out
    for command in (["swap", "--version", "2"], ["create-index", "--version", "2"], ["ensure"]):
        with pytest.raises(SystemExit, match="no alias or versions"):
            admin_search.main([*common, *command])
    typo = ["--prefix", "texting-x", "--endpoint", f"sqlite:{path}x", "--region", "us-east-1"]
    admin_search.main([*typo, "status"])
    assert '"status": "unreachable"' in capsys.readouterr().out
    assert not Path(f"{path}x").exists()  # nothing made where nothing was


def test_a_file_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    import sqlite3

    from chalicelib.services.search_ports import SearchUnavailable

    path = tmp_path / "old.sqlite3"
    SqliteSearchIndex(str(path), "x").write([DOC], [])
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(SearchUnavailable):
        SqliteSearchIndex(str(path), "x").search(
            SearchRequest("co1", ("d1",), parse_query("hello "))
        )


WRITER = """
import sys
from chalicelib.adapters.sqlite_search import SqliteSearchIndex
from chalicelib.domain.search import SearchDocument
n = int(sys.argv[2])
doc = SearchDocument(f"d1.{n}", "co1", "d1", n, "im", "a", "2024-05-01T10:00:00.000Z", "hello")
SqliteSearchIndex(sys.argv[1], "x").write([doc], [])
"""


def test_processes_writing_to_one_new_file_at_once_all_land(tmp_path: Path) -> None:
    """The local stack's API and its consumers are separate processes on one file."""
    import subprocess
    import sys

    path = str(tmp_path / "fresh.sqlite3")
    root = str(Path(__file__).resolve().parents[2])
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, path, str(n)], cwd=root)
        for n in range(1, 7)
    ]
    assert [w.wait(timeout=60) for w in writers] == [0] * 6
    found = SqliteSearchIndex(path, "x").search(
        SearchRequest("co1", ("d1",), parse_query("hello "), limit=10)
    )
    assert sorted(hit.doc_id for hit in found.hits) == [f"d1.{n}" for n in range(1, 7)]


def test_each_stack_has_its_own_folder_and_a_killed_stacks_is_swept(tmp_path: Path) -> None:
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / "search-left"
    left.mkdir()
    (left / search_engine.OWNER_FILE).write_text(str(dead.pid))
    live = tmp_path / "search-live"
    live.mkdir()
    (live / search_engine.OWNER_FILE).write_text(str(os.getpid()))
    first = search_engine.start("texting-a", {}, str(tmp_path))
    second = search_engine.start("texting-a", {}, str(tmp_path))
    assert first is not None and second is not None
    assert first.folder != second.folder
    assert first.folder and Path(first.folder).is_absolute()
    assert not left.exists()  # its stack is gone
    assert live.exists()  # this process is alive: not a leftover
    first.stop()
    assert second.folder and Path(second.folder).is_dir()
    second.stop()


def test_a_given_embedded_file_is_made_absolute_and_checked_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    monkeypatch.chdir(tmp_path)
    env = {"SEARCH_ENDPOINT": "sqlite:kept/index.sqlite3"}
    assert search_engine.start("texting-b", env) is not None
    assert env["SEARCH_ENDPOINT"] == f"sqlite:{tmp_path}/kept/index.sqlite3"
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    from chalicelib.services.search_ports import SearchUnavailable

    with pytest.raises(SearchUnavailable):
        search_engine.start("texting-b", {"SEARCH_ENDPOINT": f"sqlite:{foreign}"})
    with sqlite3.connect(foreign) as db:  # left as it was: no WAL, no tables of ours
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["notes"]


def test_preparing_a_file_waits_out_another_process_that_holds_it(tmp_path: Path) -> None:
    """Switching to WAL can answer SQLITE_BUSY at once (no busy wait) when another
    process holds the file: the preparation tries again."""
    import sqlite3

    from chalicelib.adapters import sqlite_search

    class Busy:
        def __init__(self, db: sqlite3.Connection, times: int) -> None:
            self.db, self.times = db, times

        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
            if sql.startswith("PRAGMA journal_mode =") and self.times:
                self.times -= 1
                error = sqlite3.OperationalError("database is locked")
                error.sqlite_errorcode = 261  # type: ignore[attr-defined]  # SQLITE_BUSY_RECOVERY
                raise error
            return self.db.execute(sql, *args)

    path = str(tmp_path / "busy.sqlite3")
    db = sqlite3.connect(path, isolation_level=None)
    flaky = Busy(db, 3)
    sqlite_search._prepare(flaky, path)  # type: ignore[arg-type]
    assert flaky.times == 0
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == sqlite_search.SCHEMA_VERSION
