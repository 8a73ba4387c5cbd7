"""Stage configuration and the stack's pure helpers: fast, no synthesis."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from chalicelib import resources
from infra import permissions
from infra.stages import FLAGS, STAGES, StageConfig, stage
from tests.infra.conftest import REPO_ROOT


def test_shipped_stages_are_valid_and_named_after_their_key() -> None:
    assert {"dev", "prod"} <= set(STAGES)
    for name, config in STAGES.items():
        assert config.name == name
        config.validate()
        assert config.prefix == f"texting-{name}"


def test_flags_become_the_strings_settings_py_parses() -> None:
    from chalicelib.settings import Settings

    config = StageConfig(
        name="qa",
        sms_enabled=False,
        sms_allowed_countries=("US", "GB"),
        sms_pacing_local_per_second=0.5,
        log_level="ERROR",
    )
    env = config.environment()
    assert env["SMS_ENABLED"] == "false"
    assert env["SMS_ALLOWED_COUNTRIES"] == "US,GB"
    settings = Settings.from_env(env)
    assert settings.sms_enabled is False
    assert settings.sms_allowed_countries == ("US", "GB")
    assert settings.sms_pacing_local_per_second == 0.5
    assert settings.twilio_secret_name == "texting/qa/twilio"


def test_every_flag_is_documented_in_deploy_md() -> None:
    text = (REPO_ROOT / "docs" / "deploy.md").read_text()
    for flag in FLAGS:
        assert f"`{flag.env}`" in text, f"docs/deploy.md does not document {flag.env}"


@pytest.mark.parametrize(
    "change",
    [
        {"log_level": "LOUD"},
        {"sms_allowed_countries": ("usa",)},
        {"log_retention_days": 10},
        {"sms_rate_per_user_per_minute": 0},
        {"push_apns_application_arn": "arn:aws:sns:us-east-1:123456789012:my-topic"},
        {"name": "Prod"},
        {"deployment": "Canary50Percent1Minute"},
        {"sms_waiting_alarm_minutes": 0},
        {"monthly_budget_usd": 0},
        {"cognito_email_from": "no-reply@acme.example"},  # without its SES identity
        {
            "cognito_email_from": "no-reply@other.example",
            "cognito_ses_identity_arn": "arn:aws:ses:us-east-1:123456789012:identity/acme.example",
        },
        {
            "cognito_email_from": "no-reply@acme.example",
            "cognito_ses_identity_arn": "arn:aws:sns:us-east-1:123456789012:acme.example",
        },
    ],
)
def test_a_configuration_that_would_misbehave_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        STAGES["dev"].with_overrides(**change)


def test_command_line_overrides_change_only_what_they_name() -> None:
    changed = STAGES["dev"].with_overrides(sms_enabled=False, sms_allowed_countries=["US"])
    assert changed.sms_enabled is False and changed.sms_allowed_countries == ("US",)
    assert changed.log_level == STAGES["dev"].log_level
    with pytest.raises(ValueError, match="unknown stage settings"):
        STAGES["dev"].with_overrides(sms_enabeld=False)
    with pytest.raises(ValueError, match="unknown stage"):
        stage("staging-typo")


def test_permissions_name_only_resources_that_exist() -> None:
    tables = {t.logical for t in resources.TABLES}
    topics = {t.logical for t in resources.TOPICS}
    queues = {q.logical for q in resources.QUEUES}
    buckets = {b.logical for b in resources.BUCKETS}
    for name, access in permissions.FUNCTIONS.items():
        assert set(access.tables) <= tables, name
        assert set(access.publish) <= topics, name
        assert set(access.send) <= queues, name
        assert set(access.buckets) <= buckets, name
        assert set(access.secrets) <= {"twilio", "vapid"}, name
        assert set(access.parameters) <= {"vapid-public"}, name
    for consumer in resources.CONSUMERS:
        assert consumer.function in permissions.FUNCTIONS, f"declare {consumer.function}"
    with pytest.raises(permissions.UndeclaredFunction, match=r"infra/permissions\.py"):
        permissions.access_for("brand_new_handler")


def test_helpers_spell_names_as_settings_and_aws_expect() -> None:
    from chalicelib.resources import rate_expression
    from infra.naming import camel, env_name, push_endpoint_arn

    assert env_name("messaging", "TABLE") == "MESSAGING_TABLE"
    assert env_name("outbound-sms", "QUEUE_URL") == "OUTBOUND_SMS_QUEUE_URL"
    assert camel("outbound-sms") == "OutboundSms"
    assert rate_expression(60) == "rate(1 minute)"
    assert rate_expression(300) == "rate(5 minutes)"
    with pytest.raises(ValueError):
        rate_expression(90)
    assert (
        push_endpoint_arn("arn:aws:sns:us-east-1:123456789012:app/GCM/texting")
        == "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/texting/*"
    )


def test_packaging_leaves_no_trace_in_the_caller(tmp_path: Path) -> None:
    from infra.parts.app import isolated_packaging

    before_env, before_cwd = dict(os.environ), os.getcwd()
    with isolated_packaging("eu-west-1") as build_dir:
        os.environ["STAGE"] = "leaked"
        (build_dir / "chalice.out").mkdir()
        assert os.getcwd() == str(build_dir)
        assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert dict(os.environ) == before_env and os.getcwd() == before_cwd
    assert not build_dir.exists()


def test_infra_tools_are_pinned() -> None:
    requirements = (REPO_ROOT / "requirements-dev.txt").read_text()
    for package in ("aws-cdk-lib", "constructs", "cfn-lint", "aws-sam-translator"):
        assert re.search(rf"^{package}==\S+$", requirements, re.M), package
    scanner = (REPO_ROOT / "infra" / "requirements-checkov.txt").read_text()
    lines = [line for line in scanner.splitlines() if line and not line.startswith("#")]
    assert "checkov==3.3.30" in lines and all("==" in line for line in lines)
    package_json = (REPO_ROOT / "infra" / "package.json").read_text()
    assert re.search(r'"aws-cdk": "\d+\.\d+\.\d+"', package_json)


# Flags whose deployed default is stated in infra/stages.py, each for a reason given there.
DEPLOYED_DEFAULTS = {"sms_default_provider": "twilio", "log_level": "INFO"}


def test_flag_defaults_are_read_from_settings_not_restated() -> None:
    import ast
    import dataclasses

    from chalicelib.settings import Settings

    settings_defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    stage_defaults = {f.name: f.default for f in dataclasses.fields(StageConfig)}
    source = ast.parse((REPO_ROOT / "infra" / "stages.py").read_text())
    config_class = next(
        node
        for node in source.body
        if isinstance(node, ast.ClassDef) and node.name == "StageConfig"
    )
    written = {
        node.target.id: node.value
        for node in config_class.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    for flag in FLAGS:
        if flag.field in DEPLOYED_DEFAULTS:
            assert stage_defaults[flag.field] == DEPLOYED_DEFAULTS[flag.field]
            continue
        assert stage_defaults[flag.field] == settings_defaults[flag.field], flag.field
        value = written[flag.field]
        assert (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "_setting"
            and isinstance(value.args[0], ast.Constant)
            and value.args[0].value == flag.field
        ), f"StageConfig.{flag.field} restates its default instead of reading Settings"


def test_shipped_stages_state_only_what_differs_from_the_defaults() -> None:
    import ast

    source = ast.parse((REPO_ROOT / "infra" / "stages.py").read_text())
    defaults = StageConfig(name="x")
    for node in ast.walk(source):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "StageConfig":
            for keyword in node.keywords:
                if keyword.arg == "name" or not isinstance(keyword.value, ast.Constant):
                    continue
                assert getattr(defaults, str(keyword.arg)) != keyword.value.value, (
                    f"a stage restates the default of {keyword.arg}"
                )


def test_make_deploy_refuses_prod_without_an_alarm_address() -> None:
    from infra import app

    with pytest.raises(SystemExit, match="alarms would reach nobody"):
        app.main({"stage": "prod", "deploy": "true"})  # what `make deploy STAGE=prod` passes


def test_cognito_mail_goes_through_ses_from_the_identity_or_its_domain() -> None:
    identity = "arn:aws:ses:us-east-1:123456789012:identity/acme.example"
    named = STAGES["dev"].with_overrides(
        cognito_email_from="Acme Texting <no-reply@acme.example>",
        cognito_ses_identity_arn=identity,
    )
    assert named.cognito_email_address == "no-reply@acme.example"
    address = "arn:aws:ses:us-east-1:123456789012:identity/ops@acme.example"
    bare = STAGES["dev"].with_overrides(
        cognito_email_from="ops@acme.example", cognito_ses_identity_arn=address
    )
    assert bare.cognito_email_address == "ops@acme.example"
    assert STAGES["dev"].cognito_email_from is None  # Cognito's own sender by default
