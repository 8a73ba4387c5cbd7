"""Carrier webhooks: Twilio inbound texts and status callbacks (form-encoded, signed).

A bad or missing signature is 403 and stores nothing; it is logged at WARNING
(never the token or the signature) and counted as ``WebhookSignatureFailures``
(dimension ``provider``). The signature covers the exact public URL Twilio
called: ``PUBLIC_API_BASE_URL`` + the route when set (a custom domain), else
rebuilt from the request (host + API Gateway stage). The current auth token and,
during a rotation, the previous one are accepted; a signature neither matches
re-reads the credentials first (bounded: ``TwilioCredentials.refresh``).
"""

from __future__ import annotations

from html import escape
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.errors import error_body, error_response
from chalicelib.bootstrap import services
from chalicelib.domain.errors import DomainError, ValidationError
from chalicelib.observability import count, logger

webhooks_bp = Blueprint(__name__)
FORM = ["application/x-www-form-urlencoded"]


def _public_url(request: Any) -> str:
    from chalicelib.adapters import twilio

    context = request.context or {}
    path = context.get("resourcePath") or request.path
    query = "&".join(f"{k}={v}" for k, v in (request.query_params or {}).items()) or None
    base = services().settings.public_api_base_url
    if not base:
        host = request.headers.get("host", "")
        stage = context.get("stage", "")
        base = f"https://{host}/{stage}" if stage else f"https://{host}"
    return twilio.public_url(base, path, query)


def _verified_params() -> dict[str, list[str]] | Response:
    from chalicelib.adapters import twilio

    request = webhooks_bp.current_request
    try:
        params = twilio.parse_form(request.raw_body or b"")
    except ValueError:  # not form-encoded UTF-8: it cannot carry a valid signature
        params = {}
    signature = request.headers.get("x-twilio-signature", "")
    try:
        valid = services().twilio_credentials.signed(_public_url(request), params, signature)
    except DomainError as error:  # the credentials cannot be read: Twilio may see a 5xx
        logger.error("twilio webhook not checked: no credentials", extra={"reason": error.code})
        return error_response(error)
    if not valid:
        logger.warning(
            "twilio webhook refused: bad or missing signature",
            extra={"reason": "mismatch" if signature else "missing", "path": request.path},
        )
        count("WebhookSignatureFailures", provider="twilio")
        return Response(
            body=error_body("invalid_signature", "the request signature is not valid"),
            status_code=403,
            headers={"Content-Type": "application/json"},
        )
    return params


def _twiml(reply: str | None = None) -> Response:
    body = (
        "<Response/>"
        if not reply
        else f"<Response><Message>{escape(reply, quote=False)}</Message></Response>"
    )
    return Response(
        body=f'<?xml version="1.0" encoding="UTF-8"?>{body}',
        status_code=200,
        headers={"Content-Type": "text/xml"},
    )


@webhooks_bp.route("/webhooks/twilio/sms", methods=["POST"], content_types=FORM)
def twilio_inbound() -> Response:
    from chalicelib.adapters import twilio

    params = _verified_params()
    if isinstance(params, Response):
        return params
    try:
        reply = services().carrier.inbound(twilio.parse_inbound(params))
    except ValidationError as error:  # malformed but signed: acknowledge, log, store nothing
        logger.info("twilio inbound ignored", extra={"reason": error.code})
        return _twiml()
    return _twiml(reply)


@webhooks_bp.route("/webhooks/twilio/status", methods=["POST"], content_types=FORM)
def twilio_status() -> Response:
    from chalicelib.adapters import twilio

    params = _verified_params()
    if isinstance(params, Response):
        return params
    try:
        query: dict[str, str] = dict(webhooks_bp.current_request.query_params or {})
        message_id = query.get("message_id")
        services().carrier.status(twilio.parse_status(params), message_id)
    except ValidationError as error:
        logger.info("twilio status ignored", extra={"reason": error.code})
    return _twiml()
