"""Safe releases: every function runs behind an alias that CodeDeploy shifts to a new version.

SAM publishes a version of each function on every change and points the alias
``live`` (``infra.naming.ALIAS``) at it through CodeDeploy, as the stage's
``deployment`` says: all at once, a 10% canary first, or 10% more at a time.
While traffic shifts, the function's own error alarm is watched; when it fires,
CodeDeploy moves the alias back to the previous version.

The alias only protects anything if every caller invokes it. SAM already points
the event sources it owns (queue and stream mappings, schedules) at the alias;
what Chalice wired itself — the REST API's integrations and authorizer, the
WebSocket integrations and the invoke permissions — is rewired here, and any
other resource that names a function stops the synthesis, so a caller of
``$LATEST`` cannot slip in unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.naming import ALIAS, alias_arn, function_arn, sam_alias_ref
from infra.parts import Part
from infra.parts.app import ChaliceApp
from infra.stages import StageConfig

# What CodeDeploy does to a Lambda deployment group: read and move each alias (and see
# whether it has provisioned concurrency to carry over), and poll the rollback alarms.
ALIAS_ACTIONS: tuple[str, ...] = (
    "lambda:GetAlias",
    "lambda:UpdateAlias",
    "lambda:GetProvisionedConcurrencyConfig",
)
ALARM_ACTIONS: tuple[str, ...] = ("cloudwatch:DescribeAlarms",)
_INTEGRATION_URI = "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Alias}/invocations"


class Releases(Part):
    """Alias, deployment preference and CodeDeploy role for every function of the app."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        app: ChaliceApp,
        error_alarms: Mapping[str, cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        missing = sorted(set(app.functions) - set(error_alarms))
        if missing:
            raise ValueError(f"no error alarm to roll back on for {', '.join(missing)}")
        self.role = iam.Role(
            self,
            "CodeDeployRole",
            assumed_by=iam.ServicePrincipal("codedeploy.amazonaws.com"),
            description=f"{config.prefix}: CodeDeploy shifts the functions' aliases",
            inline_policies={"deploy": self._policy(app, error_alarms)},
        )
        for name, function in app.functions.items():
            function.resource.add_property_override("AutoPublishAlias", ALIAS)
            function.resource.add_property_override(
                "DeploymentPreference",
                {
                    "Type": config.deployment,
                    "Alarms": [error_alarms[name].alarm_name],
                    "Role": self.role.role_arn,
                },
            )
        self._invoke_aliases(app)

    @staticmethod
    def _policy(
        app: ChaliceApp, error_alarms: Mapping[str, cloudwatch.IAlarm]
    ) -> iam.PolicyDocument:
        aliases: list[str] = []
        for name in app.functions:
            # the unqualified ARN and the alias's: IAM matches either, depending on the call
            function_name = app.function_name(name)
            aliases += [function_arn(app, function_name), alias_arn(app, function_name)]
        return iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="ShiftAliases", actions=list(ALIAS_ACTIONS), resources=aliases
                ),
                iam.PolicyStatement(
                    sid="WatchRollbackAlarms",
                    actions=list(ALARM_ACTIONS),
                    resources=[alarm.alarm_arn for alarm in error_alarms.values()],
                ),
            ]
        )

    def _invoke_aliases(self, app: ChaliceApp) -> None:
        """Point everything Chalice wired to a function at that function's alias."""
        ids = {function.logical_id for function in app.functions.values()}
        for logical_id, body in app.sam["Resources"].items():
            if logical_id in ids:
                continue
            named = _functions_named(body, ids)
            if not named:
                continue
            resource = app.chalice.get_resource(logical_id)
            kind = body["Type"]
            if kind == "AWS::Lambda::Permission":
                (function,) = named
                resource.add_property_override("FunctionName", sam_alias_ref(resource, function))
            elif kind == "AWS::ApiGatewayV2::Integration":
                (function,) = named
                resource.add_property_override(
                    "IntegrationUri",
                    cdk.Fn.sub(_INTEGRATION_URI, {"Alias": sam_alias_ref(resource, function)}),
                )
            elif kind == "AWS::Serverless::Api":
                definition = body["Properties"]["DefinitionBody"]
                for part in ("paths", "securityDefinitions"):
                    if part in definition:
                        rewritten = _to_aliases(definition[part], ids, resource)
                        if _functions_named(rewritten, ids):
                            raise ValueError(f"{logical_id}: {part} names a function but its alias")
                        resource.add_property_override(f"DefinitionBody.{part}", rewritten)
            else:
                raise ValueError(
                    f"{logical_id} ({kind}) names function(s) {sorted(named)}: make it invoke "
                    f"the alias {ALIAS!r} (infra/parts/releases.py), never $LATEST"
                )


def _functions_named(value: Any, ids: set[str]) -> set[str]:
    """The function logical ids a SAM resource refers to (Ref, GetAtt, or inside a Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and inner in ids:
                found.add(inner)
            elif key == "Fn::GetAtt" and isinstance(inner, list) and inner[0] in ids:
                found.add(inner[0])
            else:
                found |= _functions_named(inner, ids)
    elif isinstance(value, list):
        for inner in value:
            found |= _functions_named(inner, ids)
    elif isinstance(value, str):
        for name, attribute in re.findall(r"\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}", value):
            if name in ids and attribute != ".Alias":
                found.add(name)
    return found


def _to_aliases(value: Any, ids: set[str], resource: Construct) -> Any:
    """An OpenAPI fragment whose ``${Function.Arn}`` (in ``Fn::Sub``) become the ARN of
    the function's alias, passed as a ``Fn::Sub`` variable (``Ref: Function.Alias``)."""
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"]
            variables: dict[str, Any] = {}

            def alias(match: re.Match[str]) -> str:
                name = match.group(1)
                if name not in ids:
                    return match.group(0)
                variables[f"{name}Alias"] = sam_alias_ref(resource, name)
                return f"${{{name}Alias}}"

            text = re.sub(r"\$\{([A-Za-z0-9]+)\.Arn\}", alias, text)
            return {"Fn::Sub": [text, variables]} if variables else {"Fn::Sub": text}
        return {key: _to_aliases(inner, ids, resource) for key, inner in value.items()}
    if isinstance(value, list):
        return [_to_aliases(inner, ids, resource) for inner in value]
    return value
