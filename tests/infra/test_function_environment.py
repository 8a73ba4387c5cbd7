"""The operator's flags and the stage's resource names reach every function's environment."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib import resources
from infra.naming import env_name
from tests.infra import cfn
from tests.infra.conftest import PUSH_VARIANT, REPO_ROOT, Synthesized

pytestmark = pytest.mark.infra

# Read by settings.py but deliberately not set by the stack: Lambda sets the
# region itself, and the JWKS URL is derived from the pool id.
# Twilio's sid and token come from the Secrets Manager secret on AWS; the environment
# variables exist for the local stack only and must never be in a template; nor must
# the local simulator's push service be accepted as a Web Push endpoint on AWS.
LOCAL_ONLY = {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "WEBPUSH_LOCAL_ENDPOINT"}
NOT_SET_BY_STACK = {"AWS_REGION", "AWS_DEFAULT_REGION", "COGNITO_JWKS_URL", *LOCAL_ONLY}


SECRET_NAMES = {"TWILIO_SECRET_NAME", "WEBPUSH_VAPID_SECRET_NAME"}


def settings_variables() -> set[str]:
    """Every environment variable chalicelib/settings.py reads."""
    source = (REPO_ROOT / "chalicelib" / "settings.py").read_text()
    return set(re.findall(r"""env\.get\(\s*["']([A-Z0-9_]+)["']""", source))


def environments(stage: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        function_id: body["Properties"]["Environment"]["Variables"]
        for function_id, body in cfn.of_type(stage.template, "AWS::Serverless::Function").items()
    }


def test_every_variable_settings_reads_is_set_on_every_function(stage: Synthesized) -> None:
    wanted = settings_variables() - NOT_SET_BY_STACK
    assert wanted, "settings.py should read its configuration from env.get(...)"
    for function_id, variables in environments(stage).items():
        missing = wanted - set(variables)
        assert not missing, f"{function_id} lacks {sorted(missing)}: wire them in infra/"
        assert not LOCAL_ONLY & set(variables), f"{function_id} carries a local-only variable"


def test_stage_flags_reach_the_functions(stage: Synthesized) -> None:
    flags = stage.config.environment()
    sender = stage.stack.functions["sms_sender"].logical_id
    for function_id, variables in environments(stage).items():
        expected = dict(flags)
        if function_id == sender and not flags.get("PUBLIC_API_BASE_URL"):
            # the SMS sender is told the REST API's URL, for provider status callbacks
            expected.pop("PUBLIC_API_BASE_URL", None)
            assert "execute-api" in json.dumps(variables["PUBLIC_API_BASE_URL"])
        if not expected.get("EUM_CONFIGURATION_SET"):  # the configuration set the stack made
            expected["EUM_CONFIGURATION_SET"] = f"{stage.config.prefix}-texts"
        assert {k: variables[k] for k in expected} == expected
        assert variables["STAGE"] == stage.name
        assert variables["RESOURCE_PREFIX"] == stage.config.prefix


def test_every_function_names_the_configuration_set_the_stack_made_with_its_sns_destination(
    stage: Synthesized,
) -> None:
    """End User Messaging sends delivery events only for sends that name a configuration
    set with an event destination: the stack makes one whose destination is the topic
    ``eum_events`` reads, and every function is told its name."""
    (made,) = cfn.of_type(stage.template, "AWS::SMSVOICE::ConfigurationSet").values()
    name = made["Properties"]["ConfigurationSetName"]
    (destination,) = made["Properties"]["EventDestinations"]
    topic = stage.config.sms_inbound_topic
    topics = {
        logical_id
        for logical_id, body in cfn.of_type(stage.template, "AWS::SNS::Topic").items()
        if body["Properties"]["TopicName"] == f"{stage.config.prefix}-{topic}"
    }
    assert destination["Enabled"] is True
    assert set(destination["MatchingEventTypes"]) == {"TEXT_ALL", "MEDIA_ALL"}
    assert cfn.refs(destination["SnsDestination"]["TopicArn"]) == topics
    for variables in environments(stage).values():
        assert variables["EUM_CONFIGURATION_SET"] == name


def test_a_stage_naming_its_own_configuration_set_gets_none_made(
    synthesized: dict[str, Synthesized],
) -> None:
    stage = synthesized[PUSH_VARIANT]  # names "existing-set"
    assert not cfn.of_type(stage.template, "AWS::SMSVOICE::ConfigurationSet")
    for variables in environments(stage).values():
        assert variables["EUM_CONFIGURATION_SET"] == "existing-set"


def test_stages_differ_where_their_configuration_differs(
    synthesized: dict[str, Synthesized],
) -> None:
    dev = next(iter(environments(synthesized["dev"]).values()))
    prod = next(iter(environments(synthesized["prod"]).values()))
    assert dev["LOG_LEVEL"] == synthesized["dev"].config.log_level
    assert prod["LOG_LEVEL"] == synthesized["prod"].config.log_level
    assert dev["LOG_LEVEL"] != prod["LOG_LEVEL"]
    assert dev["TWILIO_SECRET_NAME"] == "texting/dev/twilio"
    assert dev["WEBPUSH_VAPID_SECRET_NAME"] == "texting/dev/vapid"
    assert prod["WEBPUSH_VAPID_SECRET_NAME"] == "texting/prod/vapid"
    assert prod["TWILIO_SECRET_NAME"] == "texting/prod/twilio"


def test_resource_variables_name_this_stages_resources(stage: Synthesized) -> None:
    named: list[tuple[str, str, str]] = [
        *((t.logical, "TABLE", "TableName") for t in resources.TABLES),
        *((t.logical, "TOPIC_ARN", "TopicName") for t in resources.TOPICS),
        *((q.logical, "QUEUE_URL", "QueueName") for q in resources.QUEUES),
    ]
    for variables in environments(stage).values():
        for logical, kind, name_key in named:
            target = cfn.props(stage.template, cfn.target(variables[env_name(logical, kind)]))
            assert target[name_key] == resources.physical(stage.config.prefix, logical)
        typed = {
            **{env_name(b.logical, "BUCKET"): "AWS::S3::Bucket" for b in resources.BUCKETS},
            "COGNITO_USER_POOL_ID": "AWS::Cognito::UserPool",
            "COGNITO_CLIENT_ID": "AWS::Cognito::UserPoolClient",
        }
        for variable, resource_type in typed.items():
            target_id = cfn.target(variables[variable])
            assert stage.template["Resources"][target_id]["Type"] == resource_type


def test_websocket_management_url_is_the_deployed_websocket_stage(stage: Synthesized) -> None:
    for variables in environments(stage).values():
        parts = variables["WEBSOCKET_MANAGEMENT_URL"]["Fn::Join"][1]
        assert parts[0] == "https://"
        assert cfn.target(parts[1]) == "WebsocketAPI"
        assert parts[2].startswith(".execute-api.")
        assert parts[-1] == f"/{stage.name}"


def test_no_secret_value_is_in_the_template(stage: Synthesized) -> None:
    for variables in environments(stage).values():
        for key, value in variables.items():
            if isinstance(value, str) and re.search(r"TOKEN|SECRET|PASSWORD", key):
                assert key in SECRET_NAMES and value.startswith("texting/"), key
