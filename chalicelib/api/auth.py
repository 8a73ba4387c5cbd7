"""The Cognito authorizer for the REST API, and how a view learns who is calling."""

from __future__ import annotations

from typing import Any

from chalice import AuthResponse, Blueprint

from chalicelib.bootstrap import services
from chalicelib.domain.errors import DomainError, Unauthorized
from chalicelib.observability import logger
from chalicelib.services.accounts import AUTHORIZER_TTL_SECONDS
from chalicelib.services.common import Caller

auth_bp = Blueprint(__name__)


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


@auth_bp.authorizer(ttl_seconds=AUTHORIZER_TTL_SECONDS)
def cognito(auth_request: Any) -> AuthResponse:
    """Verify the IdToken, then resolve its user: a token for a deleted or disabled
    profile is refused. API Gateway keeps an answer for the TTL, so an offboarded
    person's unexpired token stops working within ``AUTHORIZER_TTL_SECONDS``."""
    token = bearer_token(auth_request.token)
    try:
        if token is None:
            raise Unauthorized("a Bearer IdToken is required", code="missing_token")
        claims = services().adapters.verifier.verify(token)
        user = services().directory.active_user(str(claims["sub"]))
    except DomainError as error:
        logger.info("denied", extra={"reason": error.code})
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(
        routes=["*"],
        principal_id=user.user_id,
        context={"user_id": user.user_id, "company_id": user.company_id, "role": user.role},
    )


def caller_from(request: Any) -> Caller:
    context = (request.context or {}).get("authorizer") or {}
    user_id = context.get("user_id") or context.get("principalId")
    company_id = context.get("company_id")
    if not user_id or not company_id:
        raise Unauthorized("not signed in", code="unauthorized")
    return Caller(
        user_id=str(user_id), company_id=str(company_id), role=str(context.get("role", "user"))
    )
