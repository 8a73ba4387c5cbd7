"""The OpenAPI document: exactly the app's routes, valid OpenAPI 3.1, generated from the
field tables the parsers enforce, and served unauthenticated at ``GET /openapi.json``."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from openapi_spec_validator import validate

from app import app
from chalicelib.api import admin_bodies, bodies, openapi, openapi_schemas, requests
from chalicelib.domain.errors import ValidationError

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.document(app.routes)


def _views() -> dict[str, Any]:
    return {entry.view_name: entry for methods in app.routes.values() for entry in methods.values()}


def test_the_document_lists_exactly_the_apps_routes_and_methods(
    document: dict[str, Any],
) -> None:
    documented = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }
    routed = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert documented - routed == set(), "invented"
    assert routed - documented == set(), "missing"
    assert ("/openapi.json", "GET") in routed


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema


def test_every_path_parameter_is_declared(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, op in item.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(openapi.PATH_PARAMETER.findall(path)), (method, path)


def test_a_view_has_a_request_body_exactly_when_it_reads_one() -> None:
    """The wiring the route table cannot tell (BODIES, QUERIES, RESPONSES) names real
    views, and a view reads a JSON body (``_body()``) or paging exactly when it says so."""
    views = _views()
    assert set(openapi.BODIES) | set(openapi.QUERIES) | set(openapi.RESPONSES) <= set(views)
    for name, entry in views.items():
        source = inspect.getsource(entry.view_function)
        assert ("_body(" in source) == (name in openapi.BODIES), name
        if entry.uri_pattern.startswith("/webhooks/"):
            continue  # form bodies, signed over their query string: documented apart
        reads_query = any(r in source for r in ("_paging()", "_params()", "query_params"))
        assert reads_query == (name in openapi.QUERIES), name


def test_only_rest_routes_require_the_cognito_token(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for op in item.values():
            public = path == "/openapi.json" or path.startswith("/webhooks/")
            assert op["security"] == ([] if public else [{"cognito": []}]), path


def test_request_schemas_are_the_tables_the_parsers_enforce(document: dict[str, Any]) -> None:
    schema = document["paths"]["/conversations/{conversation_id}/messages"]["post"]
    body = schema["requestBody"]["content"]["application/json"]["schema"]
    client_id = body["properties"]["client_id"]
    assert body["required"] == ["client_id"]
    assert client_id["maxLength"] == bodies.SEND_MESSAGE["client_id"].max_len
    # the bound the schema states is the one the parser applies
    at_limit = "k" * client_id["maxLength"]
    sent = requests.send_message({"client_id": at_limit, "text": "hi"}, "d1")
    assert sent.client_id == at_limit
    with pytest.raises(ValidationError) as refused:
        requests.send_message({"client_id": at_limit + "k", "text": "hi"}, "d1")
    assert refused.value.code == client_id["x-error-code"] == "invalid_client_id"

    patch = document["paths"]["/admin/company"]["patch"]
    company = patch["requestBody"]["content"]["application/json"]["schema"]
    assert company["additionalProperties"] is False
    assert set(company["properties"]) == {"sms_enabled", "im_enabled", "help_text"}
    with pytest.raises(ValidationError):
        requests.changes({"name": "x"}, admin_bodies.COMPANY_CHANGES)


def test_response_schemas_follow_the_domain_objects(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    message = schemas["Message"]
    sample = openapi_schemas.message_samples()[0]
    assert set(message["required"]) == set(sample)  # every key an IM message always has
    assert {"direction", "segments", "encoding"} <= set(message["properties"])  # SMS keys
    assert message["properties"]["deleted_at"]["type"] == ["null", "string"]
    conversation = schemas["Conversation"]
    assert conversation["properties"]["last_message"]["type"] == ["null", "object"]
    listed = document["paths"]["/conversations"]["get"]["responses"]["200"]
    wrapper = listed["content"]["application/json"]["schema"]
    assert wrapper["required"] == ["items", "next_cursor"]
    error = document["paths"]["/me"]["get"]["responses"]["default"]
    assert error["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_app_serves_the_document_without_a_token(document: dict[str, Any]) -> None:
    from chalice.test import Client

    from chalicelib.bootstrap import services

    with Client(app) as client:
        response = client.http.get("/openapi.json")
    assert response.status_code == 200
    limits = openapi.limits_of(services().settings)
    assert response.json_body == openapi.document(app.routes, limits=limits)
    text = response.json_body["paths"]["/conversations/{conversation_id}/messages"]["post"]
    schema = text["requestBody"]["content"]["application/json"]["schema"]
    # the deployment's own limit, not the table's ceiling
    assert schema["properties"]["text"]["maxLength"] == services().settings.max_text_length
