"""Cognito IdToken verification: RS256 against the user pool's JWKS.

Checks signature, issuer, audience (the app client), expiry and
``token_use == "id"``. The JWKS is fetched once and cached; an unknown ``kid``
triggers one refetch (Cognito rotates keys), rate-limited so a stream of bad
tokens cannot turn into a stream of JWKS fetches.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import jwt

from chalicelib.domain.errors import Unauthorized

JwksFetcher = Callable[[str], dict[str, Any]]
FAILED_LOAD_BACKOFF = 2.0  # seconds after a failed key load before the next try


class KeysUnavailable(RuntimeError):
    """The pool's signing keys could not be loaded (network, JSON): not the token's
    fault, so not a denial. The authorizer fails instead; API Gateway answers 500 and,
    unlike a denial, does not cache it for the token's TTL."""


def fetch_jwks(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return dict(json.loads(response.read()))


class CognitoJwtVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        jwks_url: str,
        fetcher: JwksFetcher = fetch_jwks,
        refetch_after: float = 60.0,
        leeway: float = 30.0,
    ) -> None:
        self._issuer = issuer
        self._client_id = client_id
        self._jwks_url = jwks_url
        self._fetcher = fetcher
        self._refetch_after = refetch_after
        self._leeway = leeway
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._failed_at = -FAILED_LOAD_BACKOFF
        self._lock = threading.Lock()

    def _load(self) -> None:
        jwks = self._fetcher(self._jwks_url)
        keys = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") == "RSA" and "kid" in jwk:
                keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="RS256").key
        self._keys = keys
        self._fetched_at = time.monotonic()

    def _key(self, kid: str) -> Any:
        with self._lock:
            if kid not in self._keys and (
                not self._keys or time.monotonic() - self._fetched_at > self._refetch_after
            ):
                if time.monotonic() - self._failed_at < FAILED_LOAD_BACKOFF:
                    # the last load failed a moment ago: fail fast, do not queue every
                    # request behind another slow fetch
                    raise KeysUnavailable("the sign-in keys could not be loaded")
                try:
                    self._load()
                except Exception as exc:  # network or JSON trouble: retryable, no denial
                    self._failed_at = time.monotonic()
                    raise KeysUnavailable("the sign-in keys could not be loaded") from exc
            key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("the token was signed by an unknown key", code="invalid_token")
        return key

    def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("the token is not a JWT", code="invalid_token") from None
        if header.get("alg") != "RS256":
            raise Unauthorized("the token must be signed with RS256", code="invalid_token")
        key = self._key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self._client_id,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired", code="token_expired") from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token is not valid: {exc}", code="invalid_token") from None
        if claims.get("token_use") != "id":
            raise Unauthorized("an IdToken is required", code="invalid_token")
        return dict(claims)
