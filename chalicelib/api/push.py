"""``GET /push/key``: the VAPID public key a browser subscribes to Web Push with."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.auth import cognito
from chalicelib.api.errors import handles_errors
from chalicelib.bootstrap import services

push_bp = Blueprint(__name__)


@push_bp.route("/push/key", methods=["GET"], authorizer=cognito)
@handles_errors
def push_key() -> dict[str, Any]:
    """The VAPID public key (base64url) for PushManager.subscribe's applicationServerKey"""
    return services().notifications.push_key()
