"""One CloudFormation stack per stage: data stores, messaging, auth, the Chalice app, alarms.

Everything application-shaped comes from ``chalicelib.resources`` (tables,
topics, queues, subscriptions, buckets, consumers, schedules) and is built by
iterating it, so a queue or consumer added there is deployed without touching
this module. The Chalice app is packaged by Chalice's own CDK construct (SAM
template + deployment zip); this stack then rewires what Chalice can only know
at import time — the placeholder event sources, the roles, the environment —
to the real resources of the stage.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib import resources
from chalicelib.resources import rate_expression
from infra import permissions
from infra.monitoring import MonitoredConsumer, Monitoring
from infra.permissions import Access
from infra.stages import StageConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICE_NAME = "texting"
# Chalice needs some role ARN when it does not manage roles; every function's
# Role is replaced by the stack's own, and a test proves none is left behind.
_PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/replaced-by-infra-stack"
# Marks resources that exist for operating the system (alarm topic, stream
# failure queues) rather than for the application, so the drift test against
# the local stack can tell them apart.
OPERATIONS_METADATA = {"texting:purpose": "operations"}

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


def camel(name: str) -> str:
    """``outbound-sms`` → ``OutboundSms``: a logical name as a CloudFormation id part."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name))


def env_name(logical: str, kind: str) -> str:
    """The variable a function reads a resource's name from: ``MESSAGING_TABLE``,
    ``EVENTS_TOPIC_ARN``, ``REALTIME_QUEUE_URL``, ``MEDIA_BUCKET`` (settings.py's names)."""
    return f"{re.sub(r'[^A-Za-z0-9]+', '_', logical).upper()}_{kind}"


def chalice_logical_id(function: str) -> str:
    """The SAM logical id Chalice gives a function (``chalice.package``'s naming)."""
    from chalice.utils import to_cfn_resource_name

    return "APIHandler" if function == "api_handler" else to_cfn_resource_name(function)


def push_endpoint_arn(application_arn: str) -> str:
    """The ARNs of the device endpoints an SNS platform application creates."""
    match = re.fullmatch(r"(arn:[^:]+:sns:[^:]*:[^:]*:)app/([^/]+)/([^/]+)", application_arn)
    if not match:
        raise ValueError(f"not an SNS platform application ARN: {application_arn!r}")
    return f"{match.group(1)}endpoint/{match.group(2)}/{match.group(3)}/*"


@contextlib.contextmanager
def _isolated_packaging(region: str) -> Iterator[Path]:
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


# Functions that give providers our status-callback URL (see _wire_functions).
CALLBACK_SENDERS = frozenset({"sms_sender"})


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


class TextingStack(cdk.Stack):
    """The whole system for one stage (``texting-{stage}``)."""

    def __init__(
        self,
        scope: Construct,
        *,
        config: StageConfig,
        project_dir: Path = REPO_ROOT,
        functions: Mapping[str, Access] | None = None,
        env: cdk.Environment | None = None,
    ) -> None:
        # The construct id is the stage name because Chalice's construct takes its
        # stage from its scope's path; the CloudFormation stack is texting-{stage}.
        super().__init__(
            scope,
            config.name,
            stack_name=config.stack_name,
            env=env or cdk.Environment(account=config.account, region=config.region),
            description=f"texting backend, stage {config.name}",
        )
        self.config = config
        self.prefix = config.prefix
        self.declared = permissions.FUNCTIONS if functions is None else functions
        self.data_removal = (
            cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
        )
        for key, value in {"app": SERVICE_NAME, "stage": config.name, **config.tags}.items():
            cdk.Tags.of(self).add(key, value)

        self.tables = {table.logical: self._table(table) for table in resources.TABLES}
        self.topics = {topic.logical: self._topic(topic) for topic in resources.TOPICS}
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for queue in resources.QUEUES:
            self._queue(queue)
        for subscription in resources.SUBSCRIPTIONS:
            self._subscription(subscription)
        self.buckets = {bucket.logical: self._bucket(bucket) for bucket in resources.BUCKETS}
        self.user_pool, self.user_pool_client = self._cognito()

        self.chalice, self.functions = self._chalice_app(project_dir)
        self.rest_api = self.chalice.get_resource("RestAPI")
        self.websocket_api = self.chalice.get_resource("WebsocketAPI")
        self.rest_api_url = self._api_url("https", self.rest_api, f"/{config.name}/")
        self.websocket_url = self._api_url("wss", self.websocket_api, f"/{config.name}")
        self.websocket_management_url = self._api_url(
            "https", self.websocket_api, f"/{config.name}"
        )
        self.stream_failure_queues: dict[str, sqs.Queue] = {}
        self.log_groups: dict[str, logs.CfnLogGroup] = {}
        self._wire_event_sources()
        self._wire_schedules()
        self._wire_functions()
        self._configure_rest_api()
        self._configure_websocket_api()
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            prefix=self.prefix,
            stage=config.name,
            rest_api_name=self.prefix,
            websocket_api_id=self.websocket_api.ref,
            functions={name: fn.resource.ref for name, fn in self.functions.items()},
            consumers=self._monitored_consumers(),
            dead_letter_queues={
                **{f"{k}-dlq": q for k, q in self.dead_letter_queues.items()},
                **{f"{k}-failures": q for k, q in self.stream_failure_queues.items()},
            },
            tables={k: t.table_name for k, t in self.tables.items()},
            topics={k: t.topic_name for k, t in self.topics.items()},
            lag_alarm_seconds=config.consumer_lag_alarm_seconds,
            alarm_email=config.alarm_email,
        )
        self._outputs()

    def _api_url(self, scheme: str, api: cdk.CfnResource, path: str) -> str:
        """``{scheme}://{api id}.execute-api.{region}.{url suffix}{path}`` for a deployed API."""
        return cdk.Fn.join(
            "",
            [f"{scheme}://", api.ref, ".execute-api.", self.region, ".", self.url_suffix, path],
        )

    # -- data and messaging -------------------------------------------------

    def _table(self, spec: resources.Table) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            f"{camel(spec.logical)}Table",
            table_name=resources.physical(self.prefix, spec.logical),
            partition_key=dynamodb.Attribute(
                name=spec.hash_key, type=dynamodb.AttributeType.STRING
            ),
            sort_key=(
                dynamodb.Attribute(name=spec.range_key, type=dynamodb.AttributeType.STRING)
                if spec.range_key
                else None
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            stream=dynamodb.StreamViewType(spec.stream) if spec.stream else None,
            time_to_live_attribute=spec.ttl_attribute,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=self.config.retain_data,
            removal_policy=self.data_removal,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(
                    name=index.hash_key, type=dynamodb.AttributeType.STRING
                ),
                sort_key=dynamodb.Attribute(
                    name=index.range_key, type=dynamodb.AttributeType.STRING
                ),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _topic(self, spec: resources.Topic) -> sns.Topic:
        inbound = spec.logical == self.config.sms_inbound_topic
        topic = sns.Topic(
            self,
            f"{camel(spec.logical)}Topic",
            topic_name=resources.physical(self.prefix, spec.logical),
            # AWS End User Messaging cannot publish to a topic under the AWS managed key.
            master_key=None
            if inbound
            else kms.Alias.from_alias_name(self, f"{camel(spec.logical)}TopicKey", "alias/aws/sns"),
            enforce_ssl=True,
        )
        if inbound:
            topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="EndUserMessagingTwoWay",
                    principals=[iam.ServicePrincipal("sms-voice.amazonaws.com")],
                    actions=["sns:Publish"],
                    resources=[topic.topic_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": self.account}},
                )
            )
        return topic

    def _queue(self, spec: resources.Queue) -> None:
        dead_letter = None
        if spec.dead_letter:
            dlq = sqs.Queue(
                self,
                f"{camel(spec.logical)}DeadLetterQueue",
                queue_name=resources.physical(self.prefix, spec.dlq_logical),
                retention_period=cdk.Duration.days(14),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            self.dead_letter_queues[spec.logical] = dlq
            dead_letter = sqs.DeadLetterQueue(max_receive_count=spec.max_receive_count, queue=dlq)
        self.queues[spec.logical] = sqs.Queue(
            self,
            f"{camel(spec.logical)}Queue",
            queue_name=resources.physical(self.prefix, spec.logical),
            visibility_timeout=cdk.Duration.seconds(spec.visibility_timeout),
            dead_letter_queue=dead_letter,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )

    def _subscription(self, spec: resources.Subscription) -> None:
        topic, queue = self._topic_named(spec.topic), self._queue_named(spec.queue)
        queue.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"From{camel(spec.topic)}Topic",
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[queue.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": topic.topic_arn}},
            )
        )
        subscription = sns.CfnSubscription(
            self,
            f"{camel(spec.topic)}To{camel(spec.queue)}Subscription",
            topic_arn=topic.topic_arn,
            protocol="sqs",
            endpoint=queue.queue_arn,
            raw_message_delivery=spec.raw_message_delivery,
            filter_policy=dict(spec.filter_policy) if spec.filter_policy else None,
            filter_policy_scope="MessageAttributes" if spec.filter_policy else None,
        )
        policy = queue.node.try_find_child("Policy")  # the QueuePolicy add_to_resource_policy made
        if policy is not None:
            # Deliveries before the queue policy exists would be refused and lost.
            subscription.node.add_dependency(policy)

    def _bucket(self, spec: resources.Bucket) -> s3.Bucket:
        rules = [
            s3.LifecycleRule(
                id=f"expire-{prefix.strip('/').replace('/', '-') or 'all'}",
                prefix=prefix,
                expiration=cdk.Duration.days(spec.expire_days),
            )
            for prefix in spec.expire_prefixes
        ]
        rules.append(
            s3.LifecycleRule(
                id="abort-incomplete-uploads",
                abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
            )
        )
        return s3.Bucket(
            self,
            f"{camel(spec.logical)}Bucket",
            # Bucket names are global: CloudFormation picks a unique one, and the
            # functions learn it from MEDIA_BUCKET (never from the prefix).
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            lifecycle_rules=rules,
            cors=[
                # Clients upload by presigned POST and read by presigned GET.
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.GET, s3.HttpMethods.POST],
                    allowed_origins=["*"],
                    allowed_headers=["*"],
                    max_age=3000,
                )
            ],
            # User media outlives a stack deletion on every stage; empty it by hand.
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def _cognito(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{self.prefix}-users",
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
            deletion_protection=self.config.retain_data,
            removal_policy=self.data_removal,
        )
        client = pool.add_client(
            "AppClient",
            user_pool_client_name=f"{self.prefix}-app",
            generate_secret=False,  # web and mobile apps cannot keep a secret
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            prevent_user_existence_errors=True,
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.days(30),
        )
        return pool, client

    # -- the Chalice app ----------------------------------------------------

    def _chalice_app(self, project_dir: Path) -> tuple[Any, dict[str, ChaliceFunction]]:
        from chalice.cdk import Chalice

        stage_config = {
            "api_gateway_stage": self.config.name,
            "lambda_memory_size": self.config.lambda_memory_mb,
            # The stack gives each function its own least-privilege role.
            "manage_iam_role": False,
            "iam_role_arn": _PLACEHOLDER_ROLE,
            "autogen_policy": False,
        }
        with _isolated_packaging(self.config.region) as build_dir:
            app = Chalice(self, "App", source_dir=str(project_dir), stage_config=stage_config)
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
        return app, functions

    def _function(self, name: str) -> ChaliceFunction:
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

    def _wire_event_sources(self) -> None:
        """Point each consumer at its stage's real queue or stream (Chalice saw placeholders)."""
        for consumer in resources.CONSUMERS:
            function = self._function(consumer.function)
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
                "Queue": self._queue_named(consumer.source).queue_arn,
                "BatchSize": consumer.batch_size,
                # The consumers return Powertools partial-batch responses.
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            },
        )

    def _wire_stream_source(self, consumer: resources.Consumer, function: ChaliceFunction) -> None:
        key = self._event_named(function, "DynamoDB")
        declared = function.events[key]["Properties"]["Stream"]
        placeholder = resources.placeholder_stream_arn(consumer.source)
        if declared != placeholder:
            raise ValueError(
                f"{consumer.function} reads stream {declared}, but resources.CONSUMERS "
                f"says table {consumer.source!r} (placeholder {placeholder})"
            )
        table = self._table_named(consumer.source)
        if table.table_stream_arn is None:
            raise ValueError(f"table {consumer.source!r} has no stream to consume")
        # Without an on-failure destination one poison record would hold its
        # shard until the record expires (24 h); with it, the record's position
        # is parked here (and alarmed on) and the shard moves on.
        failures = sqs.Queue(
            self,
            f"{camel(consumer.function)}FailureQueue",
            queue_name=resources.physical(
                self.prefix, f"{consumer.function.replace('_', '-')}-failures"
            ),
            retention_period=cdk.Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        _mark_operational(failures)
        self.stream_failure_queues[consumer.function] = failures
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
        timeout = self._chalice_timeout(function)
        if spec.visibility_timeout < timeout:
            raise ValueError(
                f"queue {spec.logical!r}: visibility timeout {spec.visibility_timeout}s is "
                f"shorter than {function.logical_id}'s timeout {timeout}s"
            )

    def _chalice_timeout(self, function: ChaliceFunction) -> int:
        return int(function.properties.get("Timeout", 60))

    def _wire_schedules(self) -> None:
        """Timers run at the rate ``resources.SCHEDULES`` gives, as the local stack does."""
        for schedule in resources.SCHEDULES:
            function = self._function(schedule.function)
            key = self._event_named(function, "Schedule")
            function.resource.add_property_override(
                f"Events.{key}.Properties.Schedule", rate_expression(schedule.every_seconds)
            )

    def _wire_functions(self) -> None:
        """Role, log group and environment for every function Chalice packaged."""
        environment = self._environment()
        for name, function in self.functions.items():
            log_group = logs.CfnLogGroup(
                self,
                f"{function.logical_id}Logs",
                retention_in_days=self.config.log_retention_days,
            )
            log_group.apply_removal_policy(self.data_removal)
            self.log_groups[name] = log_group
            role = iam.Role(
                self,
                f"{function.logical_id}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"{self.prefix} {name}: only what infra/permissions.py declares",
                # Inline, so the policy exists before the function and its event
                # source mapping (which checks the role's SQS/stream access).
                inline_policies={
                    "access": iam.PolicyDocument(statements=self._statements(name, log_group))
                },
            )
            function.resource.add_property_override("Role", role.role_arn)
            function.resource.add_property_override("LoggingConfig", {"LogGroup": log_group.ref})
            variables = environment
            if name in CALLBACK_SENDERS and not self.config.public_api_base_url:
                # Providers need an absolute status-callback URL. The REST API depends on
                # the API handler, so only functions outside it can be told the API's URL.
                variables = {
                    **environment,
                    "PUBLIC_API_BASE_URL": self._api_url(
                        "https", self.rest_api, f"/{self.config.name}"
                    ),
                }
            _override(function.resource, "Environment.Variables", variables)

    def _environment(self) -> dict[str, str]:
        """Every variable settings.py reads, the same for every function."""
        env: dict[str, str] = {
            "STAGE": self.config.name,
            "RESOURCE_PREFIX": self.prefix,
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            **self.config.environment(),
            "WEBSOCKET_MANAGEMENT_URL": self.websocket_management_url,
            "COGNITO_USER_POOL_ID": self.user_pool.user_pool_id,
            "COGNITO_CLIENT_ID": self.user_pool_client.user_pool_client_id,
        }
        for logical, table in self.tables.items():
            env[env_name(logical, "TABLE")] = table.table_name
        for logical, topic in self.topics.items():
            env[env_name(logical, "TOPIC_ARN")] = topic.topic_arn
        for logical, queue in self.queues.items():
            env[env_name(logical, "QUEUE_URL")] = queue.queue_url
        for logical, bucket in self.buckets.items():
            env[env_name(logical, "BUCKET")] = bucket.bucket_name
        return env

    # -- least privilege ----------------------------------------------------

    def _statements(self, name: str, log_group: logs.CfnLogGroup) -> list[iam.PolicyStatement]:
        """The function's policy: exactly the declared access, resource by resource."""
        access = permissions.access_for(name, self.declared)
        statements = [
            iam.PolicyStatement(
                sid="Logs", actions=list(permissions.LOG_ACTIONS), resources=[log_group.attr_arn]
            )
        ]
        for logical, level in sorted(access.tables.items()):
            table = self._table_named(logical)
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
                    resources=[self._topic_named(logical).topic_arn],
                )
            )
        for logical in access.send:
            statements.append(
                iam.PolicyStatement(
                    sid=f"Send{camel(logical)}",
                    actions=list(permissions.QUEUE_SEND_ACTIONS),
                    resources=[self._queue_named(logical).queue_arn],
                )
            )
        for logical, bucket_level in sorted(access.buckets.items()):
            bucket = self._bucket_named(logical)
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
                        self.format_arn(
                            service="secretsmanager",
                            resource="secret",
                            # Secrets Manager appends six random characters to the name.
                            resource_name=f"{secret_name}-??????",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
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
                        self.format_arn(
                            service="execute-api",
                            resource=self.websocket_api.ref,
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
                        self.format_arn(service="sms-voice", resource=kind, resource_name="*")
                        for kind in ("phone-number", "pool", "configuration-set")
                    ],
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
                        resources=[self._queue_named(consumer.source).queue_arn],
                    )
                )
            else:
                table = self._table_named(consumer.source)
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
                        resources=[self.stream_failure_queues[consumer.function].queue_arn],
                    ),
                ]
        return statements

    def _secret_name(self, provider: str) -> str:
        names = {"twilio": self.config.twilio_secret_name}
        try:
            return names[provider]
        except KeyError:
            raise ValueError(f"no secret name configured for provider {provider!r}") from None

    # -- APIs ---------------------------------------------------------------

    def _configure_rest_api(self) -> None:
        api = self.rest_api
        # A per-stage name keeps API Gateway's metrics (by ApiName) apart per stage.
        api.add_property_override("Name", self.prefix)
        api.add_property_override("DefinitionBody.info.title", self.prefix)
        api.add_property_override(
            "DefinitionBody.x-amazon-apigateway-gateway-responses", gateway_responses()
        )
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
        self.websocket_api.add_property_override("Name", f"{self.prefix}-websocket")
        self.chalice.get_resource("WebsocketAPIStage").add_property_override(
            "DefaultRouteSettings",
            {
                "ThrottlingRateLimit": self.config.api_throttle_rate,
                "ThrottlingBurstLimit": self.config.api_throttle_burst,
            },
        )

    # -- monitoring and outputs ---------------------------------------------

    def _monitored_consumers(self) -> list[MonitoredConsumer]:
        consumers = []
        for consumer in resources.CONSUMERS:
            function = self.functions[consumer.function]
            consumers.append(
                MonitoredConsumer(
                    name=consumer.function,
                    function_name=function.resource.ref,
                    queue=self.queues[consumer.source] if consumer.source_kind == "sqs" else None,
                )
            )
        return consumers

    def _outputs(self) -> None:
        outputs: dict[str, tuple[str, str]] = {
            "RestApiUrl": (self.rest_api_url, "REST API base URL"),
            "WebSocketUrl": (self.websocket_url, "WebSocket URL (append ?token=<IdToken>)"),
            "WebSocketManagementUrl": (
                self.websocket_management_url,
                "API Gateway Management API endpoint of the WebSocket API",
            ),
            "UserPoolId": (self.user_pool.user_pool_id, "Cognito user pool id"),
            "UserPoolClientId": (
                self.user_pool_client.user_pool_client_id,
                "Cognito app client id (USER_PASSWORD_AUTH, USER_SRP_AUTH)",
            ),
            "Region": (self.region, "AWS region of the stage"),
            "TwilioSmsWebhookUrl": (
                cdk.Fn.join("", [self.rest_api_url, "webhooks/twilio/sms"]),
                "Twilio: 'A message comes in' webhook (HTTP POST)",
            ),
            "TwilioStatusCallbackUrl": (
                cdk.Fn.join("", [self.rest_api_url, "webhooks/twilio/status"]),
                "Twilio: status callback URL",
            ),
            "AlarmTopicArn": (self.monitoring.alarm_topic.topic_arn, "SNS topic of all alarms"),
            "DashboardName": (self.monitoring.dashboard_name, "CloudWatch dashboard"),
        }
        for logical, table in self.tables.items():
            outputs[f"{camel(logical)}TableName"] = (table.table_name, f"table {logical}")
        for logical, topic in self.topics.items():
            outputs[f"{camel(logical)}TopicArn"] = (topic.topic_arn, f"topic {logical}")
        for logical, queue in self.queues.items():
            outputs[f"{camel(logical)}QueueUrl"] = (queue.queue_url, f"queue {logical}")
        for logical, bucket in self.buckets.items():
            outputs[f"{camel(logical)}BucketName"] = (bucket.bucket_name, f"bucket {logical}")
        for key, (value, description) in outputs.items():
            cdk.CfnOutput(self, key, value=value, description=description)

    # -- lookups with errors that name the culprit --------------------------

    def _table_named(self, logical: str) -> dynamodb.Table:
        return _lookup(self.tables, logical, "table")

    def _topic_named(self, logical: str) -> sns.Topic:
        return _lookup(self.topics, logical, "topic")

    def _queue_named(self, logical: str) -> sqs.Queue:
        return _lookup(self.queues, logical, "queue")

    def _bucket_named(self, logical: str) -> s3.Bucket:
        return _lookup(self.buckets, logical, "bucket")


def _lookup(known: Mapping[str, Any], logical: str, kind: str) -> Any:
    try:
        return known[logical]
    except KeyError:
        raise ValueError(
            f"no {kind} {logical!r} in chalicelib.resources (known: {', '.join(sorted(known))})"
        ) from None


def _override(resource: cdk.CfnResource, path: str, values: Mapping[str, Any]) -> None:
    """Set properties under ``path`` (dotted) of an included resource, one by one."""
    for key, value in values.items():
        resource.add_property_override(f"{path}.{key}", value)


def _mark_operational(construct: Construct) -> None:
    default = construct.node.default_child
    assert isinstance(default, cdk.CfnResource)
    for key, value in OPERATIONS_METADATA.items():
        default.add_metadata(key, value)


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
