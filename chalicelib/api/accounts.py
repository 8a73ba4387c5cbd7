"""Account routes: an admin invites, disables and enables co-workers; a person signs
one device out. Parse, call the account service, shape the result."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalice import Blueprint, Response

from chalicelib.api import account_requests as parse
from chalicelib.api import requests
from chalicelib.api.auth import caller_from, cognito
from chalicelib.api.errors import handles_errors
from chalicelib.api.fields import path_id
from chalicelib.bootstrap import services
from chalicelib.services.common import Caller

accounts_bp = Blueprint(__name__)


def _caller() -> Caller:
    return caller_from(accounts_bp.current_request)


def _body() -> dict[str, Any]:
    body = requests.json_object(accounts_bp.current_request)
    requests.checked(body)
    return body


def _user_id(raw: str) -> str:
    return path_id(unquote(raw), "user_not_found")


def route(path: str, **kwargs: Any) -> Any:
    def register(view: Any) -> Any:
        return accounts_bp.route(path, authorizer=cognito, **kwargs)(handles_errors(view))

    return register


@route("/admin/users", methods=["POST"])
def admin_invite_user() -> Response:
    """Invite a co-worker: an account, a profile, and an email with a temporary password."""
    user, created = services().accounts.invite(_caller(), parse.invite_user(_body()))
    return Response(body=user, status_code=201 if created else 200)


@route("/admin/users/{user_id}/disable", methods=["POST"])
def admin_disable_user(user_id: str) -> dict[str, Any]:
    """Offboard a co-worker: refused everywhere within 30 s, sessions ended, history kept."""
    return services().accounts.disable(_caller(), _user_id(user_id))


@route("/admin/users/{user_id}/enable", methods=["POST"])
def admin_enable_user(user_id: str) -> dict[str, Any]:
    """Let an offboarded co-worker sign in again."""
    return services().accounts.enable(_caller(), _user_id(user_id))


@route("/me/sign-out", methods=["POST"])
def sign_out() -> Response:
    """Sign this device out: its refresh token revoked, push removed, connections closed."""
    services().accounts.sign_out(_caller(), parse.sign_out(_body()))
    return Response(body="", status_code=204)
