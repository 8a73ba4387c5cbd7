"""``GET /search``: parse the parameters, call the search service, answer its page."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.auth import caller_from, cognito
from chalicelib.api.errors import handles_errors
from chalicelib.api.search_params import search_command
from chalicelib.bootstrap import services

search_bp = Blueprint(__name__)


@search_bp.route("/search", methods=["GET"], authorizer=cognito)
@handles_errors
def search() -> dict[str, Any]:
    request = search_bp.current_request
    command = search_command(request.query_params or {})
    return services().search.search(caller_from(request), command)
