"""``GET /openapi.json``: the REST API's OpenAPI 3.1 document, unauthenticated.

Generated from the app's own route table (``chalicelib.api.openapi``), with the bounds
this deployment's settings set (text length, page size, group size); once per process
for each set of those settings.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api import openapi
from chalicelib.bootstrap import services

openapi_bp = Blueprint(__name__)
_documents: dict[tuple[tuple[str, int], ...], dict[str, Any]] = {}


@openapi_bp.route("/openapi.json", methods=["GET"])
def openapi_document() -> dict[str, Any]:
    """This document."""
    limits = openapi.limits_of(services().settings)
    key = tuple(sorted(limits.items()))
    if key not in _documents:
        _documents[key] = openapi.document(openapi_bp.current_app.routes, limits=limits)
    return _documents[key]
