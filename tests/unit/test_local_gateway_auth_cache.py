"""The local gateway caches a token authorizer's answer per token for its TTL, as API
Gateway does (``chalice local`` calls the authorizer on every request)."""

from __future__ import annotations

import json
from typing import Any

from chalice import AuthResponse, Chalice
from chalice.config import Config
from chalice.local import ForbiddenError, LocalGateway

from local.gateway import CachingAuthorizer, cache_authorizers


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def build(ttl: int = 300) -> tuple[Chalice, list[str], Clock]:
    app = Chalice(app_name="auth-cache")
    calls: list[str] = []

    @app.authorizer(ttl_seconds=ttl)
    def token(auth_request: Any) -> AuthResponse:
        calls.append(auth_request.token)
        if auth_request.token == "Bearer bad":
            return AuthResponse(routes=[], principal_id="anonymous")
        user = auth_request.token.split()[-1]
        return AuthResponse(routes=["*"], principal_id=user, context={"user_id": user})

    @app.route("/who", authorizer=token)
    def who() -> dict[str, Any]:
        return {"user": app.current_request.context["authorizer"]["user_id"]}

    @app.route("/other", authorizer=token)
    def other() -> dict[str, Any]:
        return {"context": app.current_request.context["authorizer"]}

    clock = Clock()
    assert cache_authorizers(app) == 2
    for methods in app.routes.values():
        for entry in methods.values():
            assert isinstance(entry.authorizer, CachingAuthorizer)
            entry.authorizer._clock = clock
    return app, calls, clock


def call(gateway: LocalGateway, path: str, token: str) -> dict[str, Any]:
    response = gateway.handle_request("GET", path, {"authorization": token}, None)
    assert response["statusCode"] == 200, response
    return dict(json.loads(response["body"]))


def test_one_authorizer_call_per_token_within_the_ttl_across_routes() -> None:
    app, calls, _ = build()
    gateway = LocalGateway(app, Config())
    assert call(gateway, "/who", "Bearer ann") == {"user": "ann"}
    assert call(gateway, "/who", "Bearer ann") == {"user": "ann"}
    assert call(gateway, "/other", "Bearer ann")["context"]["user_id"] == "ann"
    assert calls == ["Bearer ann"]
    assert call(gateway, "/who", "Bearer bo") == {"user": "bo"}
    assert calls == ["Bearer ann", "Bearer bo"]


def test_the_answer_is_asked_again_after_the_ttl() -> None:
    app, calls, clock = build(ttl=300)
    gateway = LocalGateway(app, Config())
    call(gateway, "/who", "Bearer ann")
    clock.now += 299
    call(gateway, "/who", "Bearer ann")
    assert len(calls) == 1
    clock.now += 2
    call(gateway, "/who", "Bearer ann")
    assert len(calls) == 2


def test_a_denial_is_cached_and_still_refused() -> None:
    app, calls, _ = build()
    gateway = LocalGateway(app, Config())
    for _ in range(2):
        try:
            gateway.handle_request("GET", "/who", {"authorization": "Bearer bad"}, None)
        except ForbiddenError:
            pass
        else:  # pragma: no cover - the assertion below explains
            raise AssertionError("a denied token was let through")
    assert calls == ["Bearer bad"]


def test_a_ttl_of_zero_caches_nothing() -> None:
    app, calls, _ = build(ttl=0)
    gateway = LocalGateway(app, Config())
    call(gateway, "/who", "Bearer ann")
    call(gateway, "/who", "Bearer ann")
    assert calls == ["Bearer ann", "Bearer ann"]


def test_each_request_gets_its_own_copy_of_the_cached_context() -> None:
    app, _, _ = build()
    gateway = LocalGateway(app, Config())
    first = call(gateway, "/other", "Bearer ann")["context"]
    second = call(gateway, "/other", "Bearer ann")["context"]
    assert first == second == {"user_id": "ann", "principalId": "ann"}
