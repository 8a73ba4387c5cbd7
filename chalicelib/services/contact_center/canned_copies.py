"""Backfill: the per-scope copies of canned replies saved before replies were kept
per scope (an agent's replies are read from those copies, so without them an agent
sees none of the older replies).

An operator's command (``python -m infra.admin_contact_center canned-copies``), never
a request or event path. It reads the company's replies in id order (Queries of one
partition) and writes each reply's copies as it is now, conditional on the reply not
changing meanwhile (an admin's save writes its own copies). Idempotent: running it
again, or beside admins' saves, writes the same copies. Resumable: the checkpoint
records the last reply done per company. Paced: at most ``per_second`` replies a
second."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.services.contact_center.ports import ContactCenterRepository

PAGE = 100  # replies read (and copied) per round


@dataclass
class CopiesCheckpoint:
    """The last reply copied per company, saved to ``path`` (JSON) when given."""

    path: Path | None = None
    last: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> CopiesCheckpoint:
        if path is None or not path.exists():
            return cls(path)
        return cls(path, dict(json.loads(path.read_text()).get("last", {})))

    def save(self) -> None:
        if self.path is None:
            return
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps({"last": self.last}))
        os.replace(partial, self.path)  # a reader never sees half a file


class CannedCopies:
    """Write the missing per-scope copies of a company's canned replies."""

    def __init__(
        self,
        repo: ContactCenterRepository,
        checkpoint: CopiesCheckpoint,
        per_second: float = 50.0,
        sleep: Callable[[float], None] = time.sleep,
        report: Callable[[str, int], None] | None = None,
    ) -> None:
        self._repo = repo
        self._checkpoint = checkpoint
        self._per_second = per_second
        self._sleep = sleep
        self._report = report

    def run(self, company_id: str) -> int:
        """Copy every reply of the company after the checkpoint's; returns how many."""
        copied = 0
        while True:
            started = time.monotonic()
            after = self._checkpoint.last.get(company_id)
            read = self._repo.copy_canned(company_id, after, PAGE)
            if read:
                copied += len(read)
                self._checkpoint.last[company_id] = read[-1]
                self._checkpoint.save()
                if self._report:
                    self._report(company_id, copied)
            if len(read) < PAGE:
                return copied
            left = len(read) / self._per_second - (time.monotonic() - started)
            if left > 0:
                self._sleep(left)
