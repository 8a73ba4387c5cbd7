"""The web client's REST types (web/src/lib/api_types.gen.ts) are generated from the
OpenAPI document the API serves, and the committed file is the one it generates now:
a route or a field added on the server fails here until ``make web-types`` is run."""

from __future__ import annotations

from typing import Any

import pytest

from app import app
from chalicelib.api import openapi
from chalicelib.settings import Settings
from local import api_types


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return api_types.served_document()


def test_the_committed_client_types_are_what_the_served_document_generates(
    document: dict[str, Any],
) -> None:
    committed = api_types.TARGET.read_text()
    assert committed == api_types.render(document), (
        "web/src/lib/api_types.gen.ts is out of date: run `make web-types` and commit it"
    )


def test_check_mode_fails_on_a_stale_file_and_writes_nothing(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "api_types.gen.ts"
    stale.write_text("// an older generation\n")
    monkeypatch.setattr(api_types, "TARGET", stale)
    monkeypatch.setattr(api_types, "ROOT", tmp_path)
    assert api_types.main(["--check"]) == 1
    assert stale.read_text() == "// an older generation\n"
    assert api_types.main([]) == 0
    assert api_types.main(["--check"]) == 0


def test_the_types_are_the_same_whatever_limits_the_deployment_sets(
    document: dict[str, Any],
) -> None:
    """The route serves the document with the deployment's bounds; a type states none,
    so the generated file does not depend on which stage's settings built it."""
    limits = openapi.limits_of(Settings.from_env({}))
    lowered = {name: max(1, value // 2) for name, value in limits.items()}
    served = openapi.document(app.routes, limits=lowered)
    assert served != document  # the bounds did change the document
    assert api_types.render(served) == api_types.render(document)


def test_every_schema_and_operation_is_declared(document: dict[str, Any]) -> None:
    text = api_types.render(document)
    for name in document["components"]["schemas"]:
        assert f"export interface {name} " in text or f"export type {name} = " in text, name
    for item in document["paths"].values():
        for op in item.values():
            assert f"  {op['operationId']}: {{\n" in text, op["operationId"]


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": ["null", "string"]}, "null | string"),
        ({"type": "integer"}, "number"),
        ({"type": "string", "enum": ["im", "sms"]}, '"im" | "sms"'),
        ({"type": ["string", "null"], "enum": ["a", None]}, '"a" | null'),
        ({"$ref": "#/components/schemas/Message"}, "Message"),
        ({"type": "array", "items": {"type": "string"}}, "string[]"),
        ({"type": "array"}, "unknown[]"),
        ({"type": "array", "items": {"type": ["null", "string"]}}, "(null | string)[]"),
        ({"anyOf": [{"$ref": "#/x/A"}, {"$ref": "#/x/B"}]}, "A | B"),
        ({"type": "object"}, "Record<string, unknown>"),
        (
            {"type": "object", "additionalProperties": {"type": "integer"}},
            "Record<string, number>",
        ),
        (
            {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "read-at": {"type": "string", "description": "when */ it was read"},
                },
                "required": ["id"],
            },
            '{\n  id: string;\n  /** when *\\/ it was read */\n  "read-at"?: string;\n}',
        ),
        ({}, "unknown"),
    ],
)
def test_json_schema_to_typescript_known_answers(schema: dict[str, Any], expected: str) -> None:
    assert api_types.ts_type(schema) == expected


def test_an_operation_states_its_parameters_body_and_success_answer() -> None:
    document = {
        "paths": {
            "/things/{thing_id}": {
                "post": {
                    "operationId": "touch_thing",
                    "summary": "Touch a thing.",
                    "parameters": [
                        {"name": "thing_id", "in": "path", "required": True, "schema": {}},
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer"},
                        },
                    ],
                    "requestBody": {
                        "content": {"application/json": {"schema": {"type": "object"}}}
                    },
                    "responses": {
                        "201": {"content": {"application/json": {"schema": {"type": "string"}}}},
                        "204": {"description": "No content"},
                        "default": {
                            "content": {"application/json": {"schema": {"type": "object"}}}
                        },
                    },
                }
            }
        }
    }
    text = api_types.render(document)
    assert "  /** POST /things/{thing_id}: Touch a thing. */\n  touch_thing: {\n" in text
    assert '    method: "POST";\n    path: "/things/{thing_id}";\n' in text
    assert "    params: {\n      thing_id: unknown;\n    };\n" in text
    assert "    query: {\n      limit?: number;\n    };\n" in text
    assert "    body: Record<string, unknown>;\n" in text
    assert "    response: string | void;\n" in text  # the error answer is not a success
