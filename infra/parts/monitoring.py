"""Alarms and the dashboard: the few signals that say the system is failing its users.

Each alarm answers "is someone not getting their messages?": messages parked
in a dead-letter or failure queue, consumers falling behind (age of the oldest
queued message, stream iterator age), API 5xx, Lambda errors and throttles,
DynamoDB throttling, SNS deliveries that fail — and, from the application's own
metrics (``infra/parts/app_alarms.py``), providers failing, texts ending
undelivered, forged webhooks, texts waiting to go out, and spend. All alarms
notify one SNS topic (``{prefix}-alarms``), optionally mailed to the stage's
``alarm_email``. Each function's error alarm also rolls back a release that
raises it (``infra/parts/releases.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.parts.app_alarms import application_alarms, monthly_budget

FIVE_MINUTES = cdk.Duration.minutes(5)
ONE_MINUTE = cdk.Duration.minutes(1)


@dataclass(frozen=True)
class MonitoredConsumer:
    """An event consumer: its function, and its queue (None for a stream consumer)."""

    name: str
    function_name: str
    queue: sqs.IQueue | None


class Monitoring(Construct):
    """The stage's alarms (all to ``alarm_topic``) and one dashboard."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        stage: str,
        rest_api_name: str,
        websocket_api_id: str,
        functions: Mapping[str, str],
        consumers: list[MonitoredConsumer],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        tables: Mapping[str, str],
        topics: Mapping[str, str],
        lag_alarm_seconds: int,
        alarm_email: str | None,
        topic_key: kms.IKey,
        sms_queue: sqs.IQueue,
        sms_waiting_alarm_minutes: int,
        monthly_budget_usd: float | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.prefix = prefix
        # Encrypted with the stage's topic key, whose policy lets CloudWatch publish.
        self.alarm_topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"{prefix}-alarms",
            enforce_ssl=True,
            master_key=topic_key,
        )
        default = self.alarm_topic.node.default_child
        assert isinstance(default, cdk.CfnResource)
        default.add_metadata("texting:purpose", "operations")
        if not alarm_email:
            cdk.Annotations.of(self).add_warning_v2(
                "texting:alarms-reach-nobody",
                f"{prefix}: no alarm_email, so alarms reach nobody until someone subscribes "
                "to the alarm topic (docs/deploy.md, Alarms)",
            )
        if alarm_email:
            sns.Subscription(
                self,
                "AlarmEmail",
                topic=self.alarm_topic,
                protocol=sns.SubscriptionProtocol.EMAIL,
                endpoint=alarm_email,
            )
        self.alarms: list[cloudwatch.Alarm] = []
        # function name → its error alarm, which also rolls back its releases
        self.error_alarms: dict[str, cloudwatch.Alarm] = {}
        # Count alarms: no data point means nothing happened (no message parked, no
        # error, no throttle), so missing data never breaches.
        quiet = cloudwatch.TreatMissingData.NOT_BREACHING

        for name, queue in sorted(dead_letter_queues.items()):
            self.alarm(
                f"{name}-not-empty",
                queue.metric_approximate_number_of_messages_visible(
                    period=ONE_MINUTE, statistic="Maximum"
                ),
                threshold=1,
                description=f"messages parked in {name}: inspect, fix, then redrive",
                treat_missing_data=quiet,
            )
        for consumer in consumers:
            if consumer.queue is not None:
                lag = consumer.queue.metric_approximate_age_of_oldest_message(
                    period=ONE_MINUTE, statistic="Maximum"
                )
                threshold = lag_alarm_seconds
            else:
                lag = _lambda_metric(consumer.function_name, "IteratorAge", "Maximum", ONE_MINUTE)
                threshold = lag_alarm_seconds * 1000  # IteratorAge is in milliseconds
            self.alarm(
                f"{consumer.name}-lagging",
                lag,
                threshold=threshold,
                evaluation_periods=3,
                description=f"{consumer.name} is more than {lag_alarm_seconds}s behind",
                # an idle queue or stream reports nothing: nobody is behind
                treat_missing_data=quiet,
            )
        for name, function_name in sorted(functions.items()):
            self.error_alarms[name] = self.alarm(
                f"{name}-errors",
                _lambda_metric(function_name, "Errors", "Sum", FIVE_MINUTES),
                threshold=1,
                description=f"{name} raised errors (a release in progress is rolled back)",
                treat_missing_data=quiet,
            )
            self.alarm(
                f"{name}-throttles",
                _lambda_metric(function_name, "Throttles", "Sum", FIVE_MINUTES),
                threshold=1,
                description=f"{name} was throttled (account or reserved concurrency)",
                treat_missing_data=quiet,
            )
        self.alarm(
            "rest-api-5xx",
            cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name="5XXError",
                dimensions_map={"ApiName": rest_api_name, "Stage": stage},
                statistic="Sum",
                period=FIVE_MINUTES,
            ),
            threshold=5,
            description="the REST API answered 5xx",
            treat_missing_data=quiet,
        )
        self.alarm(
            "websocket-api-errors",
            cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name="IntegrationError",
                dimensions_map={"ApiId": websocket_api_id, "Stage": stage},
                statistic="Sum",
                period=FIVE_MINUTES,
            ),
            threshold=5,
            description="WebSocket routes failed in their Lambda integration",
            treat_missing_data=quiet,
        )
        for logical, table_name in sorted(tables.items()):
            self.alarm(
                f"{logical}-table-throttles",
                cloudwatch.MathExpression(
                    expression="reads + writes",
                    using_metrics={
                        "reads": _table_metric(table_name, "ReadThrottleEvents"),
                        "writes": _table_metric(table_name, "WriteThrottleEvents"),
                    },
                    period=FIVE_MINUTES,
                    label=f"{logical} throttle events",
                ),
                threshold=1,
                description=f"DynamoDB throttled requests on {logical}",
                treat_missing_data=quiet,
            )
        for logical, topic_name in sorted(topics.items()):
            self.alarm(
                f"{logical}-topic-delivery-failures",
                cloudwatch.Metric(
                    namespace="AWS/SNS",
                    metric_name="NumberOfNotificationsFailed",
                    dimensions_map={"TopicName": topic_name},
                    statistic="Sum",
                    period=FIVE_MINUTES,
                ),
                threshold=1,
                description=f"SNS could not deliver from {logical} to a subscription",
                treat_missing_data=quiet,
            )

        texting = application_alarms(
            self, sms_queue=sms_queue, waiting_minutes=sms_waiting_alarm_minutes
        )
        if monthly_budget_usd is not None:
            monthly_budget(self, self.alarm_topic, prefix, monthly_budget_usd)

        self.dashboard_name = f"{prefix}-overview"
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self.dashboard_name)
        self._widgets(
            rest_api_name,
            stage,
            websocket_api_id,
            functions,
            consumers,
            dead_letter_queues,
            tables,
        )
        # The texting alarms, each graphed against its threshold.
        self.dashboard.add_widgets(
            *(cloudwatch.AlarmWidget(title=a.alarm_name, alarm=a, width=6) for a in texting)
        )

    def alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        treat_missing_data: cloudwatch.TreatMissingData,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        """``{prefix}-{name}``: at or above ``threshold`` for ``evaluation_periods`` of the
        metric's period, notifying the alarm topic (and again when it clears)."""
        alarm = cloudwatch.Alarm(
            self,
            f"{name}-alarm",
            alarm_name=f"{self.prefix}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=treat_missing_data,
        )
        alarm.add_alarm_action(actions.SnsAction(self.alarm_topic))
        alarm.add_ok_action(actions.SnsAction(self.alarm_topic))
        self.alarms.append(alarm)
        return alarm

    def _widgets(
        self,
        rest_api_name: str,
        stage: str,
        websocket_api_id: str,
        functions: Mapping[str, str],
        consumers: list[MonitoredConsumer],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        tables: Mapping[str, str],
    ) -> None:
        def api(metric: str, statistic: str = "Sum") -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name=metric,
                dimensions_map={"ApiName": rest_api_name, "Stage": stage},
                statistic=statistic,
                period=FIVE_MINUTES,
            )

        def ws(metric: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name=metric,
                dimensions_map={"ApiId": websocket_api_id, "Stage": stage},
                statistic="Sum",
                period=FIVE_MINUTES,
            )

        def per_function(metric: str, statistic: str) -> list[cloudwatch.IMetric]:
            return [
                _lambda_metric(fn, metric, statistic, FIVE_MINUTES, label=name)
                for name, fn in sorted(functions.items())
            ]

        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="REST API requests and errors",
                left=[api("Count"), api("4XXError"), api("5XXError")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="REST API latency (p90, ms)",
                left=[api("Latency", "p90"), api("IntegrationLatency", "p90")],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="WebSocket API",
                left=[ws("ConnectCount"), ws("MessageCount"), ws("IntegrationError")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Consumer lag (s; streams in ms)",
                left=[
                    c.queue.metric_approximate_age_of_oldest_message(
                        period=ONE_MINUTE, statistic="Maximum", label=c.name
                    )
                    for c in consumers
                    if c.queue is not None
                ],
                right=[
                    _lambda_metric(
                        c.function_name, "IteratorAge", "Maximum", ONE_MINUTE, label=c.name
                    )
                    for c in consumers
                    if c.queue is None
                ],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Lambda invocations", left=per_function("Invocations", "Sum"), width=8
            ),
            cloudwatch.GraphWidget(
                title="Lambda errors and throttles",
                left=per_function("Errors", "Sum"),
                right=per_function("Throttles", "Sum"),
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Lambda duration (p90, ms)", left=per_function("Duration", "p90"), width=8
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Dead-letter and failure queues",
                left=[
                    q.metric_approximate_number_of_messages_visible(
                        period=ONE_MINUTE, statistic="Maximum", label=name
                    )
                    for name, q in sorted(dead_letter_queues.items())
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="DynamoDB consumed capacity and throttles",
                left=[
                    _table_metric(name, metric, label=f"{logical} {metric}")
                    for logical, name in sorted(tables.items())
                    for metric in ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits")
                ],
                right=[
                    _table_metric(name, metric, label=f"{logical} {metric}")
                    for logical, name in sorted(tables.items())
                    for metric in ("ReadThrottleEvents", "WriteThrottleEvents")
                ],
                width=12,
            ),
        )


def _lambda_metric(
    function_name: str,
    metric: str,
    statistic: str,
    period: cdk.Duration,
    label: str | None = None,
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric,
        dimensions_map={"FunctionName": function_name},
        statistic=statistic,
        period=period,
        label=label,
    )


def _table_metric(table_name: str, metric: str, label: str | None = None) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/DynamoDB",
        metric_name=metric,
        dimensions_map={"TableName": table_name},
        statistic="Sum",
        period=FIVE_MINUTES,
        label=label,
    )
