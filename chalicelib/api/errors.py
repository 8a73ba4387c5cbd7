"""The one place where domain errors become HTTP statuses and error bodies."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.api.fields import names_nothing
from chalicelib.domain import errors

_STATUS_BY_CLASS: list[tuple[type[errors.DomainError], int]] = [
    (errors.ValidationError, 400),
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.ConcurrentUpdate, 409),
    (errors.FeatureDisabled, 403),
    (errors.RateLimited, 429),
]

# Codes whose status differs from their class's.
_STATUS_BY_CODE = {
    "text_too_long": 413,
    "too_many_segments": 413,
    "not_implemented": 501,
    "provider_unavailable": 503,
    "search_unavailable": 503,
    "push_unavailable": 503,
    "provider_rejected": 502,
}


def status_for(error: errors.DomainError) -> int:
    if error.code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[error.code]
    for cls, status in _STATUS_BY_CLASS:
        if isinstance(error, cls):
            return status
    return 400


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(error: errors.DomainError) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if isinstance(error, errors.RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    return Response(
        body=error_body(error.code, error.message),
        status_code=status_for(error),
        headers=headers,
    )


def handles_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors raised by a view into the contract's error response.

    A path parameter longer than any id (``MAX_ID``) or not valid Unicode names
    nothing: a 404 before the view runs (it would otherwise reach DynamoDB as a key
    over its size limit, a 500 there).
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for value in kwargs.values():
            if isinstance(value, str) and names_nothing(value):
                return error_response(errors.NotFound("no such item", code="not_found"))
        try:
            return view(*args, **kwargs)
        except errors.DomainError as error:
            return error_response(error)

    return wrapper


_CHALICE_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_error",
}


def normalise_error_response(response: Response) -> Response:
    """Rewrite Chalice's own error bodies (``{"Code", "Message"}``) into the contract's shape.

    Chalice answers some errors itself (malformed JSON, unsupported media type,
    unhandled exceptions); clients must see one error format everywhere.
    """
    if response.status_code < 400:
        return response
    body = response.body
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            body = None
    if isinstance(body, dict) and "error" in body:
        return response
    message = "the request failed"
    if isinstance(body, dict):
        message = str(body.get("Message") or body.get("message") or message)
    if response.status_code >= 500:
        message = "an internal error occurred"
    response.body = error_body(_CHALICE_CODES.get(response.status_code, "error"), message)
    response.headers["Content-Type"] = "application/json"
    return response
