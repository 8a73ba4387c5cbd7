"""What the security scan asked for, as the template deploys it (checkov runs in make test-infra)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.scanner import SUPPRESSIONS
from infra.stages import STAGES
from tests.infra import cfn
from tests.infra.conftest import PUSH_VARIANT, Synthesized

pytestmark = pytest.mark.infra


def _one(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = cfn.of_type(template, resource_type)
    assert len(found) == 1, (resource_type, list(found))
    return next(iter(found.items()))


def test_both_apis_write_access_logs_with_the_api_gateway_role(stage: Synthesized) -> None:
    rest = stage.template["Resources"]["RestAPI"]
    websocket = stage.template["Resources"]["WebsocketAPIStage"]
    rest_logs = rest["Properties"]["AccessLogSetting"]
    websocket_logs = websocket["Properties"]["AccessLogSettings"]
    for setting in (rest_logs, websocket_logs):
        group = cfn.target(setting["DestinationArn"])
        assert stage.template["Resources"][group]["Type"] == "AWS::Logs::LogGroup"
        assert "$context.requestId" in json.loads(setting["Format"]).values()
    account_id, account = _one(stage.template, "AWS::ApiGateway::Account")
    role = cfn.props(stage.template, cfn.target(account["Properties"]["CloudWatchRoleArn"]))
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    # the stages are created only once the account has its CloudWatch role
    assert account_id in cfn.as_list(rest.get("DependsOn", []))
    assert account_id in cfn.as_list(websocket.get("DependsOn", []))


def test_tracing_is_on_for_the_rest_stage_and_every_function_unless_switched_off(
    variant: Synthesized,
) -> None:
    tracing = variant.config.tracing
    assert variant.template["Resources"]["RestAPI"]["Properties"]["TracingEnabled"] is tracing
    for function in variant.stack.functions.values():
        properties = cfn.props(variant.template, function.logical_id)
        assert properties["Tracing"] == ("Active" if tracing else "PassThrough")
        disabled = properties["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"]
        assert disabled == ("false" if tracing else "true")


def test_the_topics_aws_services_publish_to_use_the_stage_key(stage: Synthesized) -> None:
    template = stage.template
    key_id, key = _one(template, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    service_statement = next(
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AwsServicesPublishToTopics"
    )
    # alarms, End User Messaging's events, and AWS Budgets when the stage has a budget
    assert sorted(service_statement["Principal"]["Service"]) == sorted(
        [
            "cloudwatch.amazonaws.com",
            "sms-voice.amazonaws.com",
            *(["budgets.amazonaws.com"] if stage.config.monthly_budget_usd else []),
        ]
    )
    assert set(service_statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert "aws:SourceAccount" in service_statement["Condition"]["StringEquals"]
    topics = {
        body["Properties"]["TopicName"]: body["Properties"].get("KmsMasterKeyId")
        for body in cfn.of_type(template, "AWS::SNS::Topic").values()
    }
    prefix = stage.config.prefix
    for name in (f"{prefix}-sms-events", f"{prefix}-alarms"):
        assert cfn.target(topics[name]) == key_id, name
    assert "alias/aws/sns" in json.dumps(topics[f"{prefix}-events"])


def test_the_sms_sender_event_source_has_a_maximum_concurrency(stage: Synthesized) -> None:
    sender = cfn.props(stage.template, stage.stack.functions["sms_sender"].logical_id)
    (event,) = [e for e in sender["Events"].values() if e["Type"] == "SQS"]
    assert event["Properties"]["ScalingConfig"] == {
        "MaximumConcurrency": stage.config.sms_sender_max_concurrency
    }
    mappings = cfn.of_type(stage.translated, "AWS::Lambda::EventSourceMapping")
    limited = [m for m in mappings.values() if "ScalingConfig" in m["Properties"]]
    assert len(limited) == 1


def test_the_media_bucket_is_versioned_and_old_versions_expire(stage: Synthesized) -> None:
    (bucket,) = [
        body
        for logical_id, body in cfn.of_type(stage.template, "AWS::S3::Bucket").items()
        if logical_id.startswith("MediaBucket")
    ]
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("NoncurrentVersionExpiration") for r in rules)


def test_cognito_oauth_is_off_unless_callbacks_are_configured_and_mfa_by_app(
    synthesized: dict[str, Synthesized],
) -> None:
    for name in ("dev", "prod"):
        template = synthesized[name].template
        _, client = _one(template, "AWS::Cognito::UserPoolClient")
        assert "AllowedOAuthFlows" not in client["Properties"]
        assert client["Properties"].get("AllowedOAuthFlowsUserPoolClient") in (None, False)
        _, pool = _one(template, "AWS::Cognito::UserPool")
        assert pool["Properties"]["MfaConfiguration"] == "OPTIONAL"
        assert pool["Properties"]["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    options = synthesized[PUSH_VARIANT].template
    _, client = _one(options, "AWS::Cognito::UserPoolClient")
    assert client["Properties"]["AllowedOAuthFlows"] == ["code"]
    assert client["Properties"]["CallbackURLs"] == ["https://app.example.com/callback"]
    _, pool = _one(options, "AWS::Cognito::UserPool")
    assert pool["Properties"]["MfaConfiguration"] == "ON"
    assert pool["Properties"]["UserPoolTier"] == "PLUS"
    assert pool["Properties"]["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}


def test_waf_is_a_stage_flag_with_a_webhook_rate_limit_and_the_common_rules(
    synthesized: dict[str, Synthesized],
) -> None:
    for name in ("dev", "prod"):
        assert not cfn.of_type(synthesized[name].template, "AWS::WAFv2::WebACL")
    options = synthesized[PUSH_VARIANT]
    acl_id, acl = _one(options.template, "AWS::WAFv2::WebACL")
    rules = {r["Name"]: r for r in acl["Properties"]["Rules"]}
    rate = rules["webhook-rate-limit"]["Statement"]["RateBasedStatement"]
    assert rate["Limit"] == options.config.waf_webhook_rate_limit
    assert rate["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/webhooks/"
    assert rules["webhook-rate-limit"]["Action"] == {"Block": {}}
    managed = rules["aws-common-rule-set"]["Statement"]["ManagedRuleGroupStatement"]
    assert managed == {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}
    _, association = _one(options.template, "AWS::WAFv2::WebACLAssociation")
    assert cfn.target(association["Properties"]["WebACLArn"]) == acl_id
    assert "RestAPI" in cfn.refs(association["Properties"]["ResourceArn"])
    assert json.dumps(association["Properties"]["ResourceArn"]).endswith(
        f'"/stages/{options.config.name}"]]}}'
    )
    # after the SAM transform the association waits for the REST API's stage
    stage_id = f"RestAPI{options.config.name}Stage"
    assert options.translated["Resources"][stage_id]["Type"] == "AWS::ApiGateway::Stage"
    _, translated = _one(options.translated, "AWS::WAFv2::WebACLAssociation")
    assert translated["DependsOn"] == [stage_id]


def test_alarms_reach_someone_or_the_synthesis_says_they_do_not(
    synthesized: dict[str, Synthesized],
) -> None:
    import aws_cdk as cdk
    from aws_cdk import assertions

    for name in ("dev", "prod"):
        warnings = assertions.Annotations.from_stack(synthesized[name].stack).find_warning(
            "*", assertions.Match.string_like_regexp("alarms reach nobody")
        )
        assert warnings, name
        assert not cfn.of_type(synthesized[name].template, "AWS::SNS::Subscription") or all(
            s["Properties"]["Protocol"] == "sqs"
            for s in cfn.of_type(synthesized[name].template, "AWS::SNS::Subscription").values()
        )
    options = synthesized[PUSH_VARIANT]
    emails = [
        s["Properties"]
        for s in cfn.of_type(options.template, "AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "email"
    ]
    assert [e["Endpoint"] for e in emails] == ["ops@example.com"]
    assert cfn.target(emails[0]["TopicArn"]) == cfn.target(
        options.template["Outputs"]["AlarmTopicArn"]["Value"]
    )
    del cdk


def test_prod_is_not_deployed_with_alarms_that_reach_nobody() -> None:
    with pytest.raises(ValueError, match="alarms would reach nobody"):
        STAGES["prod"].deployable()
    STAGES["prod"].with_overrides(alarm_email="ops@example.com").deployable()
    STAGES["dev"].deployable()  # dev may run unwatched


def test_every_checkov_suppression_in_the_templates_carries_its_reason(
    variant: Synthesized,
) -> None:
    # one check may be suppressed on several types, each for its own reason
    reasons = {
        (kind, check): reason for kind, skips in SUPPRESSIONS.items() for check, reason in skips
    }
    suppressed = 0
    for logical_id, body in variant.template["Resources"].items():
        for skip in body.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert skip["comment"] == reasons[(body["Type"], skip["id"])], logical_id
            assert len(skip["comment"]) > 20, skip
            suppressed += 1
    assert suppressed > 0
