"""The web client's REST types, generated from the API's OpenAPI document.

``python -m local.api_types`` writes ``web/src/lib/api_types.gen.ts`` from the
document ``GET /openapi.json`` serves: by default the one this checkout builds
(``chalicelib.api.openapi.document`` over the app's route table, exactly what the
route answers); ``--url http://127.0.0.1:…/openapi.json`` reads a running stack's
instead. ``--check`` writes nothing and exits 1 when the file is out of date (the
test ``tests/build/test_api_types.py`` does the same).

What is emitted:

- one TypeScript declaration per ``components.schemas`` entry (``Message``,
  ``Conversation``, …), with the document's required keys required and every other
  key optional;
- ``Operations``: per ``operationId``, its method and path, its path parameters,
  query, request body and the body of its success answers.

Bounds (lengths, ranges, patterns) are left out: a type cannot state them, and they
are the one part of the document that changes with a deployment's settings, so the
file is the same whichever settings built the document.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

Schema = Mapping[str, Any]

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "web" / "src" / "lib" / "api_types.gen.ts"
IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
METHODS = ("get", "put", "post", "delete", "patch")
HEADER = """\
// Generated from the REST API's OpenAPI document (GET /openapi.json) by
// `python -m local.api_types` (`make web-types`, `npm run gen:types`). Do not edit:
// regenerate. web/src/lib/types.ts names what the client uses.
"""
PRIMITIVES = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}


def _key(name: str) -> str:
    return name if IDENTIFIER.match(name) else json.dumps(name)


def _comment(text: str, indent: str) -> str:
    lines = " ".join(text.split()).replace("*/", "*\\/")
    return f"{indent}/** {lines} */\n"


def _union(parts: list[str]) -> str:
    unique = list(dict.fromkeys(parts))
    return unique[0] if len(unique) == 1 else " | ".join(unique)


def ts_type(schema: Schema | bool, indent: str = "") -> str:
    """A TypeScript type for a JSON Schema (the subset the document uses)."""
    if schema is True or schema == {}:
        return "unknown"
    if schema is False:
        return "never"
    assert isinstance(schema, Mapping)
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for combined in ("anyOf", "oneOf"):
        if combined in schema:
            return _union([ts_type(s, indent) for s in schema[combined]])
    if "enum" in schema:
        return _union([json.dumps(v) for v in schema["enum"]])
    types = schema.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    if not names:
        return "unknown"
    return _union([_one_type(name, schema, indent) for name in names])


def _one_type(name: str, schema: Schema, indent: str) -> str:
    if name in PRIMITIVES:
        return PRIMITIVES[name]
    if name == "array":
        items = schema.get("items")
        item = ts_type(items, indent) if items is not None else "unknown"
        return f"({item})[]" if " " in item else f"{item}[]"
    if name == "object":
        return _object(schema, indent)
    raise ValueError(f"no TypeScript type for JSON type {name!r}")


def _object(schema: Schema, indent: str) -> str:
    properties: Mapping[str, Schema] = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    if not properties:
        value = ts_type(extra, indent) if isinstance(extra, Mapping) else "unknown"
        return f"Record<string, {value}>"
    required = set(schema.get("required") or ())
    inner = indent + "  "
    lines = ["{\n"]
    for name, sub in properties.items():
        if isinstance(sub, Mapping) and sub.get("description"):
            lines.append(_comment(str(sub["description"]), inner))
        optional = "" if name in required else "?"
        lines.append(f"{inner}{_key(name)}{optional}: {ts_type(sub, inner)};\n")
    lines.append(f"{indent}}}")
    return "".join(lines)


def _success_body(operation: Schema, indent: str) -> str:
    bodies = []
    for status, answer in sorted(operation.get("responses", {}).items()):
        if not status.startswith("2"):
            continue
        content = answer.get("content") or {}
        schema = (content.get("application/json") or {}).get("schema")
        bodies.append(ts_type(schema, indent) if schema is not None else "void")
    return _union(bodies) if bodies else "void"


def _parameters(operation: Schema, where: str, indent: str) -> str:
    found = [p for p in operation.get("parameters", []) if p["in"] == where]
    if not found:
        return "Record<string, never>"
    properties = {p["name"]: p["schema"] for p in found}
    required = [p["name"] for p in found if p.get("required")]
    return _object({"properties": properties, "required": required}, indent)


def _operation(path: str, method: str, operation: Schema) -> str:
    indent = "    "
    body = operation.get("requestBody")
    if body is None:
        request = "never"
    else:
        content = body.get("content") or {}
        schema = (content.get("application/json") or {}).get("schema")
        request = ts_type(schema, indent) if schema is not None else "Record<string, string>"
    rows = [
        f"    method: {json.dumps(method.upper())};\n",
        f"    path: {json.dumps(path)};\n",
        f"    params: {_parameters(operation, 'path', indent)};\n",
        f"    query: {_parameters(operation, 'query', indent)};\n",
        f"    body: {request};\n",
        f"    response: {_success_body(operation, indent)};\n",
    ]
    summary = operation.get("summary")
    head = _comment(f"{method.upper()} {path}: {summary}", "  ") if summary else ""
    return f"{head}  {_key(operation['operationId'])}: {{\n{''.join(rows)}  }};\n"


def render(document: Schema) -> str:
    """The whole generated module for an OpenAPI 3.1 document."""
    out = [HEADER]
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        out.append("\n")
        if schema.get("description"):
            out.append(_comment(str(schema["description"]), ""))
        declared = ts_type(schema)
        if declared.startswith("{"):
            out.append(f"export interface {name} {declared}\n")
        else:
            out.append(f"export type {name} = {declared};\n")
    out.append("\n/** Every REST operation by its operationId. */\nexport interface Operations {\n")
    operations = [
        (path, method, item[method])
        for path, item in sorted(document.get("paths", {}).items())
        for method in METHODS
        if method in item
    ]
    for path, method, operation in sorted(operations, key=lambda o: o[2]["operationId"]):
        out.append(_operation(path, method, operation))
    out.append("}\n")
    return "".join(out)


def served_document(url: str | None = None) -> dict[str, Any]:
    """The document ``GET /openapi.json`` answers: read from ``url``, or built here from
    the app's route table as the route builds it."""
    if url:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return dict(json.load(answer))
    from app import app
    from chalicelib.api import openapi

    return openapi.document(app.routes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="read a running stack's /openapi.json instead")
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    args = parser.parse_args(argv)
    text = render(served_document(args.url))
    current = TARGET.read_text() if TARGET.exists() else ""
    if args.check:
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run make web-types", file=sys.stderr)
            return 1
        return 0
    if current != text:
        TARGET.write_text(text)
    print(TARGET.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
