"""Accounts at the edge: invitation and sign-out bodies parsed once into typed commands,
through the field tables (``admin_bodies.INVITE_USER``, ``bodies.SIGN_OUT``), which also
enforce each text's pattern, length and choices."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.api.admin_bodies import INVITE_USER
from chalicelib.api.bodies import SIGN_OUT
from chalicelib.api.fields import Body
from chalicelib.domain.errors import ValidationError
from chalicelib.services.commands import InviteUser, SignOut

Json = Mapping[str, object]


def _closed(body: Json, table: Body) -> None:
    unknown = sorted(set(body) - set(table.by_name))
    if table.closed and unknown:
        raise ValidationError(f"give only {', '.join(table.by_name)}", code="invalid_request")


def invite_user(body: Json) -> InviteUser:
    _closed(body, INVITE_USER)
    username, email, name = (
        INVITE_USER[f].required_text(body) for f in ("username", "email", "name")
    )
    role = INVITE_USER["role"].text(body)
    return InviteUser(username, email, name.strip(), role or "user")


def sign_out(body: Json) -> SignOut:
    _closed(body, SIGN_OUT)
    return SignOut(
        refresh_token=SIGN_OUT["refresh_token"].text(body) or None,
        device_id=SIGN_OUT["device_id"].text(body),
    )
