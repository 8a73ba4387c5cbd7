"""Wiring only: the Chalice app, its blueprints and middleware."""

from __future__ import annotations

import os
from typing import Any

from chalice import Chalice
from chalice.app import Request

from chalicelib.api import websocket
from chalicelib.api.accounts import accounts_bp
from chalicelib.api.auth import auth_bp
from chalicelib.api.cognito_messages import cognito_messages_bp
from chalicelib.api.compliance import compliance_bp
from chalicelib.api.consumers import consumers_bp
from chalicelib.api.contact_center import contact_center_bp
from chalicelib.api.contact_center_consumers import contact_center_consumers_bp
from chalicelib.api.errors import normalise_error_response
from chalicelib.api.openapi_route import openapi_bp
from chalicelib.api.push import push_bp
from chalicelib.api.reports import reports_bp
from chalicelib.api.rest import rest_bp
from chalicelib.api.search import search_bp
from chalicelib.api.search_consumers import search_consumers_bp
from chalicelib.api.webhooks import webhooks_bp
from chalicelib.observability import begin_invocation, segment

app = Chalice(app_name="texting")
app.experimental_feature_flags.update(["WEBSOCKETS"])

app.register_blueprint(auth_bp)
app.register_blueprint(rest_bp)
app.register_blueprint(accounts_bp)
app.register_blueprint(webhooks_bp)
app.register_blueprint(consumers_bp)
app.register_blueprint(contact_center_bp)
app.register_blueprint(contact_center_consumers_bp)
app.register_blueprint(openapi_bp)
app.register_blueprint(cognito_messages_bp)
app.register_blueprint(compliance_bp)
app.register_blueprint(search_bp)
app.register_blueprint(search_consumers_bp)
app.register_blueprint(push_bp)
app.register_blueprint(reports_bp)


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    # Lambda init: build the services and their clients now, so the first request
    # costs what the second does (init time is not billed against the request).
    from chalicelib import bootstrap

    bootstrap.warm()


@app.middleware("all")
def observe(event: Any, get_response: Any) -> Any:
    """Every invocation: the Lambda context on the logger, an X-Ray subsegment."""
    if isinstance(event, Request):
        context, name = event.lambda_context, f"{event.method} {event.path}"
    else:
        context = getattr(event, "context", None)
        name = getattr(context, "function_name", "") or type(event).__name__
    begin_invocation(context, name)
    with segment(f"## {name}"):
        return get_response(event)


@app.middleware("http")
def contract_errors(event: Any, get_response: Any) -> Any:
    return normalise_error_response(get_response(event))


@app.on_ws_connect(name="ws_connect")
def ws_connect(event: Any) -> Any:
    return websocket.connect(event)


@app.on_ws_disconnect(name="ws_disconnect")
def ws_disconnect(event: Any) -> Any:
    return websocket.disconnect(event)


@app.on_ws_message(name="ws_message")
def ws_message(event: Any) -> Any:
    return websocket.message(event)
