"""Names shared by the stack's parts: ids, variables, ARNs, and stable logical ids."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import aws_cdk as cdk
from constructs import Construct

SERVICE_NAME = "texting"
# Marks resources that exist for operating the system (alarm topic, stream
# failure queues) rather than for the application, so the drift test against
# the local stack can tell them apart.
OPERATIONS_METADATA = {"texting:purpose": "operations"}
# Every function is invoked through this alias, which CodeDeploy moves to each new
# version (infra/parts/releases.py); nothing invokes $LATEST.
ALIAS = "live"
# Cognito's CustomMessage trigger. The user pool names it by ARN, built from its fixed
# name: a reference would make the pool wait for the function, whose environment
# (through the web client's URL) already waits for the pool.
CUSTOM_MESSAGE_FUNCTION = "cognito_messages"


def fixed_function_name(prefix: str, function: str) -> str:
    """``texting-dev-cognito-messages``: every function's name, fixed so that what
    must name a function without waiting for it (the user pool's trigger, the
    function's own alarms and CodeDeploy's role, which the function's deployment
    preference waits for) can."""
    return f"{prefix}-{function.replace('_', '-')}"


def function_arn(scope: Construct, function_name: str, qualifier: str | None = None) -> str:
    """A function's ARN (or its alias's, with ``qualifier``) from the function's name alone."""
    return cdk.Stack.of(scope).format_arn(
        service="lambda",
        resource="function",
        resource_name=f"{function_name}:{qualifier}" if qualifier else function_name,
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )


def alias_arn(scope: Construct, function_name: str) -> str:
    """The ARN of a function's ``ALIAS``."""
    return function_arn(scope, function_name, ALIAS)


def sam_alias_ref(resource: Construct, function_logical_id: str) -> str:
    """``Ref`` to the alias SAM publishes for a function (``AutoPublishAlias``), for
    ``resource``. SAM resolves ``{Function}.Alias`` to the ``AWS::Lambda::Alias`` it
    creates, and the reference makes CloudFormation create that alias first."""
    cdk.Validations.of(resource).acknowledge(
        cdk.Acknowledgment(
            id="CloudFormation-Validate::F1020",
            reason=f"{function_logical_id}.Alias is resolved by the SAM transform",
        )
    )
    return cdk.Fn.ref(f"{function_logical_id}.Alias")


def camel(name: str) -> str:
    """``outbound-sms`` → ``OutboundSms``: a logical name as a CloudFormation id part."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name))


def env_name(logical: str, kind: str) -> str:
    """The variable a function reads a resource's name from: ``MESSAGING_TABLE``,
    ``EVENTS_TOPIC_ARN``, ``REALTIME_QUEUE_URL``, ``MEDIA_BUCKET`` (settings.py's names)."""
    return f"{re.sub(r'[^A-Za-z0-9]+', '_', logical).upper()}_{kind}"


def chalice_logical_id(function: str) -> str:
    """The SAM logical id Chalice gives a function (``chalice.package``'s naming)."""
    from chalice.utils import to_cfn_resource_name

    return "APIHandler" if function == "api_handler" else to_cfn_resource_name(function)


def push_endpoint_arn(application_arn: str) -> str:
    """The ARNs of the device endpoints an SNS platform application creates."""
    match = re.fullmatch(r"(arn:[^:]+:sns:[^:]*:[^:]*:)app/([^/]+)/([^/]+)", application_arn)
    if not match:
        raise ValueError(f"not an SNS platform application ARN: {application_arn!r}")
    return f"{match.group(1)}endpoint/{match.group(2)}/{match.group(3)}/*"


def lookup(known: Mapping[str, Any], logical: str, kind: str) -> Any:
    """``known[logical]``, with an error that names the culprit and what exists."""
    try:
        return known[logical]
    except KeyError:
        raise ValueError(
            f"no {kind} {logical!r} in chalicelib.resources (known: {', '.join(sorted(known))})"
        ) from None


def mark_operational(construct: Construct) -> None:
    default = construct.node.default_child
    assert isinstance(default, cdk.CfnResource)
    for key, value in OPERATIONS_METADATA.items():
        default.add_metadata(key, value)


def unique_id(components: Sequence[str]) -> str:
    """CDK's own logical-id scheme (``makeUniqueId`` in aws-cdk-lib core), in Python.

    The stack computes ids with it from construct paths that leave out its
    grouping parts (``TRANSPARENT``), so splitting the stack into parts does
    not rename — and so replace — a single deployed resource.
    """
    components = [c for c in components if c != "Default"]
    if not components:
        raise ValueError("no components to make a logical id from")
    if len(components) == 1:
        candidate = re.sub(r"[^A-Za-z0-9]", "", components[0])
        if len(candidate) <= 255:
            return candidate
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False).hexdigest()
    human: list[str] = []
    for component in components:
        if not human or not human[-1].endswith(component):
            human.append(component)
    text = "".join(re.sub(r"[^A-Za-z0-9]", "", c) for c in human if c != "Resource")
    return text[:240] + digest[:8].upper()
