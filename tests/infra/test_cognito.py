"""The user pool's mail, MFA and app client as the stage asks, and the trigger told the
web client's address."""

from __future__ import annotations

import pytest

from infra.naming import CUSTOM_MESSAGE_FUNCTION
from tests.infra import cfn
from tests.infra.conftest import PUSH_VARIANT, Synthesized

pytestmark = pytest.mark.infra


def _pool(stage: Synthesized) -> dict:
    (pool,) = cfn.of_type(stage.template, "AWS::Cognito::UserPool").values()
    return dict(pool["Properties"])


def test_the_app_client_signs_in_with_passwords_refreshes_and_revokes_tokens(
    variant: Synthesized,
) -> None:
    (client,) = cfn.of_type(variant.template, "AWS::Cognito::UserPoolClient").values()
    properties = client["Properties"]
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= set(
        properties["ExplicitAuthFlows"]
    )
    assert properties["EnableTokenRevocation"] is True


def test_mfa_is_by_authenticator_app_only(variant: Synthesized) -> None:
    pool = _pool(variant)
    expected = {"off": "OFF", "optional": "OPTIONAL", "required": "ON"}[variant.config.cognito_mfa]
    assert pool["MfaConfiguration"] == expected
    assert pool.get("EnabledMfas", []) == ["SOFTWARE_TOKEN_MFA"]  # never SMS codes


def test_mail_goes_through_ses_only_when_the_stage_names_an_identity(
    synthesized: dict[str, Synthesized],
) -> None:
    for name in ("dev", "prod"):  # Cognito's own sender (50 mails a day)
        configuration = _pool(synthesized[name]).get("EmailConfiguration", {})
        assert configuration.get("EmailSendingAccount", "COGNITO_DEFAULT") == "COGNITO_DEFAULT"
    options = synthesized[PUSH_VARIANT]
    assert _pool(options)["EmailConfiguration"] == {
        "EmailSendingAccount": "DEVELOPER",
        "From": options.config.cognito_email_from,
        "SourceArn": options.config.cognito_ses_identity_arn,
    }


def test_the_invitation_names_the_stages_web_client(stage: Synthesized) -> None:
    trigger = stage.stack.functions[CUSTOM_MESSAGE_FUNCTION].logical_id
    variables = cfn.props(stage.template, trigger)["Environment"]["Variables"]
    assert variables["WEB_CLIENT_URL"] == stage.template["Outputs"]["WebUrl"]["Value"]
    (distribution,) = cfn.of_type(stage.template, "AWS::CloudFront::Distribution")
    assert cfn.refs(variables["WEB_CLIENT_URL"]) == {distribution}
