"""Each function's IAM policy names only the actions and resources it uses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import resources
from infra import permissions
from infra.naming import camel, push_endpoint_arn
from tests.infra import cfn
from tests.infra.conftest import PUSH_APPLICATIONS, PUSH_VARIANT, Synthesized

pytestmark = pytest.mark.infra

DATA_SERVICES = ("dynamodb", "sqs", "sns", "s3")


def _logical_ids(template: dict[str, Any], resource_type: str, key: str, prefix: str) -> dict:
    """Logical name (chalicelib.resources) → CloudFormation logical id, by physical name."""
    found = {}
    for logical_id, body in cfn.of_type(template, resource_type).items():
        name = body["Properties"].get(key, "")
        if isinstance(name, str) and name.startswith(f"{prefix}-"):
            found[name[len(prefix) + 1 :]] = logical_id
    return found


@pytest.mark.parametrize("form", ["template", "translated"])
def test_no_policy_anywhere_allows_a_wildcard_action_or_resource(
    stage: Synthesized, form: str
) -> None:
    template = getattr(stage, form)
    checked = 0
    for owner, document in cfn.policy_documents(template):
        for statement in cfn.statements(document):
            if statement["Effect"] != "Allow":
                continue
            checked += 1
            for action in cfn.as_list(statement["Action"]):
                assert action != "*" and not action.endswith(":*"), (owner, action)
            if set(cfn.as_list(statement["Action"])) <= set(permissions.TRACE_ACTIONS):
                assert statement["Resource"] == "*"  # X-Ray takes no other resource
                continue
            if sorted(cfn.as_list(statement["Action"])) == sorted(permissions.SMS_ACCOUNT_ACTIONS):
                # the account's tier and spend limits: IAM names no resource for them
                assert statement["Resource"] == "*"
                continue
            for resource in cfn.as_list(statement.get("Resource", [])):
                assert resource != "*", (owner, statement)
                text = json.dumps(resource)
                for service in DATA_SERVICES:
                    assert f":{service}:*:" not in text and f'":{service}:::*"' not in text
    assert checked > 0


def test_function_roles_carry_no_managed_policies(stage: Synthesized) -> None:
    for function in stage.stack.functions.values():
        role = cfn.props(stage.translated, cfn.function_role(stage.translated, function.logical_id))
        assert "ManagedPolicyArns" not in role
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Service": "lambda.amazonaws.com"
        }


def test_each_function_may_touch_only_what_permissions_py_declares(variant: Synthesized) -> None:
    stage = variant
    template, prefix = stage.template, stage.config.prefix
    tables = _logical_ids(template, "AWS::DynamoDB::Table", "TableName", prefix)
    topics = _logical_ids(template, "AWS::SNS::Topic", "TopicName", prefix)
    queues = _logical_ids(template, "AWS::SQS::Queue", "QueueName", prefix)
    buckets = {
        b.logical: next(
            k
            for k in cfn.of_type(template, "AWS::S3::Bucket")
            if k.startswith(f"{camel(b.logical)}Bucket")
        )
        for b in resources.BUCKETS
    }
    for name, function in stage.stack.functions.items():
        access = permissions.FUNCTIONS[name]
        consumer = next((c for c in resources.CONSUMERS if c.function == name), None)
        role_id = cfn.function_role(template, function.logical_id)
        log_group = cfn.target(
            cfn.props(template, function.logical_id)["LoggingConfig"]["LogGroup"]
        )
        allowed_tables = {tables[t] for t in access.tables}
        writable_tables = {tables[t] for t, level in access.tables.items() if level == "read-write"}
        allowed_topics = {topics[t] for t in access.publish}
        allowed_queues = {queues[q] for q in access.send}
        stream_tables: set[str] = set()
        if consumer and consumer.source_kind == "sqs":
            allowed_queues.add(queues[consumer.source])
        if consumer and consumer.source_kind == "dynamodb-stream":
            stream_tables.add(tables[consumer.source])
            failures = f"{consumer.function.replace('_', '-')}-failures"
            allowed_queues.add(queues[failures])
        for statement in cfn.role_statements(template, role_id):
            actions = cfn.as_list(statement["Action"])
            services = {a.split(":")[0] for a in actions}
            assert len(services) == 1, statement
            service = services.pop()
            targets = cfn.refs(statement["Resource"])
            text = json.dumps(statement["Resource"])
            where = f"{name}: {statement.get('Sid')}"
            if service == "logs":
                assert targets == {log_group}, where
            elif service == "dynamodb":
                stream_actions = set(
                    permissions.STREAM_READ_ACTIONS + permissions.STREAM_LIST_ACTIONS
                )
                if set(actions) <= stream_actions:
                    assert targets <= stream_tables and targets, where
                else:
                    assert targets <= allowed_tables and targets, where
                    if set(actions) & set(permissions.TABLE_WRITE_ACTIONS):
                        assert targets <= writable_tables, f"{where} writes a read-only table"
            elif service == "sns" and targets:
                assert actions == ["sns:Publish"] and targets <= allowed_topics, where
            elif service == "sns":  # mobile push, on the operator's platform applications
                needs, arn_kind = {
                    ("sns:CreatePlatformEndpoint",): ("register", ":app/"),
                    ("sns:DeleteEndpoint", "sns:SetEndpointAttributes"): ("register", ":endpoint/"),
                    ("sns:Publish",): ("send", ":endpoint/"),
                }[tuple(sorted(actions))]
                assert needs in access.push, where
                assert arn_kind in text, where
            elif service == "sqs":
                assert targets <= allowed_queues and targets, where
            elif service == "s3":
                assert targets <= {buckets[b] for b in access.buckets} and targets, where
            elif service == "secretsmanager":
                assert access.secrets, where
                assert actions == ["secretsmanager:GetSecretValue"], where
                names = {
                    "twilio": stage.config.twilio_secret_name,
                    "vapid": stage.config.webpush_vapid_secret_name,
                }
                assert any(text.count(f"secret:{names[s]}-??????") == 1 for s in access.secrets), (
                    where
                )
            elif service == "sms-voice" and statement.get("Sid") == "ReadSmsAccount":
                assert access.read_sms_account, where
                assert sorted(actions) == sorted(permissions.SMS_ACCOUNT_ACTIONS), where
                assert statement["Resource"] == "*", where
            elif service == "sms-voice" and statement.get("Sid") == "ReadVerifiedDestinations":
                assert access.read_sms_account, where
                assert actions == list(permissions.VERIFIED_DESTINATIONS_ACTIONS), where
                assert ":verified-destination-number/" in text, where
            elif service == "sms-voice" and statement.get("Sid") == "ReadRegistrations":
                assert access.read_registrations, where
                assert sorted(actions) == sorted(permissions.READ_REGISTRATIONS_ACTIONS), where
                assert ":registration/" in text, where
            elif service == "sms-voice":
                assert access.send_sms and sorted(actions) == sorted(permissions.SEND_SMS_ACTIONS)
                assert all(
                    ":sms-voice:" in json.dumps(r) for r in cfn.as_list(statement["Resource"])
                )
            elif service == "xray":
                assert stage.config.tracing, where
                assert sorted(actions) == sorted(permissions.TRACE_ACTIONS), where
            elif service == "cognito-idp":
                assert access.manage_users, where
                assert sorted(actions) == sorted(permissions.USER_ADMIN_ACTIONS), where
                assert targets == set(cfn.of_type(template, "AWS::Cognito::UserPool")), where
            elif service == "execute-api":
                assert access.manage_connections and targets == {"WebsocketAPI"}, where
                assert "@connections/*" in text and f"/{stage.name}/" in text, where
            elif service == "ssm":
                assert actions == list(permissions.PARAMETER_READ_ACTIONS), where
                names = {"vapid-public": stage.config.webpush_public_key_parameter}
                wanted = [f":parameter{names[p]}" for p in access.parameters]
                assert access.parameters and any(w in text for w in wanted), where
                assert "*" not in text.replace("${AWS::", ""), where
            else:
                pytest.fail(f"{where}: unexpected service {service}")


def test_the_authorizer_only_reads(stage: Synthesized) -> None:
    role_id = cfn.function_role(stage.template, stage.stack.functions["cognito"].logical_id)
    actions = {
        a for s in cfn.role_statements(stage.template, role_id) for a in cfn.as_list(s["Action"])
    }
    tracing = set(permissions.TRACE_ACTIONS) if stage.config.tracing else set()
    assert actions == set(permissions.TABLE_READ_ACTIONS) | set(permissions.LOG_ACTIONS) | tracing


def test_only_the_outbox_publishes_events(stage: Synthesized) -> None:
    """Every event goes through the stream outbox (a crash after the write loses
    nothing): messages', and the contact center's interaction, agent-status and
    queue events alike. No other function may publish to the events topic."""
    publishers = set()
    for name, function in stage.stack.functions.items():
        role_id = cfn.function_role(stage.template, function.logical_id)
        for statement in cfn.role_statements(stage.template, role_id):
            if "sns:Publish" in cfn.as_list(statement["Action"]) and cfn.refs(
                statement["Resource"]
            ):
                publishers.add(name)
    assert publishers == {"outbox_stream"}


def test_consumers_may_poll_only_their_own_source(stage: Synthesized) -> None:
    queues = _logical_ids(stage.template, "AWS::SQS::Queue", "QueueName", stage.config.prefix)
    for consumer in resources.CONSUMERS:
        if consumer.source_kind != "sqs":
            continue
        function = stage.stack.functions[consumer.function]
        role_id = cfn.function_role(stage.template, function.logical_id)
        receive = [
            s
            for s in cfn.role_statements(stage.template, role_id)
            if "sqs:ReceiveMessage" in cfn.as_list(s["Action"])
        ]
        assert [cfn.refs(s["Resource"]) for s in receive] == [{queues[consumer.source]}]


def test_provider_secret_is_granted_by_name_not_embedded(stage: Synthesized) -> None:
    text = json.dumps(stage.template)
    assert f"texting/{stage.name}/twilio" in text
    # the one secret the stack makes is the VAPID key's, empty (the admin command fills it)
    (secret,) = cfn.of_type(stage.template, "AWS::SecretsManager::Secret").values()
    assert secret["Properties"]["Name"] == f"texting/{stage.name}/vapid"
    assert secret["Properties"]["SecretString"] == "{}"
    # and its public key's parameter, a placeholder until then
    (parameter,) = cfn.of_type(stage.template, "AWS::SSM::Parameter").values()
    assert parameter["Properties"]["Name"] == f"/texting/{stage.name}/webpush-public-key"
    assert parameter["Properties"]["Type"] == "String"
    assert parameter["Properties"]["Value"] == "none"


def _readers(stage: Synthesized, resource: str) -> dict[str, list[str]]:
    """Function → the actions its role allows on resources whose ARN contains
    ``resource``."""
    found: dict[str, list[str]] = {}
    for name, function in stage.stack.functions.items():
        role_id = cfn.function_role(stage.template, function.logical_id)
        for statement in cfn.role_statements(stage.template, role_id):
            if resource in json.dumps(statement["Resource"]):
                found.setdefault(name, []).extend(cfn.as_list(statement["Action"]))
    return found


def test_only_the_function_that_pushes_may_read_the_vapid_private_key(
    stage: Synthesized,
) -> None:
    readers = _readers(stage, f"secret:texting/{stage.name}/vapid-")
    assert readers == {"realtime_consumer": ["secretsmanager:GetSecretValue"]}


def test_the_api_reads_the_vapid_public_key_from_its_parameter(stage: Synthesized) -> None:
    readers = _readers(stage, f":parameter/texting/{stage.name}/webpush-public-key")
    assert readers == {"api_handler": ["ssm:GetParameter"]}
    variables = next(
        body["Properties"]["Environment"]["Variables"]
        for body in cfn.of_type(stage.template, "AWS::Serverless::Function").values()
    )
    assert variables["WEBPUSH_PUBLIC_KEY_PARAMETER"] == f"/texting/{stage.name}/webpush-public-key"


def test_push_is_granted_on_the_configured_platform_applications_only(
    synthesized: dict[str, Synthesized],
) -> None:
    stage = synthesized[PUSH_VARIANT]
    by_function: dict[str, set[str]] = {}
    for name, function in stage.stack.functions.items():
        role_id = cfn.function_role(stage.template, function.logical_id)
        for statement in cfn.role_statements(stage.template, role_id):
            if statement.get("Sid", "").startswith("Push"):
                by_function.setdefault(name, set()).update(cfn.as_list(statement["Action"]))
                for resource in cfn.as_list(statement["Resource"]):
                    assert any(
                        resource == arn or resource == push_endpoint_arn(arn)
                        for arn in PUSH_APPLICATIONS.values()
                    )
    assert by_function == {
        "api_handler": {
            "sns:CreatePlatformEndpoint",
            "sns:DeleteEndpoint",
            "sns:SetEndpointAttributes",
        },
        "realtime_consumer": {"sns:Publish"},  # the one fan-out pushes, nothing more
    }
    for name in ("dev", "prod"):  # no applications configured: no push grants at all
        assert '"Sid": "Push' not in json.dumps(synthesized[name].template)


def test_only_the_rest_api_administers_users_and_only_in_its_own_pool(stage: Synthesized) -> None:
    (pool_id,) = cfn.of_type(stage.template, "AWS::Cognito::UserPool")
    administering = {}
    for name, function in stage.stack.functions.items():
        role_id = cfn.function_role(stage.template, function.logical_id)
        for statement in cfn.role_statements(stage.template, role_id):
            actions = set(cfn.as_list(statement["Action"]))
            if any(a.startswith("cognito-idp:") for a in actions):
                administering[name] = (actions, cfn.as_list(statement["Resource"]))
    assert set(administering) == {"api_handler"}
    actions, resources_ = administering["api_handler"]
    assert actions == {
        "cognito-idp:AdminCreateUser",
        "cognito-idp:AdminDisableUser",
        "cognito-idp:AdminEnableUser",
        "cognito-idp:AdminGetUser",
        "cognito-idp:AdminUserGlobalSignOut",
        "cognito-idp:ListUsers",
    }
    assert resources_ == [{"Fn::GetAtt": [pool_id, "Arn"]}]
