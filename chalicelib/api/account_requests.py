"""Accounts at the edge: invitation and sign-out bodies parsed once into typed commands,
through the field tables (``admin_bodies.INVITE_USER``, ``bodies.SIGN_OUT``)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from chalicelib.api.admin_bodies import INVITE_USER
from chalicelib.api.bodies import SIGN_OUT
from chalicelib.api.fields import Body, Field
from chalicelib.domain.errors import ValidationError
from chalicelib.services.commands import InviteUser, SignOut

Json = Mapping[str, object]


def _closed(body: Json, table: Body) -> None:
    unknown = sorted(set(body) - set(table.by_name))
    if table.closed and unknown:
        raise ValidationError(f"give only {', '.join(table.by_name)}", code="invalid_request")


def _checked(spec: Field, value: str | None) -> str | None:
    """The rules the parser states for a field beyond type and length."""
    if value is None:
        return None
    if len(value) < spec.min_len or (spec.pattern and not re.search(spec.pattern, value)):
        raise ValidationError(f"{spec.name} is not valid", code=spec.code)
    if spec.choices and value not in spec.choices:
        raise ValidationError(
            f"{spec.name} must be one of {', '.join(spec.choices)}", code=spec.code
        )
    return value


def invite_user(body: Json) -> InviteUser:
    _closed(body, INVITE_USER)
    username, email, name = (
        _checked(INVITE_USER[f], INVITE_USER[f].required_text(body))
        for f in ("username", "email", "name")
    )
    role = _checked(INVITE_USER["role"], INVITE_USER["role"].text(body))
    if "role" in body and body["role"] is None:
        raise ValidationError("role must be user or admin", code="invalid_role")
    assert username is not None and email is not None and name is not None
    return InviteUser(username, email, name.strip(), role or "user")


def sign_out(body: Json) -> SignOut:
    _closed(body, SIGN_OUT)
    return SignOut(
        refresh_token=SIGN_OUT["refresh_token"].text(body) or None,
        device_id=_checked(SIGN_OUT["device_id"], SIGN_OUT["device_id"].text(body)),
    )
