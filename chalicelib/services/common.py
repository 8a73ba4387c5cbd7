"""Small things every service uses: the caller, the clock, id generation, paging limits."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.model import utcnow_iso


@dataclass(frozen=True)
class Caller:
    """Who is asking, as the authorizer established it."""

    user_id: str
    company_id: str
    role: str = "user"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


Clock = Callable[[], str]
IdFactory = Callable[[str], str]


def default_clock() -> str:
    return utcnow_iso()


def default_ids(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex}"


def page_limit(raw: str | int | None, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError("limit must be a whole number", code="invalid_limit") from None
    if value < 1 or value > maximum:
        raise ValidationError(f"limit must be between 1 and {maximum}", code="invalid_limit")
    return value


WORKER_THREADS = 16
_executor: ThreadPoolExecutor | None = None


def worker_pool() -> ThreadPoolExecutor:
    """Per-recipient work (posts, reads, pushes) runs side by side on this pool: one
    per container, made on first use (not at import)."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="work")
    return _executor
