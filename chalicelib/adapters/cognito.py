"""The user pool: Cognito's admin calls behind the ``IdentityProvider`` port.

The client is created lazily (or passed in: tests give moto's, or a botocore
``Stubber``'d one for ``RevokeToken``, which moto lacks). Errors that say a request
was wrong become domain errors with stable codes; anything else propagates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.errors import Conflict, ValidationError
from chalicelib.observability import logger
from chalicelib.services.ports import Identity


def _quoted(value: str) -> str:
    """A value inside a ListUsers filter's double quotes."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _attributes(user: Mapping[str, Any]) -> dict[str, str]:
    listed = user.get("Attributes") or user.get("UserAttributes") or []
    return {str(a["Name"]): str(a.get("Value", "")) for a in listed}


def _identity(user: Mapping[str, Any]) -> Identity:
    attributes = _attributes(user)
    return Identity(
        user_id=attributes.get("sub", ""),
        username=str(user.get("Username", "")),
        email=attributes.get("email", ""),
        status=str(user.get("UserStatus", "")),
        enabled=bool(user.get("Enabled", True)),
    )


class CognitoIdentityProvider:
    """One user pool and its public app client (the one the web client signs in with)."""

    def __init__(
        self, user_pool_id: str, client_id: str, region: str, client: Any | None = None
    ) -> None:
        self._pool = user_pool_id
        self._client_id = client_id
        self._region = region
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("cognito-idp", region_name=self._region)
        return self._client

    def invite(self, username: str, email: str, name: str, metadata: Mapping[str, str]) -> Identity:
        try:
            created = self.client.admin_create_user(
                UserPoolId=self._pool,
                Username=username,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": name},
                ],
                DesiredDeliveryMediums=["EMAIL"],
                ClientMetadata=dict(metadata),
            )
        except ClientError as error:
            if _code(error) == "UsernameExistsException":
                raise Conflict("that username is taken", code="username_taken") from None
            if _code(error) == "AliasExistsException":  # the pool signs in by email too
                raise Conflict(
                    "another account already uses that email", code="email_taken"
                ) from None
            if _code(error) == "InvalidParameterException":
                raise ValidationError(
                    "the user pool refused that username or email", code="invalid_request"
                ) from None
            raise
        return _identity(created["User"])

    def find(self, username: str) -> Identity | None:
        try:
            return _identity(self.client.admin_get_user(UserPoolId=self._pool, Username=username))
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                return None
            raise

    def username_of(self, user_id: str) -> str | None:
        found = self.client.list_users(
            UserPoolId=self._pool, Filter=f'sub = "{_quoted(user_id)}"', Limit=1
        )["Users"]
        return str(found[0]["Username"]) if found else None

    def set_enabled(self, username: str, enabled: bool) -> None:
        call = self.client.admin_enable_user if enabled else self.client.admin_disable_user
        self._ignoring_unknown(call, username)

    def sign_out_everywhere(self, username: str) -> None:
        self._ignoring_unknown(self.client.admin_user_global_sign_out, username)

    def revoke(self, refresh_token: str) -> None:
        try:
            self.client.revoke_token(Token=refresh_token, ClientId=self._client_id)
        except ClientError as error:
            # A token that is malformed, already revoked or of another client cannot
            # be used any more either: signing out has nothing left to do.
            if _code(error) not in ("UnauthorizedException", "UnsupportedTokenTypeException"):
                raise

    def _ignoring_unknown(self, call: Any, username: str) -> None:
        try:
            call(UserPoolId=self._pool, Username=username)
        except ClientError as error:
            if _code(error) != "UserNotFoundException":
                raise
            logger.warning("no such account in the user pool", extra={"call": call.__name__})
