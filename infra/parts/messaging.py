"""Messaging: the SNS topics, SQS queues (with dead-letter queues) and subscriptions."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib import resources
from infra.naming import camel, lookup, mark_operational
from infra.parts import Part
from infra.stages import StageConfig


class Messaging(Part):
    """Everything ``resources.TOPICS``, ``QUEUES`` and ``SUBSCRIPTIONS`` declare."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.prefix = config.prefix
        self.topic_key = self._topic_key()
        self.topics = {topic.logical: self._topic(topic) for topic in resources.TOPICS}
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        # Per stream consumer: where a record that keeps failing is parked.
        self.stream_failure_queues: dict[str, sqs.Queue] = {}
        for queue in resources.QUEUES:
            self._queue(queue)
        for subscription in resources.SUBSCRIPTIONS:
            self._subscription(subscription)

    def topic(self, logical: str) -> sns.Topic:
        return lookup(self.topics, logical, "topic")

    def queue(self, logical: str) -> sqs.Queue:
        return lookup(self.queues, logical, "queue")

    def _topic_key(self) -> kms.Key:
        """The customer-managed key of the topics AWS services publish to.

        AWS End User Messaging (inbound texts, delivery events) and CloudWatch
        (alarms), like AWS Budgets (spend), cannot publish to a topic under the
        AWS managed key ``aws/sns``, whose policy no one can change; this key
        lets exactly those services, for this account, encrypt messages for SNS.
        """
        key = kms.Key(
            self,
            "TopicKey",
            alias=f"alias/{self.prefix}-topics",
            description=f"{self.prefix}: SNS topics that CloudWatch and End User Messaging publish to",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.RETAIN
            if self.config.retain_data
            else cdk.RemovalPolicy.DESTROY,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AwsServicesPublishToTopics",
                principals=[
                    iam.ServicePrincipal(service)
                    for service in (
                        "cloudwatch.amazonaws.com",
                        "sms-voice.amazonaws.com",
                        # AWS Budgets notifies the alarm topic (infra/parts/app_alarms.py)
                        *(["budgets.amazonaws.com"] if self.config.monthly_budget_usd else []),
                    )
                ],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
            )
        )
        return key

    def _topic(self, spec: resources.Topic) -> sns.Topic:
        inbound = spec.logical == self.config.sms_inbound_topic
        topic = sns.Topic(
            self,
            f"{camel(spec.logical)}Topic",
            topic_name=resources.physical(self.prefix, spec.logical),
            # Topics only the app publishes to stay under the AWS managed key.
            master_key=self.topic_key
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
                    conditions={"StringEquals": {"aws:SourceAccount": cdk.Stack.of(self).account}},
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
        topic, queue = self.topic(spec.topic), self.queue(spec.queue)
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

    def stream_failure_queue(self, function: str) -> sqs.Queue:
        """The failure destination of a stream consumer (created on first use)."""
        if function not in self.stream_failure_queues:
            failures = sqs.Queue(
                self,
                f"{camel(function)}FailureQueue",
                queue_name=resources.physical(
                    self.prefix, f"{function.replace('_', '-')}-failures"
                ),
                retention_period=cdk.Duration.days(14),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            mark_operational(failures)
            self.stream_failure_queues[function] = failures
        return self.stream_failure_queues[function]
