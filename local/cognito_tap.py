"""Cognito's email, on the local moto server: what real Cognito sends, filed in a mailbox.

moto's Cognito sends no mail, and some of its answers differ from Cognito's in a
way a person signing in would notice:

- ``AdminCreateUser`` without ``TemporaryPassword`` stores no password at all
  (the user could never sign in). Cognito generates one that satisfies the
  pool's password policy and emails it with the invitation. The tap does the
  same: it generates one (``temporary_password``), hands it to moto, and on
  success files the invitation (unless ``MessageAction`` is ``SUPPRESS``).
- moto has no ``RevokeToken``: the tap revokes the refresh token in moto's pool, as
  Cognito would, so a device's sign-out ends its session locally too.
- ``ForgotPassword`` returns the reset code in a response header
  (``x-moto-forgot-password-confirmation-code``, as ``moto-confirmation-code:NNNNNN``)
  where Cognito emails it. The tap removes that header from the answer and files
  the reset mail with the six digits. On ``ConfirmForgotPassword`` a six-digit
  code is handed to moto in its own form again, so a wrong code is refused (moto
  takes any code that lacks its prefix).

The letters go to a ``local.mailbox.Mailbox``, served raw at ``GET
/_local/mail/{address}`` (the simulator composes and serves them to people).

Also: ``MOTO_ENV``, the environment the moto server needs for TOTP codes to be
checked at all (moto accepts any code otherwise).
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from local.mailbox import INVITATION, MOTO_PATH, PASSWORD_RESET, Letter, Mailbox

log = logging.getLogger("local.cognito_tap")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CODE_HEADER = "x-moto-forgot-password-confirmation-code"
MOTO_CODE_PREFIX = "moto-confirmation-code:"
MOTO_ENV = {"MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true"}

# Cognito's default policy (moto's too), for a pool the tap cannot find.
DEFAULT_POLICY: dict[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}
TEMPORARY_LENGTH = 16  # at least; more when the policy asks for more
# Symbols Cognito accepts that read unambiguously in an email and need no escaping.
SYMBOLS = "!#%*+-=?@^_"
UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: read aloud or retyped without doubt
LOWER = "abcdefghijkmnopqrstuvwxyz"  # no l
DIGITS = "23456789"  # no 0 or 1


def temporary_password(policy: dict[str, Any]) -> str:
    """A random password that satisfies ``policy`` (a pool's ``PasswordPolicy``):
    every class it requires at least once, letters and digits throughout."""
    length = max(TEMPORARY_LENGTH, int(policy.get("MinimumLength") or 0))
    required = [
        alphabet
        for alphabet, flag in (
            (UPPER, "RequireUppercase"),
            (LOWER, "RequireLowercase"),
            (DIGITS, "RequireNumbers"),
            (SYMBOLS, "RequireSymbols"),
        )
        if policy.get(flag, True)
    ]
    chars = [secrets.choice(alphabet) for alphabet in required]
    everything = UPPER + LOWER + DIGITS + (SYMBOLS if policy.get("RequireSymbols", True) else "")
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def _backends() -> Iterable[Any]:
    from moto.cognitoidp.models import cognitoidp_backends

    for _, _, backend in cognitoidp_backends.iter_backends():
        yield backend


def pool_policy(pool_id: str) -> dict[str, Any]:
    for backend in _backends():
        pool = backend.user_pools.get(pool_id)
        if pool is not None:
            policy = pool.extended_config.get("Policies", {}).get("PasswordPolicy")
            return dict(policy or DEFAULT_POLICY)
    return dict(DEFAULT_POLICY)


def user_by_client(client_id: str, username: str) -> tuple[str, dict[str, str]] | None:
    """(username, attributes) of the user ``username`` names in the pool of ``client_id``."""
    for backend in _backends():
        for pool in backend.user_pools.values():
            if client_id in pool.clients:
                user = pool._get_user(username)
                if user is None:
                    return None
                return str(user.username), dict(user.attribute_lookup)
    return None


def _attributes(raw: Any) -> dict[str, str]:
    return {str(a.get("Name")): str(a.get("Value", "")) for a in raw or [] if isinstance(a, dict)}


def _strings(raw: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


class CognitoTap:
    """WSGI middleware in front of moto: Cognito's account email, into ``mailbox``.

    Sits inside ``SerialisedDynamoDB`` (which has read the body in full); every
    request it does not tap passes through untouched."""

    def __init__(self, app: WsgiApp, mailbox: Mailbox | None = None) -> None:
        self._app = app
        self.mailbox = mailbox if mailbox is not None else Mailbox()
        self._taps: dict[str, Callable[..., Iterable[bytes]]] = {
            "AdminCreateUser": self._admin_create_user,
            "ForgotPassword": self._forgot_password,
            "ConfirmForgotPassword": self._confirm_forgot_password,
            "RevokeToken": self._revoke_token,
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(MOTO_PATH) and environ.get("REQUEST_METHOD") == "GET":
            return self._serve_mail(path[len(MOTO_PATH) :], start_response)
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        tap = (
            self._taps.get(target[len(TARGET_PREFIX) :])
            if target.startswith(TARGET_PREFIX)
            else None
        )
        if tap is None:
            return self._app(environ, start_response)
        try:
            request = json.loads(_read_body(environ) or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            return self._app(environ, start_response)  # moto answers the malformed request
        return tap(environ, start_response, request)

    # -- the calls that send mail ----------------------------------------------------------

    def _admin_create_user(
        self, environ: dict[str, Any], start_response: Callable[..., Any], request: dict[str, Any]
    ) -> Iterable[bytes]:
        if not request.get("TemporaryPassword"):
            request["TemporaryPassword"] = temporary_password(
                pool_policy(str(request.get("UserPoolId", "")))
            )
            _replace_body(environ, request)
        status, headers, body = _call(self._app, environ)
        start_response(status, headers)
        if status.startswith("200") and request.get("MessageAction") != "SUPPRESS":
            self._file_invitation(request, body)
        return body

    def _file_invitation(self, request: dict[str, Any], body: list[bytes]) -> None:
        try:
            user = json.loads(b"".join(body))["User"]
        except (ValueError, KeyError, TypeError):
            return
        attributes = _attributes(user.get("Attributes"))
        if not attributes.get("email"):
            return  # Cognito would text the invitation, or send none
        self.mailbox.deliver(
            Letter(
                to=attributes["email"],
                trigger=INVITATION,
                code=str(request["TemporaryPassword"]),
                username=str(user.get("Username") or request.get("Username", "")),
                user_attributes=attributes,
                client_metadata=_strings(request.get("ClientMetadata")),
            )
        )
        log.info("filed an invitation")

    def _forgot_password(
        self, environ: dict[str, Any], start_response: Callable[..., Any], request: dict[str, Any]
    ) -> Iterable[bytes]:
        status, headers, body = _call(self._app, environ)
        code = next((v for k, v in headers if k.lower() == CODE_HEADER), "")
        start_response(status, [(k, v) for k, v in headers if k.lower() != CODE_HEADER])
        if status.startswith("200") and code.startswith(MOTO_CODE_PREFIX):
            found = user_by_client(
                str(request.get("ClientId", "")), str(request.get("Username", ""))
            )
            if found is not None and found[1].get("email"):
                username, attributes = found
                self.mailbox.deliver(
                    Letter(
                        to=attributes["email"],
                        trigger=PASSWORD_RESET,
                        code=code[len(MOTO_CODE_PREFIX) :],
                        username=username,
                        user_attributes=attributes,
                        client_metadata=_strings(request.get("ClientMetadata")),
                    )
                )
                log.info("filed a password reset code")
        return body

    def _confirm_forgot_password(
        self, environ: dict[str, Any], start_response: Callable[..., Any], request: dict[str, Any]
    ) -> Iterable[bytes]:
        code = str(request.get("ConfirmationCode", "")).strip()
        # moto checks only codes in its own form; every code a person types is checked here.
        request["ConfirmationCode"] = MOTO_CODE_PREFIX + code
        _replace_body(environ, request)
        return self._app(environ, start_response)

    def _revoke_token(
        self, environ: dict[str, Any], start_response: Callable[..., Any], request: dict[str, Any]
    ) -> Iterable[bytes]:
        """moto has no RevokeToken: revoke a refresh token as Cognito does (the next
        REFRESH_TOKEN_AUTH with it is refused), so signing out works locally."""
        token, client_id = str(request.get("Token", "")), str(request.get("ClientId", ""))
        status, answer = "200 OK", {}
        for backend in _backends():
            for pool in backend.user_pools.values():
                issued = pool.refresh_tokens.get(token)
                if issued is None:
                    continue
                if issued[0] != client_id:
                    status = "400 Bad Request"
                    answer = {"__type": "UnauthorizedException", "message": "not this client's"}
                else:
                    pool.refresh_tokens[token] = None
        body = json.dumps(answer).encode()
        start_response(
            status,
            [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _serve_mail(self, address: str, start_response: Callable[..., Any]) -> list[bytes]:
        letters = self.mailbox.letters(urllib.parse.unquote(address))
        body = json.dumps({"items": [letter.to_dict() for letter in letters]}).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    data: bytes = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(data)
    return data


def _replace_body(environ: dict[str, Any], request: dict[str, Any]) -> None:
    data = json.dumps(request).encode()
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))


def _call(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    """Run ``app`` to the end: its status, headers and whole body."""
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        answer["status"], answer["headers"] = status, list(headers)
        return lambda _data: None  # moto never writes through it

    body = list(app(environ, start_response))
    return answer["status"], answer["headers"], body
