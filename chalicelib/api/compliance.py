"""Lawful-texting REST routes (company admins, own company; consent: the line's people):
the texting policy, registrations, the End User Messaging sandbox, a conversation's
consent record. The registration poller's timer lives here too."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import resources
from chalicelib.api import admin_bodies, presenters, requests
from chalicelib.api.auth import caller_from, cognito
from chalicelib.api.errors import handles_errors
from chalicelib.bootstrap import services
from chalicelib.services.common import Caller, page_limit
from chalicelib.services.compliance.policy import HISTORY_PAGE

compliance_bp = Blueprint(__name__)


def _caller() -> Caller:
    return caller_from(compliance_bp.current_request)


def _body() -> dict[str, Any]:
    return requests.json_object(compliance_bp.current_request)


def route(path: str, **kwargs: Any) -> Any:
    def register(view: Any) -> Any:
        return compliance_bp.route(path, authorizer=cognito, **kwargs)(handles_errors(view))

    return register


@route("/admin/texting-policy", methods=["GET"])
def admin_texting_policy() -> dict[str, Any]:
    return services().texting.show(_caller())


@route("/admin/texting-policy", methods=["PUT"])
def admin_put_texting_policy() -> dict[str, Any]:
    services().admin.require_admin(_caller())
    changes = requests.changes(_body(), admin_bodies.TEXTING_POLICY_CHANGES)
    return services().texting.update(_caller(), changes)


@route("/admin/registrations", methods=["GET"])
def admin_registrations() -> dict[str, Any]:
    return presenters.unpaged(services().registrations.list(_caller()))


@route("/admin/sms-account", methods=["GET"])
def admin_sms_account() -> dict[str, Any]:
    svc = services()
    return svc.registrations.sms_account(_caller(), svc.settings.sms_default_provider)


@route("/conversations/{conversation_id}/consent", methods=["GET"])
def get_consent(conversation_id: str) -> dict[str, Any]:
    """The consent record; an admin also gets its history, a page at a time."""
    params: Any = compliance_bp.current_request.query_params or {}
    settings = services().settings
    limit = page_limit(params.get("limit"), HISTORY_PAGE, settings.page_size_max)
    cursor = params.get("cursor") or None
    return services().consents.show(_caller(), conversation_id, limit, cursor)


@route("/conversations/{conversation_id}/consent", methods=["PUT"])
def put_consent(conversation_id: str) -> dict[str, Any]:
    changes = requests.changes(_body(), admin_bodies.CONSENT_CHANGES)
    return services().consents.update(_caller(), conversation_id, changes)


_poll = resources.schedule("registration_poller")


@compliance_bp.schedule(resources.rate_expression(_poll.every_seconds), name=_poll.function)
def registration_poller(event: Any) -> dict[str, int]:
    """Registrations under review: ask the provider, record every change; stop before
    the Lambda's time runs out (the next run resumes where this one stopped)."""
    svc = services()
    context = getattr(event, "context", None)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return svc.registrations.poll(
        svc.settings.registration_poll_batch,
        time_left=(lambda: remaining() / 1000) if callable(remaining) else None,
        margin=svc.settings.registration_poll_margin_seconds,
    )
