"""Contact-center records and figures: customers, cases, canned replies (with their
placeholders), and each queue's counters per day. Pure Python."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def fill_template(template: str, values: dict[str, Any]) -> str:
    """``{name}`` placeholders from ``values``; unknown ones are left as typed."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    return re.sub(r"\{([a-z_]+)\}", replace, template)


@dataclass
class DayFigures:
    """One queue's counters for one day (kept as texts flow; never recomputed by scanning)."""

    offered: int = 0  # waits started in the queue (docs/contact-center.md, Figures)
    answered: int = 0  # waits ended by an agent taking it
    abandoned: int = 0  # ended before an answer after waiting past the queue's limit
    timed_out: int = 0  # offers nobody took in time
    turned_away: int = 0  # arrived at a full queue with no overflow queue
    moved_out: int = 0  # waits that moved on to another queue (overflow)
    wait_total_s: float = 0.0  # over answered ones
    within_service_level: int = 0
    handled: int = 0  # ended after an answer
    handle_total_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "timed_out": self.timed_out,
            "turned_away": self.turned_away,
            "moved_out": self.moved_out,
            "average_wait_s": round(self.wait_total_s / self.answered, 1) if self.answered else 0,
            "average_handle_s": round(self.handle_total_s / self.handled, 1) if self.handled else 0,
            "service_level": service_level(self.within_service_level, self.answered),
        }


# Supervisors hear of a queue at most this often (the last state always arrives).
QUEUE_UPDATE_INTERVAL_S = 5


@dataclass
class QueueState:
    """The last figures published for a queue (``queue.updated``), and its throttle:
    ``seq`` counts publications, ``flush_due`` is when a coalesced publication of the
    changes held back meanwhile is due (0: none pending)."""

    company_id: str
    queue_id: str
    seq: int = 0
    published_at: float = 0.0
    flush_due: float = 0.0
    figures: dict[str, Any] = field(default_factory=dict)
    recipients: list[str] = field(default_factory=list)


def service_level(within: int, answered: int) -> float | None:
    """% of answered interactions answered within the queue's threshold (None before any)."""
    if answered <= 0:
        return None
    return round(100.0 * within / answered, 1)


def average_handle_s(days: Sequence[DayFigures], fallback: float = 300.0) -> float:
    handled = sum(d.handled for d in days)
    if not handled:
        return fallback
    return sum(d.handle_total_s for d in days) / handled


# -- customers, cases, canned replies -------------------------------------------


@dataclass
class Customer:
    """A customer record of one company, found by phone on every inbound text."""

    customer_id: str
    company_id: str
    phone: str
    name: str = ""
    created_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.customer_id,
            "name": self.name,
            "phone": self.phone,
            "created_at": self.created_at,
        }


@dataclass
class Case:
    """A case on a customer record; ended interactions link their transcripts to it."""

    case_id: str
    customer_id: str
    company_id: str
    subject: str
    status: str = "open"  # open, closed
    created_at: str = ""
    transcripts: list[dict[str, Any]] = field(default_factory=list)  # interaction, key

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.case_id,
            "subject": self.subject,
            "status": self.status,
            "created_at": self.created_at,
            "transcripts": [dict(t) for t in self.transcripts],
        }


EVERY_QUEUE = "*"  # the scope of a reply limited to no queue (no queue id can be "*")
MAX_REPLY_QUEUES = 20  # the queues one reply may be limited to
MAX_CANNED_SHOWN = 50  # canned replies answered at once (a page)


@dataclass
class CannedReply:
    reply_id: str
    company_id: str
    shortcut: str
    title: str
    text: str
    queues: list[str] = field(default_factory=list)  # empty: every queue

    def scopes(self) -> list[str]:
        """Where agents find it: the queues it is limited to, or every queue."""
        return list(self.queues) or [EVERY_QUEUE]

    def matches(self, query: str) -> bool:
        """A shortcut that starts with ``query`` (``/ref`` or ``ref``), or every word of it
        somewhere in the title or text."""
        q = query.strip().lower()
        if not q:
            return True
        if self.shortcut.lower().startswith(q.lstrip("/")):
            return True
        haystack = f"{self.title} {self.text}".lower()
        return all(word in haystack for word in q.split())

    def render(self, values: dict[str, Any]) -> str:
        return fill_template(self.text, values)

    def to_dict(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        body = {
            "id": self.reply_id,
            "shortcut": self.shortcut,
            "title": self.title,
            "text": self.text,
            "queues": list(self.queues),
        }
        if values is not None:
            body["rendered"] = self.render(values)
        return body
