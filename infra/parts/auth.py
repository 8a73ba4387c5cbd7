"""Auth: the Cognito user pool (admin-created users) and the app client."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.parts import Part
from infra.stages import StageConfig

MFA = {"off": cognito.Mfa.OFF, "optional": cognito.Mfa.OPTIONAL, "required": cognito.Mfa.REQUIRED}
THREAT_PROTECTION = {
    "off": None,
    "audit": cognito.StandardThreatProtectionMode.AUDIT_ONLY,
    "enforced": cognito.StandardThreatProtectionMode.FULL_FUNCTION,
}


class Auth(Part):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        prefix = config.prefix
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{prefix}-users",
            # Admins create users (docs/deploy.md); nobody signs themselves up.
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            sign_in_case_sensitive=False,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=False,
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Second factor by authenticator app (SMS codes would need an SNS role and cost).
            mfa=MFA[config.cognito_mfa],
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False)
            if config.cognito_mfa != "off"
            else None,
            # Threat protection (compromised credentials, risky sign-ins) is a Plus feature.
            feature_plan=cognito.FeaturePlan.PLUS
            if config.cognito_threat_protection != "off"
            else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=THREAT_PROTECTION[config.cognito_threat_protection],
            deletion_protection=config.retain_data,
            removal_policy=(
                cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
            ),
        )
        self.user_pool_client = self.user_pool.add_client(
            "AppClient",
            user_pool_client_name=f"{prefix}-app",
            generate_secret=False,  # web and mobile apps cannot keep a secret
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            prevent_user_existence_errors=True,
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.days(30),
            # The apps sign in with the Cognito API; the hosted UI's OAuth flows stay off
            # unless the stage names where they may send users back (authorization code only).
            disable_o_auth=not config.cognito_oauth_callback_urls,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
                callback_urls=list(config.cognito_oauth_callback_urls),
            )
            if config.cognito_oauth_callback_urls
            else None,
        )
