"""Reading a synthesized CloudFormation template the way the tests need to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from infra.naming import OPERATIONS_METADATA


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id → resource, for every resource of one type."""
    return {
        logical_id: body
        for logical_id, body in template["Resources"].items()
        if body["Type"] == resource_type
    }


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return dict(template["Resources"][logical_id].get("Properties", {}))


def is_operational(body: dict[str, Any]) -> bool:
    """Alarm topic, stream failure queues: infrastructure for operators, not the app."""
    metadata = body.get("Metadata", {})
    return all(metadata.get(key) == value for key, value in OPERATIONS_METADATA.items())


def target(reference: Any) -> str:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points at."""
    if isinstance(reference, dict):
        if "Ref" in reference:
            return str(reference["Ref"])
        if "Fn::GetAtt" in reference:
            return str(reference["Fn::GetAtt"][0])
    raise AssertionError(f"not a Ref or GetAtt: {reference!r}")


def refs(value: Any) -> set[str]:
    """Every logical id referenced anywhere inside a value (pseudo parameters aside)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if (
            "Ref" in value
            and isinstance(value["Ref"], str)
            and not value["Ref"].startswith("AWS::")
        ):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(str(value["Fn::GetAtt"][0]))
        for inner in value.values():
            found |= refs(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= refs(inner)
    return found


def by_property(
    template: dict[str, Any], resource_type: str, key: str, value: Any
) -> tuple[str, dict[str, Any]]:
    """The one resource of a type whose property ``key`` equals ``value``."""
    matches = [
        (logical_id, body)
        for logical_id, body in of_type(template, resource_type).items()
        if body.get("Properties", {}).get(key) == value
    ]
    assert len(matches) == 1, f"{resource_type} with {key}={value!r}: {[m[0] for m in matches]}"
    return matches[0]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(owner logical id, policy document) for every IAM and resource policy."""
    for logical_id, body in template["Resources"].items():
        properties = body.get("Properties", {})
        kind = body["Type"]
        if kind == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                yield logical_id, policy["PolicyDocument"]
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") or kind in (
            "AWS::SQS::QueuePolicy",
            "AWS::SNS::TopicPolicy",
            "AWS::S3::BucketPolicy",
        ):
            yield logical_id, properties["PolicyDocument"]


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(s) for s in as_list(document["Statement"])]


def function_role(template: dict[str, Any], function_id: str) -> str:
    return target(props(template, function_id)["Role"])


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    found = []
    for policy in props(template, role_id).get("Policies", []):
        found += statements(policy["PolicyDocument"])
    return found


def alias_target(template: dict[str, Any], reference: Any) -> str:
    """The function a reference reaches through its alias; fails on a direct reference
    (which would invoke ``$LATEST``, around the releases' traffic shifting)."""
    alias_id = target(reference)
    alias = template["Resources"][alias_id]
    assert alias["Type"] == "AWS::Lambda::Alias", f"{reference!r} is not an alias"
    return target(alias["Properties"]["FunctionName"])


def sub_references(value: Any) -> set[str]:
    """Logical ids named inside ``Fn::Sub`` strings (``${Id}``, ``${Id.Attribute}``)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {
                    name.split(".")[0]
                    for name in re.findall(r"\$\{([^}!]+)\}", text)
                    if not name.startswith("AWS::")
                }
            found |= sub_references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= sub_references(inner)
    return found
