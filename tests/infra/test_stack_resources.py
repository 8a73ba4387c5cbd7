"""Every resource chalicelib.resources declares is in the stack, configured as the design says."""

from __future__ import annotations

import json

import pytest
from aws_cdk import assertions

from chalicelib import resources
from tests.infra import cfn
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def test_every_table_is_on_demand_with_recovery_streams_and_ttl(stage: Synthesized) -> None:
    for spec in resources.TABLES:
        _, table = cfn.by_property(
            stage.template,
            "AWS::DynamoDB::Table",
            "TableName",
            resources.physical(stage.config.prefix, spec.logical),
        )
        p = table["Properties"]
        assert p["BillingMode"] == "PAY_PER_REQUEST"
        assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        expected_keys = [{"AttributeName": spec.hash_key, "KeyType": "HASH"}]
        if spec.range_key:
            expected_keys.append({"AttributeName": spec.range_key, "KeyType": "RANGE"})
        assert p["KeySchema"] == expected_keys
        assert sorted(a["AttributeName"] for a in p["AttributeDefinitions"]) == sorted(
            spec.attributes
        )
        assert [i["IndexName"] for i in p.get("GlobalSecondaryIndexes", [])] == [
            i.name for i in spec.indexes
        ]
        if spec.stream:
            assert p["StreamSpecification"] == {"StreamViewType": spec.stream}
        else:
            assert "StreamSpecification" not in p
        if spec.ttl_attribute:
            assert p["TimeToLiveSpecification"] == {
                "AttributeName": spec.ttl_attribute,
                "Enabled": True,
            }


def test_production_data_survives_a_stack_deletion(synthesized: dict[str, Synthesized]) -> None:
    prod, dev = synthesized["prod"].template, synthesized["dev"].template
    for body in cfn.of_type(prod, "AWS::DynamoDB::Table").values():
        assert body["DeletionPolicy"] == "Retain"
        assert body["Properties"]["DeletionProtectionEnabled"] is True
    for body in cfn.of_type(prod, "AWS::Cognito::UserPool").values():
        assert body["DeletionPolicy"] == "Retain"
    for body in cfn.of_type(dev, "AWS::DynamoDB::Table").values():
        assert body["DeletionPolicy"] == "Delete"
    for template in (prod, dev):
        for body in cfn.of_type(template, "AWS::S3::Bucket").values():
            assert body["DeletionPolicy"] == "Retain"


def test_every_queue_has_its_dead_letter_queue_and_redrive(stage: Synthesized) -> None:
    template = assertions.Template.from_json(stage.template)
    for spec in resources.QUEUES:
        name = resources.physical(stage.config.prefix, spec.logical)
        expected: dict[str, object] = {
            "QueueName": name,
            "VisibilityTimeout": spec.visibility_timeout,
            "SqsManagedSseEnabled": True,
        }
        if spec.dead_letter:
            dlq_id, _ = cfn.by_property(
                stage.template,
                "AWS::SQS::Queue",
                "QueueName",
                resources.physical(stage.config.prefix, spec.dlq_logical),
            )
            expected["RedrivePolicy"] = {
                "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
                "maxReceiveCount": spec.max_receive_count,
            }
        template.has_resource_properties("AWS::SQS::Queue", expected)


def test_subscriptions_deliver_raw_filtered_events_to_their_queue(stage: Synthesized) -> None:
    subscriptions = list(cfn.of_type(stage.template, "AWS::SNS::Subscription").values())
    assert len(subscriptions) == len(resources.SUBSCRIPTIONS)
    for spec in resources.SUBSCRIPTIONS:
        topic_id, _ = cfn.by_property(
            stage.template,
            "AWS::SNS::Topic",
            "TopicName",
            resources.physical(stage.config.prefix, spec.topic),
        )
        queue_id, _ = cfn.by_property(
            stage.template,
            "AWS::SQS::Queue",
            "QueueName",
            resources.physical(stage.config.prefix, spec.queue),
        )
        matching = [
            s["Properties"]
            for s in subscriptions
            if cfn.target(s["Properties"]["TopicArn"]) == topic_id
            and cfn.target(s["Properties"]["Endpoint"]) == queue_id
        ]
        assert len(matching) == 1
        subscription = matching[0]
        assert subscription["Protocol"] == "sqs"
        assert subscription["RawMessageDelivery"] is spec.raw_message_delivery
        assert subscription.get("FilterPolicy", {}) == spec.filter_policy
        # The queue lets exactly this topic deliver to it.
        policies = [
            p["Properties"]["PolicyDocument"]
            for p in cfn.of_type(stage.template, "AWS::SQS::QueuePolicy").values()
            if queue_id in cfn.refs(p["Properties"]["Queues"])
        ]
        allows = [
            s
            for document in policies
            for s in cfn.statements(document)
            if s["Effect"] == "Allow" and s.get("Principal") == {"Service": "sns.amazonaws.com"}
        ]
        assert any(
            cfn.target(s["Condition"]["ArnEquals"]["aws:SourceArn"]) == topic_id for s in allows
        )


def test_media_bucket_is_private_encrypted_and_expires_uploads(stage: Synthesized) -> None:
    buckets = cfn.of_type(stage.template, "AWS::S3::Bucket")
    # the application's buckets, and the web client's (tests/infra/test_web_client.py)
    assert len(buckets) == len(resources.BUCKETS) + 1
    for spec in resources.BUCKETS:
        bucket_id = f"{spec.logical.capitalize()}Bucket"
        bucket = next(b for k, b in buckets.items() if k.startswith(bucket_id))
        p = bucket["Properties"]
        assert p["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert p["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
        rules = p["LifecycleConfiguration"]["Rules"]
        for prefix in spec.expire_prefixes:
            assert {
                "ExpirationInDays": spec.expire_days,
                "Prefix": prefix,
                "Status": "Enabled",
            }.items() <= next(r for r in rules if r.get("Prefix") == prefix).items()
        assert any("AbortIncompleteMultipartUpload" in r for r in rules)


def test_user_pool_is_admin_managed_and_the_client_signs_in_with_passwords(
    stage: Synthesized,
) -> None:
    (pool,) = cfn.of_type(stage.template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    (client,) = cfn.of_type(stage.template, "AWS::Cognito::UserPoolClient").values()
    flows = set(client["Properties"]["ExplicitAuthFlows"])
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= flows
    assert client["Properties"]["GenerateSecret"] is False


def test_every_function_has_its_own_role_and_log_group(stage: Synthesized) -> None:
    functions = cfn.of_type(stage.template, "AWS::Serverless::Function")
    assert set(stage.stack.functions) >= {c.function for c in resources.CONSUMERS}
    roles = [cfn.function_role(stage.template, f) for f in functions]
    assert len(set(roles)) == len(functions), "functions share a role"
    for function_id, body in functions.items():
        p = body["Properties"]
        assert cfn.of_type(stage.template, "AWS::IAM::Role").get(cfn.target(p["Role"]))
        log_group = cfn.props(stage.template, cfn.target(p["LoggingConfig"]["LogGroup"]))
        assert log_group["RetentionInDays"] == stage.config.log_retention_days
        assert p["MemorySize"] == stage.config.lambda_memory_mb, function_id


def test_no_placeholder_from_import_time_survives(stage: Synthesized) -> None:
    text = json.dumps(stage.translated)
    for leftover in (resources.DEFAULT_PREFIX, "000000000000", "replaced-by-infra", "placeholder"):
        assert leftover not in text


def test_rest_errors_from_api_gateway_use_the_contract_error_shape(stage: Synthesized) -> None:
    (api,) = cfn.of_type(stage.translated, "AWS::ApiGateway::RestApi").values()
    responses = api["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    expected = {
        "UNAUTHORIZED": ("401", "unauthorized"),
        "ACCESS_DENIED": ("401", "unauthorized"),
        "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found"),
        "DEFAULT_5XX": (None, "internal_error"),
        "DEFAULT_4XX": (None, "bad_request"),
        "THROTTLED": ("429", "too_many_requests"),
        "REQUEST_TOO_LARGE": ("413", "payload_too_large"),
    }
    for response_type, (status, code) in expected.items():
        response = responses[response_type]
        assert response.get("statusCode") == status
        template = response["responseTemplates"]["application/json"]
        # API Gateway substitutes $context.error.messageString with a quoted string.
        body = json.loads(template.replace("$context.error.messageString", '"Forbidden"'))
        assert body["error"]["code"] == code
        assert isinstance(body["error"]["message"], str)


def test_api_throttling_comes_from_the_stage(stage: Synthesized) -> None:
    (api_stage,) = cfn.of_type(stage.translated, "AWS::ApiGateway::Stage").values()
    assert api_stage["Properties"]["StageName"] == stage.name
    (setting,) = api_stage["Properties"]["MethodSettings"]
    assert setting["ThrottlingRateLimit"] == stage.config.api_throttle_rate
    assert setting["ThrottlingBurstLimit"] == stage.config.api_throttle_burst
    (ws_stage,) = cfn.of_type(stage.template, "AWS::ApiGatewayV2::Stage").values()
    assert ws_stage["Properties"]["StageName"] == stage.name
    routes = ws_stage["Properties"]["DefaultRouteSettings"]
    assert routes["ThrottlingBurstLimit"] == stage.config.api_throttle_burst


def test_outputs_give_clients_and_operators_what_they_need(stage: Synthesized) -> None:
    outputs = stage.template["Outputs"]
    rest = outputs["RestApiUrl"]["Value"]["Fn::Join"][1]
    assert (
        rest[0] == "https://" and cfn.target(rest[1]) == "RestAPI" and rest[-1] == f"/{stage.name}/"
    )
    ws = outputs["WebSocketUrl"]["Value"]["Fn::Join"][1]
    assert ws[0] == "wss://" and cfn.target(ws[1]) == "WebsocketAPI" and ws[-1] == f"/{stage.name}"
    pool_id = cfn.target(outputs["UserPoolId"]["Value"])
    assert stage.template["Resources"][pool_id]["Type"] == "AWS::Cognito::UserPool"
    client_id = cfn.target(outputs["UserPoolClientId"]["Value"])
    assert stage.template["Resources"][client_id]["Type"] == "AWS::Cognito::UserPoolClient"
    for name in ("WebSocketManagementUrl", "Region", "TwilioSmsWebhookUrl", "AlarmTopicArn"):
        assert name in outputs
    assert "webhooks/twilio/sms" in json.dumps(outputs["TwilioSmsWebhookUrl"])


def test_alarms_watch_dead_letters_lag_5xx_and_throttles(stage: Synthesized) -> None:
    alarms = [
        a["Properties"] for a in cfn.of_type(stage.template, "AWS::CloudWatch::Alarm").values()
    ]
    names = {a["AlarmName"] for a in alarms}
    prefix = stage.config.prefix
    for spec in resources.QUEUES:
        if spec.dead_letter:
            assert f"{prefix}-{spec.logical}-dlq-not-empty" in names
    for consumer in resources.CONSUMERS:
        assert f"{prefix}-{consumer.function}-lagging" in names
    for function in stage.stack.functions:
        assert f"{prefix}-{function}-throttles" in names
        assert f"{prefix}-{function}-errors" in names
    assert f"{prefix}-rest-api-5xx" in names
    for table in resources.TABLES:
        assert f"{prefix}-{table.logical}-table-throttles" in names
    alarm_topic = cfn.target(stage.template["Outputs"]["AlarmTopicArn"]["Value"])
    for alarm in alarms:
        assert [cfn.target(a) for a in alarm["AlarmActions"]] == [alarm_topic]
    (dashboard,) = cfn.of_type(stage.template, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == f"{prefix}-overview"


def test_consumer_lag_alarms_measure_age_of_the_oldest_message(stage: Synthesized) -> None:
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in cfn.of_type(stage.template, "AWS::CloudWatch::Alarm").values()
    }
    for consumer in resources.CONSUMERS:
        alarm = alarms[f"{stage.config.prefix}-{consumer.function}-lagging"]
        metric = "ApproximateAgeOfOldestMessage" if consumer.source_kind == "sqs" else "IteratorAge"
        assert alarm["MetricName"] == metric
