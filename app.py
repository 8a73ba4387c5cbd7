"""Wiring only: the Chalice app, its blueprints and middleware."""

from __future__ import annotations

from typing import Any

from chalice import Chalice

from chalicelib.api import websocket
from chalicelib.api.auth import auth_bp
from chalicelib.api.consumers import consumers_bp
from chalicelib.api.contact_center import contact_center_bp
from chalicelib.api.contact_center_consumers import contact_center_consumers_bp
from chalicelib.api.errors import normalise_error_response
from chalicelib.api.rest import rest_bp
from chalicelib.api.webhooks import webhooks_bp

app = Chalice(app_name="texting")
app.experimental_feature_flags.update(["WEBSOCKETS"])

app.register_blueprint(auth_bp)
app.register_blueprint(rest_bp)
app.register_blueprint(webhooks_bp)
app.register_blueprint(consumers_bp)
app.register_blueprint(contact_center_bp)
app.register_blueprint(contact_center_consumers_bp)


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
