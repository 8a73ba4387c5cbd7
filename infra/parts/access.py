"""IAM: one role per function whose inline policy is exactly what ``infra/permissions.py``
declares for it, resource by resource, plus what its event source needs."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from chalicelib import resources
from infra import permissions
from infra.naming import camel, push_endpoint_arn
from infra.parts import Part
from infra.parts.data import Data
from infra.parts.messaging import Messaging
from infra.permissions import Access
from infra.stages import StageConfig


class FunctionRoles(Part):
    """``roles[function]``: the role each function runs with."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        declared: Mapping[str, Access],
        data: Data,
        messaging: Messaging,
        websocket_api_id: str,
        user_pool_arn: str,
        functions: Mapping[str, str],  # name → Chalice logical id
        log_groups: Mapping[str, logs.CfnLogGroup],
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.declared = declared
        self.data = data
        self.messaging = messaging
        self.websocket_api_id = websocket_api_id
        self.user_pool_arn = user_pool_arn
        self.roles: dict[str, iam.Role] = {}
        for name, logical_id in functions.items():
            self.roles[name] = iam.Role(
                self,
                f"{logical_id}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"{config.prefix} {name}: only what infra/permissions.py declares",
                # Inline, so the policy exists before the function and its event
                # source mapping (which checks the role's SQS/stream access).
                inline_policies={
                    "access": iam.PolicyDocument(statements=self.statements(name, log_groups[name]))
                },
            )

    def statements(self, name: str, log_group: logs.CfnLogGroup) -> list[iam.PolicyStatement]:
        """The function's policy: exactly the declared access, resource by resource."""
        access = permissions.access_for(name, self.declared)
        stack = cdk.Stack.of(self)
        statements = [
            iam.PolicyStatement(
                sid="Logs", actions=list(permissions.LOG_ACTIONS), resources=[log_group.attr_arn]
            )
        ]
        for logical, level in sorted(access.tables.items()):
            table = self.data.table(logical)
            spec = next(t for t in resources.TABLES if t.logical == logical)
            actions = list(permissions.TABLE_READ_ACTIONS)
            if level == "read-write":
                actions += permissions.TABLE_WRITE_ACTIONS
            arns = [table.table_arn] + [f"{table.table_arn}/index/{i.name}" for i in spec.indexes]
            statements.append(
                iam.PolicyStatement(sid=f"{camel(logical)}Table", actions=actions, resources=arns)
            )
        for logical in access.publish:
            statements.append(
                iam.PolicyStatement(
                    sid=f"Publish{camel(logical)}",
                    actions=list(permissions.TOPIC_PUBLISH_ACTIONS),
                    resources=[self.messaging.topic(logical).topic_arn],
                )
            )
        for logical in access.send:
            statements.append(
                iam.PolicyStatement(
                    sid=f"Send{camel(logical)}",
                    actions=list(permissions.QUEUE_SEND_ACTIONS),
                    resources=[self.messaging.queue(logical).queue_arn],
                )
            )
        for logical, bucket_level in sorted(access.buckets.items()):
            bucket = self.data.bucket(logical)
            statements.append(
                iam.PolicyStatement(
                    sid=f"{camel(logical)}Objects",
                    actions=list(permissions.BUCKET_ACTIONS[bucket_level]),
                    resources=[bucket.arn_for_objects("*")],
                )
            )
        for provider in access.secrets:
            secret_name = self._secret_name(provider)
            statements.append(
                iam.PolicyStatement(
                    sid=f"{camel(provider)}Secret",
                    actions=list(permissions.SECRET_READ_ACTIONS),
                    resources=[
                        stack.format_arn(
                            service="secretsmanager",
                            resource="secret",
                            # Secrets Manager appends six random characters to the name.
                            resource_name=f"{secret_name}-??????",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    ],
                )
            )
        for parameter in access.parameters:
            parameter_name = self._parameter_name(parameter)
            statements.append(
                iam.PolicyStatement(
                    sid=f"{camel(parameter)}Parameter",
                    actions=list(permissions.PARAMETER_READ_ACTIONS),
                    resources=[
                        stack.format_arn(
                            service="ssm",
                            resource="parameter",
                            # a name starting with "/" is the ARN's path as it is
                            resource_name=parameter_name.lstrip("/"),
                        )
                    ],
                )
            )
        if access.manage_connections:
            statements.append(
                iam.PolicyStatement(
                    sid="WebSocketConnections",
                    actions=list(permissions.MANAGE_CONNECTIONS_ACTIONS),
                    resources=[
                        stack.format_arn(
                            service="execute-api",
                            resource=self.websocket_api_id,
                            resource_name=f"{self.config.name}/{method}/@connections/*",
                        )
                        for method in ("POST", "DELETE")
                    ],
                )
            )
        if access.send_sms:
            statements.append(
                iam.PolicyStatement(
                    sid="SendSms",
                    actions=list(permissions.SEND_SMS_ACTIONS),
                    resources=[
                        stack.format_arn(service="sms-voice", resource=kind, resource_name="*")
                        for kind in ("phone-number", "pool", "configuration-set")
                    ],
                )
            )
        if access.read_registrations:
            statements.append(
                iam.PolicyStatement(
                    sid="ReadRegistrations",
                    actions=list(permissions.READ_REGISTRATIONS_ACTIONS),
                    resources=[
                        stack.format_arn(
                            service="sms-voice", resource="registration", resource_name="*"
                        )
                    ],
                )
            )
        if access.read_sms_account:
            statements += [
                iam.PolicyStatement(
                    sid="ReadSmsAccount",
                    actions=list(permissions.SMS_ACCOUNT_ACTIONS),
                    resources=["*"],  # account-wide: IAM names no resource for these
                ),
                iam.PolicyStatement(
                    sid="ReadVerifiedDestinations",
                    actions=list(permissions.VERIFIED_DESTINATIONS_ACTIONS),
                    resources=[
                        stack.format_arn(
                            service="sms-voice",
                            resource="verified-destination-number",
                            resource_name="*",
                        )
                    ],
                ),
            ]
        if access.manage_users:
            statements.append(
                iam.PolicyStatement(
                    sid="ManageUsers",
                    actions=list(permissions.USER_ADMIN_ACTIONS),
                    resources=[self.user_pool_arn],
                )
            )
        if self.config.tracing:
            statements.append(
                iam.PolicyStatement(
                    sid="XRay",
                    actions=list(permissions.TRACE_ACTIONS),
                    resources=["*"],  # X-Ray has no resource-level permissions
                )
            )
        statements += self._push_statements(access)
        statements += self._source_statements(name)
        return statements

    def _push_statements(self, access: Access) -> list[iam.PolicyStatement]:
        applications = [
            arn
            for arn in (
                self.config.push_apns_application_arn,
                self.config.push_fcm_application_arn,
            )
            if arn
        ]
        if not applications:
            return []  # push is off: the app registers devices without endpoints
        endpoints = [push_endpoint_arn(arn) for arn in applications]
        statements = []
        if "register" in access.push:
            statements.append(
                iam.PolicyStatement(
                    sid="PushRegister",
                    actions=list(permissions.PUSH_REGISTER_ACTIONS),
                    resources=applications,
                )
            )
            statements.append(
                iam.PolicyStatement(
                    sid="PushUnregister",
                    actions=list(permissions.PUSH_UNREGISTER_ACTIONS),
                    resources=endpoints,
                )
            )
        if "send" in access.push:
            statements.append(
                iam.PolicyStatement(
                    sid="PushSend",
                    actions=list(permissions.PUSH_SEND_ACTIONS),
                    resources=endpoints,
                )
            )
        return statements

    def _source_statements(self, name: str) -> list[iam.PolicyStatement]:
        """What the function's event source mapping needs to poll its source."""
        statements = []
        for consumer in resources.CONSUMERS:
            if consumer.function != name:
                continue
            if consumer.source_kind == "sqs":
                statements.append(
                    iam.PolicyStatement(
                        sid=f"Consume{camel(consumer.source)}",
                        actions=list(permissions.QUEUE_CONSUME_ACTIONS),
                        resources=[self.messaging.queue(consumer.source).queue_arn],
                    )
                )
            else:
                table = self.data.table(consumer.source)
                assert table.table_stream_arn is not None
                statements += [
                    iam.PolicyStatement(
                        sid=f"Read{camel(consumer.source)}Stream",
                        actions=list(permissions.STREAM_READ_ACTIONS),
                        resources=[table.table_stream_arn],
                    ),
                    iam.PolicyStatement(
                        sid=f"List{camel(consumer.source)}Streams",
                        actions=list(permissions.STREAM_LIST_ACTIONS),
                        resources=[f"{table.table_arn}/stream/*"],
                    ),
                    iam.PolicyStatement(
                        sid="StreamFailures",
                        actions=list(permissions.QUEUE_SEND_ACTIONS),
                        resources=[self.messaging.stream_failure_queues[name].queue_arn],
                    ),
                ]
        return statements

    def _parameter_name(self, parameter: str) -> str:
        names = {"vapid-public": self.config.webpush_public_key_parameter}
        try:
            return names[parameter]
        except KeyError:
            raise ValueError(f"no parameter name configured for {parameter!r}") from None

    def _secret_name(self, provider: str) -> str:
        names = {
            "twilio": self.config.twilio_secret_name,
            "vapid": self.config.webpush_vapid_secret_name,
        }
        try:
            return names[provider]
        except KeyError:
            raise ValueError(f"no secret name configured for provider {provider!r}") from None
