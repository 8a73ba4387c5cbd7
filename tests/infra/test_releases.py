"""Safe releases: every function behind an alias that CodeDeploy shifts, watched by its
error alarm, and nothing invoking a function around that alias."""

from __future__ import annotations

import json

import pytest

from infra.naming import ALIAS, CUSTOM_MESSAGE_FUNCTION, fixed_function_name
from infra.stages import STAGES
from tests.infra import cfn
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

# What may name a function itself: SAM's versions and the alias it moves. Anything
# else naming a function would invoke (or be wired to) $LATEST.
FUNCTION_OWNERS = ("AWS::Lambda::Version", "AWS::Lambda::Alias")


def _error_alarm(stage: Synthesized, name: str) -> tuple[str, dict]:
    return cfn.by_property(
        stage.template,
        "AWS::CloudWatch::Alarm",
        "AlarmName",
        f"{stage.config.prefix}-{name}-errors",
    )


def test_every_function_has_an_alias_and_the_stages_deployment_preference(
    variant: Synthesized,
) -> None:
    stage = variant
    role_id = cfn.target(_codedeploy_role_ref(stage))
    assert set(cfn.of_type(stage.template, "AWS::Serverless::Function")) == {
        f.logical_id for f in stage.stack.functions.values()
    }
    for name, function in stage.stack.functions.items():
        properties = cfn.props(stage.template, function.logical_id)
        assert properties["FunctionName"] == fixed_function_name(stage.config.prefix, name)
        assert properties["AutoPublishAlias"] == ALIAS
        preference = properties["DeploymentPreference"]
        assert preference["Type"] == stage.config.deployment
        alarm_id, alarm = _error_alarm(stage, name)
        assert [cfn.target(a) for a in preference["Alarms"]] == [alarm_id]
        assert cfn.target(preference["Role"]) == role_id
        # the alarm that rolls a release back is this function's own errors
        assert alarm["Properties"]["Namespace"] == "AWS/Lambda"
        assert alarm["Properties"]["MetricName"] == "Errors"
        assert alarm["Properties"]["Dimensions"] == [
            {"Name": "FunctionName", "Value": properties["FunctionName"]}
        ]


def _codedeploy_role_ref(stage: Synthesized) -> object:
    (function, *_) = stage.stack.functions.values()
    return cfn.props(stage.template, function.logical_id)["DeploymentPreference"]["Role"]


def test_codedeploy_rolls_back_on_the_alarm_after_the_sam_transform(variant: Synthesized) -> None:
    stage = variant
    groups = cfn.of_type(stage.translated, "AWS::CodeDeploy::DeploymentGroup")
    aliases = cfn.of_type(stage.translated, "AWS::Lambda::Alias")
    assert len(groups) == len(aliases) == len(stage.stack.functions)
    for name, function in stage.stack.functions.items():
        (alias_id,) = [
            k
            for k, a in aliases.items()
            if cfn.target(a["Properties"]["FunctionName"]) == function.logical_id
        ]
        alias = aliases[alias_id]
        assert alias["Properties"]["Name"] == ALIAS
        update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        group = groups[cfn.target(update["DeploymentGroupName"])]["Properties"]
        alarm_id, _ = _error_alarm(stage, name)
        assert group["AlarmConfiguration"]["Enabled"] is True
        assert [cfn.target(a["Name"]) for a in group["AlarmConfiguration"]["Alarms"]] == [alarm_id]
        assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
        assert group["AutoRollbackConfiguration"]["Enabled"] is True
        assert stage.config.deployment in json.dumps(group["DeploymentConfigName"])


def test_nothing_names_a_function_but_its_versions_and_alias(variant: Synthesized) -> None:
    template = variant.translated
    functions = {f.logical_id for f in variant.stack.functions.values()}
    direct = []
    for logical_id, body in template["Resources"].items():
        if logical_id in functions or body["Type"] in FUNCTION_OWNERS:
            continue
        named = (cfn.refs(body) | cfn.sub_references(body)) & functions
        if named:
            direct.append(f"{logical_id} ({body['Type']}) names {sorted(named)}")
    assert not direct, "invokes $LATEST:\n" + "\n".join(direct)


def test_every_invoker_reaches_the_alias(variant: Synthesized) -> None:
    template = variant.translated
    functions = {f.logical_id for f in variant.stack.functions.values()}
    permitted = {
        cfn.alias_target(template, p["Properties"]["FunctionName"])
        for p in cfn.of_type(template, "AWS::Lambda::Permission").values()
    }
    # API Gateway (REST routes and authorizer, WebSocket routes), EventBridge timers and
    # Cognito's trigger invoke through permissions; queues and the stream through mappings
    invoked = permitted | {
        cfn.alias_target(template, m["Properties"]["FunctionName"])
        for m in cfn.of_type(template, "AWS::Lambda::EventSourceMapping").values()
    }
    assert invoked == functions
    (api,) = cfn.of_type(template, "AWS::ApiGateway::RestApi").values()
    reached = {cfn.alias_target(template, {"Ref": r}) for r in cfn.refs(api["Properties"]["Body"])}
    assert reached == {
        variant.stack.functions["api_handler"].logical_id,
        variant.stack.functions["cognito"].logical_id,
    }
    for integration in cfn.of_type(template, "AWS::ApiGatewayV2::Integration").values():
        (alias,) = cfn.refs(integration["Properties"]["IntegrationUri"])
        cfn.alias_target(template, {"Ref": alias})


def test_the_user_pool_calls_the_custom_message_alias_by_its_arn(variant: Synthesized) -> None:
    template = variant.translated
    ((pool_id, pool),) = cfn.of_type(template, "AWS::Cognito::UserPool").items()
    arn = json.dumps(pool["Properties"]["LambdaConfig"]["CustomMessage"])
    name = fixed_function_name(variant.config.prefix, CUSTOM_MESSAGE_FUNCTION)
    assert f":function:{name}:{ALIAS}" in arn
    trigger = variant.stack.functions[CUSTOM_MESSAGE_FUNCTION].logical_id
    (permission,) = [
        p["Properties"]
        for p in cfn.of_type(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "cognito-idp.amazonaws.com"
    ]
    assert cfn.alias_target(template, permission["FunctionName"]) == trigger
    assert cfn.target(permission["SourceArn"]) == pool_id
    assert cfn.props(template, trigger)["FunctionName"] == name


def test_codedeploy_may_only_move_this_stages_aliases_and_read_their_error_alarms(
    variant: Synthesized,
) -> None:
    stage = variant
    role_id = cfn.target(_codedeploy_role_ref(stage))
    role = cfn.props(stage.template, role_id)
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "codedeploy.amazonaws.com"
    }
    assert "ManagedPolicyArns" not in role
    statements = {s["Sid"]: s for s in cfn.role_statements(stage.template, role_id)}
    assert set(statements) == {"ShiftAliases", "WatchRollbackAlarms"}
    shift = statements["ShiftAliases"]
    assert sorted(shift["Action"]) == [
        "lambda:GetAlias",
        "lambda:GetProvisionedConcurrencyConfig",
        "lambda:UpdateAlias",
    ]
    expected = set()
    for name in stage.stack.functions:
        function_name = fixed_function_name(stage.config.prefix, name)
        expected |= {f":function:{function_name}", f":function:{function_name}:{ALIAS}"}
    assert {_arn_tail(r) for r in shift["Resource"]} == expected
    alarms = {cfn.target(r) for r in statements["WatchRollbackAlarms"]["Resource"]}
    assert statements["WatchRollbackAlarms"]["Action"] == "cloudwatch:DescribeAlarms"
    assert alarms == {_error_alarm(stage, name)[0] for name in stage.stack.functions}


def _arn_tail(resource: dict) -> str:
    """``:function:<name>[:alias]`` of a Fn::Join'ed Lambda ARN in this account."""
    parts = resource["Fn::Join"][1]
    assert {"Ref": "AWS::AccountId"} in parts
    text = "".join(p for p in parts if isinstance(p, str))
    assert text.startswith("arn:aws:lambda:")
    return text[text.index(":function:") :]


def test_production_releases_a_canary_and_dev_all_at_once() -> None:
    assert STAGES["prod"].deployment.startswith("Canary10Percent")
    assert STAGES["dev"].deployment == "AllAtOnce"
