"""Auth: the Cognito user pool (admin-created users), its mail and the app client.

Invitations and reset codes are composed by the ``cognito_messages`` function
(Cognito's CustomMessage trigger, through its alias) and sent by Cognito's own
sender (50 a day) or, when the stage names an SES identity, by SES from the
operator's address. MFA is by authenticator app only (TOTP): required, or
optional for each user to turn on in their profile, or off.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.naming import (
    CUSTOM_MESSAGE_FUNCTION,
    alias_arn,
    chalice_logical_id,
    fixed_function_name,
    sam_alias_ref,
)
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
            # Signing out revokes the refresh token (RevokeToken) and what it issued.
            enable_token_revocation=True,
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
        self._mail(config)

    def _mail(self, config: StageConfig) -> None:
        pool = self.user_pool.node.default_child
        assert isinstance(pool, cognito.CfnUserPool)
        if config.cognito_email_from and config.cognito_ses_identity_arn:
            pool.add_property_override(
                "EmailConfiguration",
                {
                    "EmailSendingAccount": "DEVELOPER",
                    "From": config.cognito_email_from,
                    "SourceArn": config.cognito_ses_identity_arn,
                },
            )
        # By ARN, not by reference (see naming.CUSTOM_MESSAGE_FUNCTION): the alias may not
        # exist yet when the pool is created, and Cognito only calls it once it does.
        trigger = alias_arn(self, fixed_function_name(config.prefix, CUSTOM_MESSAGE_FUNCTION))
        pool.add_property_override("LambdaConfig.CustomMessage", trigger)
        self.custom_message_trigger = trigger
        # Cognito may invoke the trigger's alias, for this pool only.
        permission = lambda_.CfnPermission(
            self,
            "CustomMessagePermission",
            action="lambda:InvokeFunction",
            function_name=chalice_logical_id(CUSTOM_MESSAGE_FUNCTION),  # replaced below
            principal="cognito-idp.amazonaws.com",
            source_arn=self.user_pool.user_pool_arn,
            source_account=cdk.Stack.of(self).account,
        )
        permission.function_name = sam_alias_ref(
            permission, chalice_logical_id(CUSTOM_MESSAGE_FUNCTION)
        )
