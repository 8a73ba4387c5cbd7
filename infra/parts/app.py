"""The Chalice app: packaged by Chalice's CDK construct, then wired to the stage.

Chalice's construct produces a SAM template and the deployment zip; what Chalice
can only know at import time — the placeholder event sources, the role, the
environment — is rewired here to the real resources of the stage.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from chalicelib import resources
from chalicelib.resources import rate_expression
from infra import permissions
from infra.naming import (
    CUSTOM_MESSAGE_FUNCTION,
    SERVICE_NAME,
    chalice_logical_id,
    env_name,
    fixed_function_name,
)
from infra.parts import Part
from infra.parts.auth import Auth
from infra.parts.data import Data
from infra.parts.messaging import Messaging
from infra.permissions import Access
from infra.stages import StageConfig

# Chalice needs some role ARN when it does not manage roles; every function's
# Role is replaced by the stack's own, and a test proves none is left behind.
_PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/replaced-by-infra-stack"
# Functions that give providers our status-callback URL (see attach_roles).
CALLBACK_SENDERS = frozenset({"sms_sender"})

# Gateway responses: API Gateway's own errors in the contract's error shape.
_ERROR_TEMPLATE = '{"error": {"code": "%s", "message": %s}}'
GATEWAY_RESPONSES: dict[str, tuple[int | None, str, str]] = {
    # response type: (status, or None to keep API Gateway's, code, message VTL)
    "UNAUTHORIZED": (401, "unauthorized", '"a valid Bearer IdToken is required"'),
    "ACCESS_DENIED": (401, "unauthorized", '"a valid Bearer IdToken is required"'),
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", '"no such route"'),
    "THROTTLED": (429, "too_many_requests", '"slow down"'),
    "QUOTA_EXCEEDED": (429, "too_many_requests", '"slow down"'),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", '"the request body is too large"'),
    "UNSUPPORTED_MEDIA_TYPE": (415, "unsupported_media_type", "$context.error.messageString"),
    "DEFAULT_4XX": (None, "bad_request", "$context.error.messageString"),
    "DEFAULT_5XX": (None, "internal_error", '"an internal error occurred"'),
}


@contextlib.contextmanager
def isolated_packaging(region: str) -> Iterator[Path]:
    """Run ``chalice package`` without side effects on the caller.

    Chalice's construct writes ``chalice.out/`` into the current directory and
    copies the app's environment variables into ``os.environ`` while it
    imports the app; CDK stages the zip and reads the template during
    construction, so a temporary directory and a restored environment leave
    nothing behind (no stray build output, no leaked variables in tests).
    """
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="texting-chalice-") as build_dir:
        os.environ["AWS_DEFAULT_REGION"] = region  # Chalice derives service principals from it
        os.chdir(build_dir)
        try:
            yield Path(build_dir)
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)


@dataclass(frozen=True)
class ChaliceFunction:
    """A Lambda function as Chalice packaged it."""

    logical_id: str
    properties: dict[str, Any]  # as packaged, before the stack's overrides
    resource: cdk.CfnResource

    @property
    def handler(self) -> str:
        return str(self.properties["Handler"])

    @property
    def events(self) -> dict[str, Any]:
        return dict(self.properties.get("Events", {}))


def api_url(scope: Construct, scheme: str, api: cdk.CfnResource, path: str) -> str:
    """``{scheme}://{api id}.execute-api.{region}.{url suffix}{path}`` for a deployed API."""
    stack = cdk.Stack.of(scope)
    return cdk.Fn.join(
        "",
        [f"{scheme}://", api.ref, ".execute-api.", stack.region, ".", stack.url_suffix, path],
    )


class ChaliceApp(Part):
    """The functions and APIs of ``app.py``, their event sources, logs and environment."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        project_dir: Path,
        declared: Mapping[str, Access],
        data: Data,
        messaging: Messaging,
        auth: Auth,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.declared = declared
        self.data = data
        self.messaging = messaging
        self.auth = auth
        self.removal = cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
        # Chalice's construct takes its stage from its scope's path: it must sit
        # directly in the stack (whose construct id is the stage name).
        self.chalice, self.functions, self.sam = self._package(cdk.Stack.of(self), project_dir)
        self.rest_api = self.chalice.get_resource("RestAPI")
        self.websocket_api = self.chalice.get_resource("WebsocketAPI")
        self.rest_api_stage_name = config.name
        self.rest_api_url = api_url(self, "https", self.rest_api, f"/{config.name}/")
        self.websocket_url = api_url(self, "wss", self.websocket_api, f"/{config.name}")
        self.websocket_management_url = api_url(
            self, "https", self.websocket_api, f"/{config.name}"
        )
        self.log_groups: dict[str, logs.CfnLogGroup] = {}
        self._wire_event_sources()
        self._wire_schedules()
        for name, function in self.functions.items():
            log_group = logs.CfnLogGroup(
                self, f"{function.logical_id}Logs", retention_in_days=config.log_retention_days
            )
            log_group.apply_removal_policy(self.removal)
            self.log_groups[name] = log_group
        self._configure_rest_api()
        self._configure_websocket_api()

    # -- packaging ----------------------------------------------------------

    def _package(
        self, stack: cdk.Stack, project_dir: Path
    ) -> tuple[Any, dict[str, ChaliceFunction], dict[str, Any]]:
        from chalice.cdk import Chalice

        stage_config = {
            "api_gateway_stage": self.config.name,
            "lambda_memory_size": self.config.lambda_memory_mb,
            # The stack gives each function its own least-privilege role.
            "manage_iam_role": False,
            "iam_role_arn": _PLACEHOLDER_ROLE,
            "autogen_policy": False,
        }
        with isolated_packaging(self.config.region) as build_dir:
            app = Chalice(stack, "App", source_dir=str(project_dir), stage_config=stage_config)
            sam_files = list(build_dir.glob("chalice.out/*/sam.json"))
            if len(sam_files) != 1:
                raise RuntimeError(f"expected one packaged SAM template, found {sam_files}")
            sam = json.loads(sam_files[0].read_text())
        by_logical_id = {
            logical_id: body
            for logical_id, body in sam["Resources"].items()
            if body["Type"] == "AWS::Serverless::Function"
        }
        names = set(self.declared) | {c.function for c in resources.CONSUMERS}
        names |= {s.function for s in resources.SCHEDULES}
        name_of = {chalice_logical_id(name): name for name in names}
        functions: dict[str, ChaliceFunction] = {}
        for logical_id, body in by_logical_id.items():
            name = name_of.get(logical_id)
            if name is None:
                raise permissions.UndeclaredFunction(
                    f"Lambda function {logical_id} (handler {body['Properties']['Handler']}) "
                    "has no entry in infra/permissions.py FUNCTIONS: declare the tables, "
                    "topics, queues, buckets and secrets it uses."
                )
            functions[name] = ChaliceFunction(
                logical_id=logical_id,
                properties=body["Properties"],
                resource=app.get_resource(logical_id),
            )
        # Fixed names: the Cognito trigger, the alarms and the CodeDeploy role name a
        # function without a reference to it, which would close a cycle (naming.py).
        for name, function in functions.items():
            function.resource.add_property_override("FunctionName", self.function_name(name))
        return app, functions, sam

    def function_name(self, function: str) -> str:
        """The deployed name of a function: ``texting-{stage}-{function}``."""
        return fixed_function_name(self.config.prefix, function)

    def function(self, name: str) -> ChaliceFunction:
        try:
            return self.functions[name]
        except KeyError:
            raise ValueError(
                f"chalicelib.resources names function {name!r}, but the Chalice app has no "
                f"such function (Chalice logical id {chalice_logical_id(name)})"
            ) from None

    def _event_named(self, function: ChaliceFunction, event_type: str) -> str:
        matches = [key for key, event in function.events.items() if event["Type"] == event_type]
        if len(matches) != 1:
            raise ValueError(
                f"{function.logical_id}: expected one {event_type} event source, found {matches}"
            )
        return matches[0]

    # -- event sources and timers -------------------------------------------

    def _wire_event_sources(self) -> None:
        """Point each consumer at its stage's real queue or stream (Chalice saw placeholders)."""
        for consumer in resources.CONSUMERS:
            function = self.function(consumer.function)
            if consumer.source_kind == "sqs":
                self._wire_queue_source(consumer, function)
            elif consumer.source_kind == "dynamodb-stream":
                self._wire_stream_source(consumer, function)
            else:
                raise ValueError(
                    f"{consumer.function}: unknown source kind {consumer.source_kind!r}"
                )

    def _wire_queue_source(self, consumer: resources.Consumer, function: ChaliceFunction) -> None:
        key = self._event_named(function, "SQS")
        declared = function.events[key]["Properties"]["Queue"]
        placeholder = resources.placeholder_queue(consumer.source)
        if placeholder not in json.dumps(declared):
            raise ValueError(
                f"{consumer.function} consumes {declared}, but resources.CONSUMERS "
                f"says queue {consumer.source!r} (placeholder {placeholder})"
            )
        spec = next(q for q in resources.QUEUES if q.logical == consumer.source)
        self._check_visibility(function, spec)
        _override(
            function.resource,
            f"Events.{key}.Properties",
            {
                "Queue": self.messaging.queue(consumer.source).queue_arn,
                "BatchSize": consumer.batch_size,
                # The consumers return Powertools partial-batch responses.
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            },
        )
        limit = self.max_concurrency().get(consumer.function)
        if limit is not None:
            function.resource.add_property_override(
                f"Events.{key}.Properties.ScalingConfig", {"MaximumConcurrency": limit}
            )

    def max_concurrency(self) -> dict[str, int]:
        """Queue consumers whose event source may start only so many invocations at once."""
        return {"sms_sender": self.config.sms_sender_max_concurrency}

    def _wire_stream_source(self, consumer: resources.Consumer, function: ChaliceFunction) -> None:
        key = self._event_named(function, "DynamoDB")
        declared = function.events[key]["Properties"]["Stream"]
        placeholder = resources.placeholder_stream_arn(consumer.source)
        if declared != placeholder:
            raise ValueError(
                f"{consumer.function} reads stream {declared}, but resources.CONSUMERS "
                f"says table {consumer.source!r} (placeholder {placeholder})"
            )
        table = self.data.table(consumer.source)
        if table.table_stream_arn is None:
            raise ValueError(f"table {consumer.source!r} has no stream to consume")
        # Without an on-failure destination one poison record would hold its
        # shard until the record expires (24 h); with it, the record's position
        # is parked here (and alarmed on) and the shard moves on.
        failures = self.messaging.stream_failure_queue(consumer.function)
        _override(
            function.resource,
            f"Events.{key}.Properties",
            {
                "Stream": table.table_stream_arn,
                "BatchSize": consumer.batch_size,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "BisectBatchOnFunctionError": True,
                "MaximumRetryAttempts": self.config.stream_max_retry_attempts,
                "MaximumRecordAgeInSeconds": self.config.stream_max_record_age_seconds,
                "DestinationConfig": {
                    "OnFailure": {"Type": "SQS", "Destination": failures.queue_arn}
                },
            },
        )

    def _check_visibility(self, function: ChaliceFunction, spec: resources.Queue) -> None:
        """Lambda refuses an SQS source whose visibility timeout is below the function timeout."""
        timeout = int(function.properties.get("Timeout", 60))
        if spec.visibility_timeout < timeout:
            raise ValueError(
                f"queue {spec.logical!r}: visibility timeout {spec.visibility_timeout}s is "
                f"shorter than {function.logical_id}'s timeout {timeout}s"
            )

    def _wire_schedules(self) -> None:
        """Timers run at the rate ``resources.SCHEDULES`` gives, as the local stack does."""
        for schedule in resources.SCHEDULES:
            function = self.function(schedule.function)
            key = self._event_named(function, "Schedule")
            function.resource.add_property_override(
                f"Events.{key}.Properties.Schedule", rate_expression(schedule.every_seconds)
            )

    # -- roles, logs, environment -------------------------------------------

    def attach_roles(self, roles: Mapping[str, iam.Role]) -> None:
        """Role, log group and environment for every function Chalice packaged."""
        environment = self.environment()
        for name, function in self.functions.items():
            function.resource.add_property_override("Role", roles[name].role_arn)
            function.resource.add_property_override(
                "LoggingConfig", {"LogGroup": self.log_groups[name].ref}
            )
            function.resource.add_property_override(
                "Tracing", "Active" if self.config.tracing else "PassThrough"
            )
            variables = environment
            if name in CALLBACK_SENDERS and not self.config.public_api_base_url:
                # Providers need an absolute status-callback URL. The REST API depends on
                # the API handler, so only functions outside it can be told the API's URL.
                variables = {
                    **environment,
                    "PUBLIC_API_BASE_URL": api_url(
                        self, "https", self.rest_api, f"/{self.config.name}"
                    ),
                }
            _override(function.resource, "Environment.Variables", variables)

    def tell_web_client_url(self, url: str) -> None:
        """The invitation mail names the web client's address (``WEB_CLIENT_URL``)."""
        self.functions[CUSTOM_MESSAGE_FUNCTION].resource.add_property_override(
            "Environment.Variables.WEB_CLIENT_URL", url
        )

    def environment(self) -> dict[str, str]:
        """Every variable settings.py reads, the same for every function."""
        env: dict[str, str] = {
            "STAGE": self.config.name,
            "RESOURCE_PREFIX": self.config.prefix,
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            **self.config.environment(),
            "WEBSOCKET_MANAGEMENT_URL": self.websocket_management_url,
            "COGNITO_USER_POOL_ID": self.auth.user_pool.user_pool_id,
            "COGNITO_CLIENT_ID": self.auth.user_pool_client.user_pool_client_id,
        }
        for logical, table in self.data.tables.items():
            env[env_name(logical, "TABLE")] = table.table_name
        for logical, topic in self.messaging.topics.items():
            env[env_name(logical, "TOPIC_ARN")] = topic.topic_arn
        for logical, queue in self.messaging.queues.items():
            env[env_name(logical, "QUEUE_URL")] = queue.queue_url
        for logical, bucket in self.data.buckets.items():
            env[env_name(logical, "BUCKET")] = bucket.bucket_name
        return env

    # -- APIs ---------------------------------------------------------------

    def _configure_rest_api(self) -> None:
        api = self.rest_api
        # A per-stage name keeps API Gateway's metrics (by ApiName) apart per stage.
        api.add_property_override("Name", self.config.prefix)
        api.add_property_override("DefinitionBody.info.title", self.config.prefix)
        api.add_property_override(
            "DefinitionBody.x-amazon-apigateway-gateway-responses", gateway_responses()
        )
        api.add_property_override("TracingEnabled", self.config.tracing)
        api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": self.config.api_throttle_rate,
                    "ThrottlingBurstLimit": self.config.api_throttle_burst,
                }
            ],
        )

    def _configure_websocket_api(self) -> None:
        self.websocket_api.add_property_override("Name", f"{self.config.prefix}-websocket")
        self.chalice.get_resource("WebsocketAPIStage").add_property_override(
            "DefaultRouteSettings",
            {
                "ThrottlingRateLimit": self.config.api_throttle_rate,
                "ThrottlingBurstLimit": self.config.api_throttle_burst,
            },
        )


def _override(resource: cdk.CfnResource, path: str, values: Mapping[str, Any]) -> None:
    """Set properties under ``path`` (dotted) of an included resource, one by one."""
    for key, value in values.items():
        resource.add_property_override(f"{path}.{key}", value)


def gateway_responses() -> dict[str, Any]:
    """API Gateway's own error responses in the contract's ``{"error": {...}}`` shape."""
    body: dict[str, Any] = {}
    for response_type, (status, code, message) in GATEWAY_RESPONSES.items():
        entry: dict[str, Any] = {
            "responseTemplates": {"application/json": _ERROR_TEMPLATE % (code, message)},
            "responseParameters": {
                "gatewayresponse.header.Content-Type": "'application/json'",
            },
        }
        if status is not None:
            entry["statusCode"] = str(status)  # a string in API Gateway's OpenAPI extension
        body[response_type] = entry
    return body
