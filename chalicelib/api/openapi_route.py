"""``GET /openapi.json``: the REST API's OpenAPI 3.1 document, unauthenticated.

Generated once per process from the app's own route table (``chalicelib.api.openapi``).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api import openapi

openapi_bp = Blueprint(__name__)
_document: dict[str, Any] = {}


@openapi_bp.route("/openapi.json", methods=["GET"])
def openapi_document() -> dict[str, Any]:
    """This document."""
    if not _document:
        _document.update(openapi.document(openapi_bp.current_app.routes))
    return _document
