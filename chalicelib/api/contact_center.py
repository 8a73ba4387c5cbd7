"""Contact-center REST routes: parse, call one service, shape the result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from chalice import Blueprint, Response

from chalicelib.api import contact_center_requests as parse
from chalicelib.api import requests
from chalicelib.api.auth import caller_from, cognito
from chalicelib.api.errors import handles_errors
from chalicelib.bootstrap import services
from chalicelib.domain.contact_center_records import MAX_CANNED_SHOWN
from chalicelib.domain.errors import FeatureDisabled
from chalicelib.services.common import Caller, page_limit

if TYPE_CHECKING:
    from chalicelib.services.contact_center import ContactCenter

contact_center_bp = Blueprint(__name__)


def _caller() -> Caller:
    return caller_from(contact_center_bp.current_request)


def _cc() -> ContactCenter:
    found: ContactCenter | None = services().contact_center
    if found is None:
        raise FeatureDisabled("the contact center is not configured", code="contact_center_off")
    return found


def _body(optional: bool = False) -> dict[str, Any]:
    body = requests.json_object(contact_center_bp.current_request, optional=optional)
    requests.checked(body)
    return body


def _params() -> dict[str, str]:
    params = dict(contact_center_bp.current_request.query_params or {})
    requests.checked(params)
    return params


def route(path: str, **kwargs: Any) -> Any:
    def register(view: Any) -> Any:
        return contact_center_bp.route(path, authorizer=cognito, **kwargs)(handles_errors(view))

    return register


# -- the agent ------------------------------------------------------------------------


@route("/agent", methods=["GET"])
def get_agent() -> dict[str, Any]:
    return _cc().agents.me(_caller())


@route("/agent/status", methods=["PUT"])
def put_agent_status() -> dict[str, Any]:
    return _cc().agents.set_status(_caller(), parse.agent_status(_body()).status)


# -- interactions ----------------------------------------------------------------------


@route("/interactions", methods=["GET"])
def list_interactions() -> dict[str, Any]:
    params = _params()
    settings = services().settings
    limit = page_limit(params.get("limit"), settings.page_size_default, settings.page_size_max)
    page = _cc().agents.list(_caller(), limit, params.get("cursor") or None)
    return {"items": page.items, "next_cursor": page.next_cursor}


@route("/interactions", methods=["POST"])
def start_interaction() -> Response:
    body = _cc().agents.outbound(_caller(), parse.outbound(_body()))
    return Response(body=body, status_code=201)


@route("/interactions/{interaction_id}", methods=["GET"])
def get_interaction(interaction_id: str) -> dict[str, Any]:
    return _cc().agents.get(_caller(), interaction_id)


@route("/interactions/{interaction_id}/accept", methods=["POST"])
def accept_interaction(interaction_id: str) -> dict[str, Any]:
    return _cc().agents.accept(_caller(), interaction_id)


@route("/interactions/{interaction_id}/reject", methods=["POST"])
def reject_interaction(interaction_id: str) -> dict[str, Any]:
    return _cc().agents.reject(_caller(), interaction_id)


@route("/interactions/{interaction_id}/end", methods=["POST"])
def end_interaction(interaction_id: str) -> dict[str, Any]:
    return _cc().agents.end(_caller(), interaction_id, parse.end(_body(optional=True)))


@route("/interactions/{interaction_id}/transfer", methods=["POST"])
def transfer_interaction(interaction_id: str) -> dict[str, Any]:
    """Move an interaction to a queue, or offer it to a named agent"""
    return _cc().supervision.transfer(_caller(), interaction_id, parse.transfer(_body()))


# -- supervisors ----------------------------------------------------------------------------


@route("/interactions/{interaction_id}/monitor", methods=["POST"])
def monitor_interaction(interaction_id: str) -> dict[str, Any]:
    """Monitor a live interaction (read-only; asked again to renew)"""
    cursor = _params().get("cursor") or None  # an earlier page of the transcript
    return _cc().supervision.monitor(_caller(), interaction_id, cursor)


@route("/interactions/{interaction_id}/monitor", methods=["DELETE"])
def stop_monitoring(interaction_id: str) -> Response:
    """Stop monitoring an interaction"""
    _cc().supervision.stop_monitoring(_caller(), interaction_id)
    return Response(body="", status_code=204)


@route("/interactions/{interaction_id}/notes", methods=["POST"])
def add_interaction_note(interaction_id: str) -> Response:
    """A private note to the interaction's agent (never sent to the customer)"""
    entry = _cc().supervision.note(_caller(), interaction_id, parse.note(_body()))
    return Response(body=entry, status_code=201)


@route("/interactions/{interaction_id}/barge", methods=["POST"])
def barge_interaction(interaction_id: str) -> dict[str, Any]:
    """Take an interaction over: the supervisor becomes its agent"""
    return _cc().supervision.barge(_caller(), interaction_id)


@route("/queues/{queue_id}/interactions", methods=["GET"])
def list_queue_interactions(queue_id: str) -> dict[str, Any]:
    """A queue's live interactions: waiting, offered, active and in wrap-up"""
    page = _cc().supervision.live(_caller(), queue_id, _params().get("cursor") or None)
    return {"items": page.items, "next_cursor": page.next_cursor}


@route("/agents/{user_id}/status", methods=["PUT"])
def set_agent_status(user_id: str) -> dict[str, Any]:
    """Set an agent's routing status (supervisors of their queues, admins)"""
    status = parse.agent_status(_body()).status
    return _cc().supervision.set_agent_status(_caller(), user_id, status)


# -- knowledge, customers, figures -----------------------------------------------------------


@route("/canned-responses", methods=["GET"])
def search_canned() -> dict[str, Any]:
    params = _params()
    limit = page_limit(params.get("limit"), MAX_CANNED_SHOWN, MAX_CANNED_SHOWN)
    return _cc().admin.search_canned(
        _caller(),
        params.get("q"),
        params.get("interaction_id") or None,
        limit,
        params.get("cursor") or None,
    )


@route("/customers", methods=["GET"])
def find_customers() -> dict[str, Any]:
    return _cc().records.by_phone(_caller(), _params().get("phone"))


@route("/customers/{customer_id}", methods=["GET"])
def get_customer(customer_id: str) -> dict[str, Any]:
    return _cc().records.get(_caller(), customer_id)


@route("/queues", methods=["GET"])
def list_queues() -> dict[str, Any]:
    return _cc().admin.queues(_caller())


@route("/queues/{queue_id}/stats", methods=["GET"])
def queue_stats(queue_id: str) -> dict[str, Any]:
    return _cc().supervisor.stats(_caller(), queue_id, _params().get("days"))


# -- configuration (company admins) ---------------------------------------------------------


@route("/admin/contact-center/queues/{queue_id}", methods=["PUT"])
def put_queue(queue_id: str) -> dict[str, Any]:
    return _cc().admin.put_queue(_caller(), queue_id, parse.queue(_body()))


@route("/admin/contact-center/queues/{queue_id}", methods=["DELETE"])
def delete_queue(queue_id: str) -> Response:
    """Delete a queue nothing names any more (409 with what still does)"""
    _cc().admin.delete_queue(_caller(), queue_id)
    return Response(body="", status_code=204)


@route("/admin/contact-center/channels", methods=["GET"])
def list_channels() -> dict[str, Any]:
    return _cc().admin.channels(_caller())


@route("/admin/contact-center/channels/{e164}", methods=["PUT"])
def put_channel(e164: str) -> dict[str, Any]:
    return _cc().admin.put_channel(_caller(), unquote(e164), parse.channel(_body()))


@route("/admin/contact-center/channels/{e164}", methods=["DELETE"])
def delete_channel(e164: str) -> Response:
    """The number stops being a channel (409 while a customer's interaction on it is open)"""
    _cc().admin.delete_channel(_caller(), unquote(e164))
    return Response(body="", status_code=204)


@route("/admin/contact-center/agents", methods=["GET"])
def list_agents() -> dict[str, Any]:
    return _cc().admin.agents(_caller())


@route("/admin/contact-center/agents/{user_id}", methods=["PUT"])
def put_agent(user_id: str) -> dict[str, Any]:
    return _cc().admin.put_agent(_caller(), user_id, parse.agent(_body()))


@route("/admin/contact-center/canned-responses/{reply_id}", methods=["PUT"])
def put_canned(reply_id: str) -> dict[str, Any]:
    return _cc().admin.put_canned(_caller(), reply_id, parse.canned(_body()))


@route("/admin/contact-center/canned-responses/{reply_id}", methods=["DELETE"])
def delete_canned(reply_id: str) -> Response:
    """Delete a canned reply"""
    _cc().admin.delete_canned(_caller(), reply_id)
    return Response(body="", status_code=204)
