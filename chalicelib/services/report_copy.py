"""The copy of agents' report figures from their old partition into the rows reports
read now: an operator's command (``python -m infra.admin_reports copy-agent-rows``),
never a request or event path, run once per company after the deploy that partitioned
agents' figures per agent and month (docs/deploy.md, "Reports").

It reads the old partition in key order, a page at a time (Queries only), and copies
each item in its own idempotent write (``OldAgentRows.copy``: an item copied before
adds nothing). Resumable: after every page the checkpoint records the last sort key
done per company, so a run stopped anywhere continues there (and the overlap of a
crash is skipped by the copy's own mark). Paced: at most ``per_second`` items a second,
so the table keeps serving the stream and the reports.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from chalicelib.domain.reports import Tally

PAGE = 100  # old items read per Query


class OldAgentRows(Protocol):
    """Agents' figures in their old partition, and their copy into the new rows."""

    def page(
        self, company_id: str, after: str | None, limit: int
    ) -> tuple[list[tuple[str, Tally]], str | None]:
        """Up to ``limit`` old items after sort key ``after`` (with their sort keys), and
        the key to go on from (None at the end)."""
        ...

    def copy(self, company_id: str, sk: str, tally: Tally) -> bool:
        """Add one old item's figures to the new rows once: False when copied before."""
        ...


@dataclass
class CopyCheckpoint:
    """The last old sort key done per company (and the companies finished), kept in
    ``path`` (JSON) when given."""

    path: Path | None = None
    at: dict[str, str] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path | None) -> CopyCheckpoint:
        if path is None or not path.exists():
            return cls(path)
        raw = json.loads(path.read_text())
        return cls(path, dict(raw.get("at", {})), set(raw.get("done", [])))

    def save(self) -> None:
        if self.path is None:
            return
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps({"at": self.at, "done": sorted(self.done)}))
        os.replace(partial, self.path)  # a reader never sees half a file


@dataclass
class CopyProgress:
    company_id: str
    read: int = 0  # old items read in this run
    copied: int = 0  # of which copied now (the rest were before)


class ReportCopy:
    """Copies each company's old agent rows once, resumably and paced."""

    def __init__(
        self,
        rows: OldAgentRows,
        checkpoint: CopyCheckpoint,
        *,
        per_second: float = 50.0,
        report: Callable[[CopyProgress], None] = lambda progress: None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rows = rows
        self._checkpoint = checkpoint
        self._per_second = per_second
        self._report = report
        self._sleep = sleep
        self._clock = clock

    def run(self, company_id: str) -> CopyProgress:
        progress = CopyProgress(company_id)
        if company_id in self._checkpoint.done:
            return progress
        after = self._checkpoint.at.get(company_id)
        while True:
            began = self._clock()
            found, more = self._rows.page(company_id, after, PAGE)
            for sk, tally in found:
                progress.copied += self._rows.copy(company_id, sk, tally)
                progress.read += 1
                after = sk
            if after is not None:
                self._checkpoint.at[company_id] = after
            if more is None:
                self._checkpoint.done.add(company_id)
            self._checkpoint.save()
            self._report(progress)
            if more is None:
                return progress
            # pace: this page may take no less than len(found) / per_second seconds
            rest = len(found) / self._per_second - (self._clock() - began)
            if rest > 0:
                self._sleep(rest)
