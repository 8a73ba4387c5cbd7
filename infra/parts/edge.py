"""The APIs' edge: access logs for REST and WebSocket, the API Gateway CloudWatch
role they need, and the optional AWS WAF web ACL on the REST stage."""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.parts import Part
from infra.parts.app import ChaliceApp
from infra.stages import StageConfig

# One JSON line per request: enough to answer "who called what, and what happened".
REST_ACCESS_LOG = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "user": "$context.authorizer.principalId",
    "error": "$context.error.message",
    "waf": "$context.waf.status",
}
WEBSOCKET_ACCESS_LOG = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "eventType": "$context.eventType",
    "connectionId": "$context.connectionId",
    "status": "$context.status",
    "integrationLatency": "$context.integrationLatency",
    "error": "$context.error.message",
}
# The provider webhooks, rate limited per source IP when the web ACL is on.
WEBHOOK_PATH = "/webhooks/"


class Edge(Part):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, app: ChaliceApp
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        removal = cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
        self.rest_access_logs = logs.CfnLogGroup(
            self, "RestApiAccessLogs", retention_in_days=config.log_retention_days
        )
        self.websocket_access_logs = logs.CfnLogGroup(
            self, "WebSocketApiAccessLogs", retention_in_days=config.log_retention_days
        )
        for group in (self.rest_access_logs, self.websocket_access_logs):
            group.apply_removal_policy(removal)
        websocket_stage = app.chalice.get_resource("WebsocketAPIStage")
        app.rest_api.add_property_override(
            "AccessLogSetting",
            {
                "DestinationArn": self.rest_access_logs.attr_arn,
                "Format": json.dumps(REST_ACCESS_LOG),
            },
        )
        websocket_stage.add_property_override(
            "AccessLogSettings",
            {
                "DestinationArn": self.websocket_access_logs.attr_arn,
                "Format": json.dumps(WEBSOCKET_ACCESS_LOG),
            },
        )
        self.account: apigateway.CfnAccount | None = None
        if config.api_gateway_cloudwatch_role:
            # API Gateway writes access logs with the region's account-level role.
            role = iam.Role(
                self,
                "ApiGatewayCloudWatchRole",
                assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                description=f"{config.prefix}: API Gateway writes access logs",
                managed_policies=[
                    iam.ManagedPolicy.from_aws_managed_policy_name(
                        "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                    )
                ],
            )
            self.account = apigateway.CfnAccount(
                self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn
            )
            # Stages with access logging fail to create before the account has its role.
            app.rest_api.node.add_dependency(self.account)
            websocket_stage.node.add_dependency(self.account)
        self.web_acl: wafv2.CfnWebACL | None = None
        if config.waf_enabled:
            self.web_acl = self._web_acl()
            association = wafv2.CfnWebACLAssociation(
                self,
                "RestApiWebAcl",
                web_acl_arn=self.web_acl.attr_arn,
                resource_arn=cdk.Fn.join(
                    "",
                    [
                        f"arn:{cdk.Aws.PARTITION}:apigateway:{cdk.Aws.REGION}::/restapis/",
                        app.rest_api.ref,
                        f"/stages/{config.name}",
                    ],
                ),
            )
            # The stage exists only after the SAM transform, under SAM's logical id for it.
            association.add_override("DependsOn", [f"RestAPI{config.name}Stage"])
            cdk.Validations.of(association).acknowledge(
                cdk.Acknowledgment(
                    id="CloudFormation-Validate::E3005",
                    reason="the REST API stage is created by the SAM transform, under this id",
                )
            )

    def _web_acl(self) -> wafv2.CfnWebACL:
        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=f"{self.config.prefix}-{name}",
                sampled_requests_enabled=True,
            )

        return wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{self.config.prefix}-rest",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("rest"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="webhook-rate-limit",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    visibility_config=visibility("webhook-rate-limit"),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=self.config.waf_webhook_rate_limit,
                            aggregate_key_type="IP",
                            scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                                byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                                        uri_path={}
                                    ),
                                    positional_constraint="CONTAINS",
                                    search_string=WEBHOOK_PATH,
                                    text_transformations=[
                                        wafv2.CfnWebACL.TextTransformationProperty(
                                            priority=0, type="NONE"
                                        )
                                    ],
                                )
                            ),
                        )
                    ),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="aws-common-rule-set",
                    priority=1,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    visibility_config=visibility("aws-common-rule-set"),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS", name="AWSManagedRulesCommonRuleSet"
                        )
                    ),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="aws-known-bad-inputs",
                    priority=2,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    visibility_config=visibility("aws-known-bad-inputs"),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS", name="AWSManagedRulesKnownBadInputsRuleSet"
                        )
                    ),
                ),
            ],
        )
