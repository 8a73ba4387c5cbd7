"""Domain errors. Each has a stable machine-readable ``code``.

One module (``chalicelib.api.errors``) maps codes to HTTP statuses; nothing
branches on the message text.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ValidationError(DomainError):
    """The request is malformed: a missing field, a wrong type, a bad value."""

    code = "invalid_request"


class NotFound(DomainError):
    """The thing does not exist, or is not visible to the caller's company."""

    code = "not_found"


class Forbidden(DomainError):
    """The caller may see the thing but not do this to it."""

    code = "forbidden"


class Unauthorized(DomainError):
    code = "unauthorized"


class Conflict(DomainError):
    code = "conflict"


class FeatureDisabled(DomainError):
    code = "feature_disabled"


class ConcurrentUpdate(DomainError):
    """An optimistic write lost a race; the caller may retry."""

    code = "concurrent_update"


class ConnectionGone(DomainError):
    """A WebSocket connection no longer exists (API Gateway answered 410)."""

    code = "connection_gone"


class PushRejected(DomainError):
    """The push provider says this device endpoint is gone or disabled."""

    code = "push_rejected"


class PushUnavailable(DomainError):
    """Web Push cannot be used here: no VAPID key is configured, or its secret cannot be
    read now."""

    code = "push_unavailable"


class RateLimited(DomainError):
    """Too many requests in the current window; ``retry_after`` seconds until the next."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
