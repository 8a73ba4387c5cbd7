"""REST routes: parse, call one service, shape the result."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalice import Blueprint, Response

from chalicelib.api import admin_bodies, presenters, requests
from chalicelib.api.auth import caller_from, cognito
from chalicelib.api.errors import handles_errors
from chalicelib.api.fields import path_index
from chalicelib.bootstrap import services
from chalicelib.domain.errors import FeatureDisabled, ValidationError
from chalicelib.domain.model import IM, SMS, Page
from chalicelib.services.common import Caller, page_limit

rest_bp = Blueprint(__name__)


def _caller() -> Caller:
    return caller_from(rest_bp.current_request)


def _body() -> dict[str, Any]:
    return requests.json_object(rest_bp.current_request)


def _paging() -> tuple[int, str | None]:
    params: Any = rest_bp.current_request.query_params or {}
    settings = services().settings
    limit = page_limit(params.get("limit"), settings.page_size_default, settings.page_size_max)
    return limit, params.get("cursor") or None


def _list(found: Page[Any]) -> dict[str, Any]:
    return presenters.page(found)


def _created(body: Any, created: bool) -> Response:
    return Response(body=body, status_code=201 if created else 200)


def route(path: str, **kwargs: Any) -> Any:
    """Every REST route: Cognito-authorized, domain errors mapped to the contract's shape."""

    def register(view: Any) -> Any:
        return rest_bp.route(path, authorizer=cognito, **kwargs)(handles_errors(view))

    return register


# -- me, directory, contacts --------------------------------------------------


@route("/me", methods=["GET"])
def get_me() -> dict[str, Any]:
    return services().directory.me(_caller())


@route("/directory", methods=["GET"])
def get_directory() -> dict[str, Any]:
    return _list(services().directory.list_directory(_caller(), *_paging()))


@route("/directory/{user_id}", methods=["GET"])
def get_co_worker(user_id: str) -> dict[str, Any]:
    return services().directory.co_worker(_caller(), user_id)


@route("/me/missed", methods=["GET"])
def pending_missed() -> dict[str, Any]:
    return services().notifications.pending_missed(_caller())


@route("/me/presence", methods=["PUT"])
def set_presence() -> dict[str, Any]:
    command = requests.set_presence(_body())
    return services().presence.set_status(
        _caller(), command.status, command.message, command.expires_at, command.expires_in
    )


@route("/me/photo", methods=["POST"])
def start_photo_upload() -> dict[str, Any]:
    command = requests.upload(_body(), "photo_too_large")
    return services().presence.photo_upload(_caller(), command.content_type, command.size)


@route("/me/photo", methods=["PUT"])
def confirm_photo() -> dict[str, Any]:
    key = requests.photo_key(_body())
    return services().presence.photo_confirm(_caller(), key)


@route("/devices", methods=["GET"])
def list_devices() -> dict[str, Any]:
    return presenters.unpaged(services().notifications.list_devices(_caller()))


@route("/devices", methods=["POST"])
def register_device() -> Response:
    command = requests.device(_body())
    device = services().notifications.register_device(
        _caller(), command.device_id, command.platform, command.token
    )
    return _created(device, True)


@route("/devices/{device_id}", methods=["DELETE"])
def logout_device(device_id: str) -> Response:
    services().notifications.logout(_caller(), unquote(device_id))
    return Response(body="", status_code=204)


@route("/contacts", methods=["GET"])
def list_contacts() -> dict[str, Any]:
    query = requests.contact_search(rest_bp.current_request.query_params or {})
    return _list(services().directory.list_contacts(_caller(), *_paging(), query))


@route("/contacts", methods=["POST"])
def create_contact() -> Response:
    command = requests.contact(_body(), new=True)
    contact = services().directory.create_contact(_caller(), command)
    return _created(presenters.item(contact), True)


@route("/contacts/{contact_id}", methods=["GET"])
def get_contact(contact_id: str) -> dict[str, Any]:
    return presenters.item(services().directory.get_contact(_caller(), contact_id))


@route("/contacts/{contact_id}", methods=["PATCH"])
def update_contact(contact_id: str) -> dict[str, Any]:
    command = requests.contact(_body())
    contact = services().directory.update_contact(_caller(), contact_id, command)
    return presenters.item(contact)


@route("/contacts/{contact_id}", methods=["DELETE"])
def delete_contact(contact_id: str) -> Response:
    services().directory.delete_contact(_caller(), contact_id)
    return Response(body="", status_code=204)


# -- conversations ----------------------------------------------------------------


@route("/conversations", methods=["GET"])
def list_conversations() -> dict[str, Any]:
    view = requests.conversation_view(rest_bp.current_request.query_params or {})
    if view is None:
        return _list(services().conversations.list_for(_caller(), *_paging()))
    return _list(_shared_lines().list_view(_caller(), view, *_paging()))


def _shared_lines() -> Any:
    found = services().shared_lines
    if found is None:
        raise FeatureDisabled("shared lines are not configured", code="shared_lines_disabled")
    return found


@route("/conversations", methods=["POST"])
def create_conversation() -> Response:
    body = _body()
    kind = body.get("type", IM)
    if kind == SMS:
        caller = _caller()
        command = requests.create_sms(body)
        conversation, created = services().sms.start(
            caller, command.to, command.from_, consent=command.consent
        )
        return _created(services().conversations.get(caller, conversation.conversation_id), created)
    if kind != IM:
        raise ValidationError("type must be 'im' or 'sms'", code="invalid_type")
    view, created = services().conversations.create_im(_caller(), requests.create_im(body))
    return _created(view, created)


@route("/conversations/{conversation_id}", methods=["GET"])
def get_conversation(conversation_id: str) -> dict[str, Any]:
    return services().conversations.get(_caller(), conversation_id)


@route("/conversations/{conversation_id}", methods=["PATCH"])
def update_conversation(conversation_id: str) -> dict[str, Any]:
    command = requests.update_conversation(_body())
    caller = _caller()
    conversations = services().conversations
    view: dict[str, Any] = {}
    if "name" in command.fields:
        view = conversations.rename(caller, conversation_id, command.name)
    if command.fields & {"muted", "hidden"}:
        view = conversations.set_flags(
            caller, conversation_id, muted=command.muted, hidden=command.hidden
        )
    if "labels" in command.fields:
        view = _shared_lines().set_labels(caller, conversation_id, command.labels or ())
    if "assignee" in command.fields:  # last: a lost race answers 409 after the rest
        view = _shared_lines().assign(caller, conversation_id, command.assignee)
    return view


@route("/conversations/{conversation_id}/clear", methods=["POST"])
def clear_conversation(conversation_id: str) -> dict[str, Any]:
    """Delete the conversation for the caller only (docs/api.md, "Conversation controls")."""
    return services().conversations.clear(_caller(), conversation_id)


@route("/conversations/{conversation_id}/members", methods=["POST"])
def add_members(conversation_id: str) -> dict[str, Any]:
    members = requests.members(_body())
    return services().conversations.add_members(_caller(), conversation_id, members)


@route("/conversations/{conversation_id}/members/{user_id}", methods=["DELETE"])
def remove_member(conversation_id: str, user_id: str) -> dict[str, Any]:
    return services().conversations.remove_member(_caller(), conversation_id, user_id)


@route("/conversations/{conversation_id}/messages", methods=["GET"])
def list_messages(conversation_id: str) -> dict[str, Any]:
    params: Any = rest_bp.current_request.query_params or {}
    after = params.get("after_seq")
    if after is not None and not (after.isascii() and after.isdigit() and len(after) <= 11):
        raise ValidationError("after_seq must be a whole number", code="invalid_seq")
    if after is None:
        return _list(services().conversations.history(_caller(), conversation_id, *_paging()))
    page, through = services().conversations.catch_up(
        _caller(), conversation_id, int(after), *_paging()
    )
    return {**_list(page), "through_seq": through}


@route("/sync", methods=["POST"])
def sync() -> dict[str, Any]:
    limit, _ = _paging()
    return services().conversations.sync(_caller(), requests.sync(_body(), limit))


@route("/conversations/{conversation_id}/messages", methods=["POST"])
def send_message(conversation_id: str) -> Response:
    command = requests.send_message(_body(), conversation_id)
    message, created = services().conversations.send(_caller(), command)
    status = 202 if created and message.status == "queued" else (201 if created else 200)
    return Response(body=presenters.message(message), status_code=status)


@route("/admin/company", methods=["GET"])
def admin_company() -> dict[str, Any]:
    return services().admin.company(_caller())


@route("/admin/company", methods=["PATCH"])
def admin_update_company() -> dict[str, Any]:
    services().admin.require_admin(_caller())
    changes = requests.changes(_body(), admin_bodies.COMPANY_CHANGES)
    return services().admin.update_company(_caller(), changes)


@route("/admin/numbers", methods=["GET"])
def admin_numbers() -> dict[str, Any]:
    return presenters.unpaged(services().admin.numbers(_caller()))


@route("/admin/numbers/{e164}", methods=["PUT"])
def admin_put_number(e164: str) -> dict[str, Any]:
    services().admin.require_admin(_caller())
    changes = requests.changes(_body(), admin_bodies.NUMBER_CHANGES)
    return services().admin.put_number(_caller(), unquote(e164), changes)


@route("/admin/numbers/{e164}/users/{user_id}", methods=["PUT"])
def admin_assign(e164: str, user_id: str) -> dict[str, Any]:
    return services().admin.assign(_caller(), unquote(e164), user_id)


@route("/admin/numbers/{e164}/users/{user_id}", methods=["DELETE"])
def admin_unassign(e164: str, user_id: str) -> dict[str, Any]:
    return services().admin.unassign(_caller(), unquote(e164), user_id)


@route("/admin/users/{user_id}", methods=["PATCH"])
def admin_update_user(user_id: str) -> dict[str, Any]:
    services().admin.require_admin(_caller())
    changes = requests.changes(_body(), admin_bodies.USER_CHANGES)
    return services().admin.update_user(_caller(), user_id, changes)


@route("/admin/policies", methods=["GET"])
def admin_policies() -> dict[str, Any]:
    return presenters.unpaged(services().admin.policies(_caller()))


@route("/admin/policies", methods=["POST"])
def admin_create_policy() -> Response:
    services().admin.require_admin(_caller())
    changes = requests.changes(_body(), admin_bodies.POLICY_CHANGES)
    return _created(services().admin.put_policy(_caller(), None, changes), True)


@route("/admin/policies/{policy_id}", methods=["PATCH"])
def admin_update_policy(policy_id: str) -> dict[str, Any]:
    services().admin.require_admin(_caller())
    changes = requests.changes(_body(), admin_bodies.POLICY_CHANGES)
    return services().admin.put_policy(_caller(), policy_id, changes)


@route("/admin/usage", methods=["GET"])
def sms_usage() -> dict[str, Any]:
    days = requests.day_range(rest_bp.current_request.query_params or {})
    return services().sms.usage(_caller(), days.first, days.last)


@route("/media", methods=["POST"])
def start_media_upload() -> dict[str, Any]:
    command = requests.upload(_body(), "media_too_large")
    return services().sms_media.media_upload(
        _caller(), command.content_type, command.size, command.filename
    )


@route("/media/limits", methods=["GET"])
def media_limits() -> dict[str, Any]:
    """What a message may carry, per channel: types, sizes, MMS countries."""
    _caller()
    return services().sms_media.limits()


@route("/conversations/{conversation_id}/messages/{message_id}/media/{index}", methods=["GET"])
def media_link(conversation_id: str, message_id: str, index: str) -> dict[str, Any]:
    message = services().conversations.get_message(_caller(), conversation_id, message_id)
    return services().sms_media.media_link(message, path_index(index, "media_not_found"))


@route("/sms/preview", methods=["POST"])
def sms_preview() -> dict[str, Any]:
    command = requests.preview(_body())
    return services().sms.preview(_caller(), command.text, command.to)


@route("/conversations/{conversation_id}/messages/{message_id}", methods=["GET"])
def get_message(conversation_id: str, message_id: str) -> dict[str, Any]:
    return presenters.message(
        services().conversations.get_message(_caller(), conversation_id, message_id)
    )


@route("/conversations/{conversation_id}/messages/{message_id}", methods=["DELETE"])
def delete_message(conversation_id: str, message_id: str) -> dict[str, Any]:
    return presenters.message(
        services().conversations.delete_message(_caller(), conversation_id, message_id)
    )


@route("/conversations/{conversation_id}/messages/{message_id}/hide", methods=["POST"])
def hide_message(conversation_id: str, message_id: str) -> dict[str, Any]:
    """Delete a message for the caller only (any member; the others keep it)."""
    return services().conversations.hide_message(_caller(), conversation_id, message_id)


@route("/conversations/{conversation_id}/read", methods=["POST"])
def read_conversation(conversation_id: str) -> dict[str, Any]:
    return services().conversations.read(_caller(), requests.mark_read(_body(), conversation_id))
