"""One CloudFormation stack per stage, composed of the parts in ``infra/parts/``.

Everything application-shaped comes from ``chalicelib.resources`` (tables,
topics, queues, subscriptions, buckets, consumers, schedules) and is built by
iterating it, so a queue or consumer added there is deployed without touching
``infra/``. The parts are grouping constructs that the stack leaves out of
logical ids (``Part``), so the resources keep the ids they were deployed with.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from chalicelib import resources
from infra import permissions
from infra.naming import SERVICE_NAME, camel, unique_id
from infra.parts import Part
from infra.parts.access import FunctionRoles
from infra.parts.app import ChaliceApp
from infra.parts.auth import Auth
from infra.parts.data import Data
from infra.parts.edge import Edge
from infra.parts.messaging import Messaging
from infra.parts.monitoring import MonitoredConsumer, Monitoring
from infra.parts.push import WebPushKey
from infra.parts.releases import Releases
from infra.parts.search import Search
from infra.parts.web import WebClient, built_client
from infra.permissions import Access
from infra.scanner import CheckovSuppressions
from infra.stages import StageConfig

REPO_ROOT = Path(__file__).resolve().parent.parent


class TextingStack(cdk.Stack):
    """The whole system for one stage (``texting-{stage}``)."""

    def __init__(
        self,
        scope: Construct,
        *,
        config: StageConfig,
        project_dir: Path = REPO_ROOT,
        functions: Mapping[str, Access] | None = None,
        web_dist: Path | None = None,
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
        web_dist = web_dist or project_dir / "web" / "dist"
        built_client(web_dist)  # before packaging: a missing build fails at once
        declared = permissions.FUNCTIONS if functions is None else functions
        for key, value in {"app": SERVICE_NAME, "stage": config.name, **config.tags}.items():
            cdk.Tags.of(self).add(key, value)

        self.data = Data(self, "Data", config=config)
        self.messaging = Messaging(self, "Messaging", config=config)
        self.auth = Auth(self, "Auth", config=config)
        self.webpush_key = WebPushKey(self, "WebPush", config=config)
        self.app = ChaliceApp(
            self,
            "Functions",
            config=config,
            project_dir=project_dir,
            declared=declared,
            data=self.data,
            messaging=self.messaging,
            auth=self.auth,
        )
        self.access = FunctionRoles(
            self,
            "Access",
            config=config,
            declared=declared,
            data=self.data,
            messaging=self.messaging,
            websocket_api_id=self.app.websocket_api.ref,
            user_pool_arn=self.auth.user_pool.user_pool_arn,
            functions={name: fn.logical_id for name, fn in self.app.functions.items()},
            log_groups=self.app.log_groups,
        )
        self.app.attach_roles(self.access.roles)
        self.functions = self.app.functions
        self.search = Search(self, "Search", config=config, app=self.app, roles=self.access.roles)
        self.edge = Edge(self, "Edge", config=config, app=self.app)
        self.web = WebClient(
            self,
            "Web",
            config=config,
            dist=web_dist,
            app=self.app,
            auth=self.auth,
            media_bucket=self.data.bucket("media"),
        )
        self.app.tell_web_client_url(self.web.url)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            prefix=self.prefix,
            stage=config.name,
            rest_api_name=self.prefix,
            websocket_api_id=self.app.websocket_api.ref,
            functions={name: self.app.function_name(name) for name in self.app.functions},
            consumers=self._monitored_consumers(),
            dead_letter_queues={
                **{f"{k}-dlq": q for k, q in self.messaging.dead_letter_queues.items()},
                **{f"{k}-failures": q for k, q in self.messaging.stream_failure_queues.items()},
            },
            tables={k: t.table_name for k, t in self.data.tables.items()},
            topics={k: t.topic_name for k, t in self.messaging.topics.items()},
            lag_alarm_seconds=config.consumer_lag_alarm_seconds,
            alarm_email=config.alarm_email,
            topic_key=self.messaging.topic_key,
            sms_queue=self.messaging.queue(resources.SMS_OUTBOUND_QUEUE.logical),
            sms_waiting_alarm_minutes=config.sms_waiting_alarm_minutes,
            monthly_budget_usd=config.monthly_budget_usd,
        )
        if self.search.domain is not None:
            from infra.parts.search import search_alarms

            search_alarms(
                self.monitoring,
                self.messaging.queue(resources.SEARCH_FAILURES_QUEUE.logical),
            )
        self.releases = Releases(
            self,
            "Releases",
            config=config,
            app=self.app,
            error_alarms=self.monitoring.error_alarms,
        )
        self._outputs()
        cdk.Aspects.of(self).add(CheckovSuppressions())

    def _allocate_logical_id(self, cfn_element: cdk.CfnElement) -> str:
        """CDK's ids from the construct path, leaving out the grouping parts (see ``Part``)."""
        scopes = cfn_element.node.scopes
        start = next(i for i, s in enumerate(scopes) if s.node.path == self.node.path) + 1
        return unique_id([s.node.id for s in scopes[start:] if not isinstance(s, Part)])

    def _monitored_consumers(self) -> list[MonitoredConsumer]:
        consumers = []
        for consumer in resources.CONSUMERS:
            consumers.append(
                MonitoredConsumer(
                    name=consumer.function,
                    function_name=self.app.function_name(consumer.function),
                    queue=self.messaging.queues[consumer.source]
                    if consumer.source_kind == "sqs"
                    else None,
                )
            )
        return consumers

    def _outputs(self) -> None:
        app, auth = self.app, self.auth
        outputs: dict[str, tuple[str, str]] = {
            "RestApiUrl": (app.rest_api_url, "REST API base URL"),
            "WebSocketUrl": (app.websocket_url, "WebSocket URL (append ?token=<IdToken>)"),
            "WebSocketManagementUrl": (
                app.websocket_management_url,
                "API Gateway Management API endpoint of the WebSocket API",
            ),
            "UserPoolId": (auth.user_pool.user_pool_id, "Cognito user pool id"),
            "UserPoolClientId": (
                auth.user_pool_client.user_pool_client_id,
                "Cognito app client id (USER_PASSWORD_AUTH, USER_SRP_AUTH)",
            ),
            "Region": (self.region, "AWS region of the stage"),
            "TwilioSmsWebhookUrl": (
                cdk.Fn.join("", [app.rest_api_url, "webhooks/twilio/sms"]),
                "Twilio: 'A message comes in' webhook (HTTP POST)",
            ),
            "TwilioStatusCallbackUrl": (
                cdk.Fn.join("", [app.rest_api_url, "webhooks/twilio/status"]),
                "Twilio: status callback URL",
            ),
            "WebUrl": (self.web.url, "the web client (CloudFront); its REST API is under /api"),
            "AlarmTopicArn": (self.monitoring.alarm_topic.topic_arn, "SNS topic of all alarms"),
            "DashboardName": (self.monitoring.dashboard_name, "CloudWatch dashboard"),
        }
        if self.search.domain is not None:
            outputs["SearchEndpoint"] = (self.search.endpoint, "the search domain (HTTPS)")
        for logical, table in self.data.tables.items():
            outputs[f"{camel(logical)}TableName"] = (table.table_name, f"table {logical}")
        for logical, topic in self.messaging.topics.items():
            outputs[f"{camel(logical)}TopicArn"] = (topic.topic_arn, f"topic {logical}")
        for logical, queue in self.messaging.queues.items():
            outputs[f"{camel(logical)}QueueUrl"] = (queue.queue_url, f"queue {logical}")
        for logical, bucket in self.data.buckets.items():
            outputs[f"{camel(logical)}BucketName"] = (bucket.bucket_name, f"bucket {logical}")
        for key, (value, description) in outputs.items():
            cdk.CfnOutput(self, key, value=value, description=description)
