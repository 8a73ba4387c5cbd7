"""Create the application's AWS resources from ``chalicelib.resources``.

``chalicelib/resources.py`` is the single source of truth for tables, topics,
queues and subscriptions; this module turns it into boto3 calls so the local
stack (moto server) and the tests (in-process moto) build exactly what the
infrastructure stack deploys. Nothing here is hard-coded per table or queue.

Every call is safe to repeat against an existing resource, so ``provision`` can
be run twice against the same endpoint.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, TypedDict

import boto3

from chalicelib import resources


class Provisioned(TypedDict):
    """What ``provision`` created, keyed by logical name."""

    tables: dict[str, str]  # logical -> physical table name
    streams: dict[str, str]  # logical table -> LatestStreamArn (tables with a stream)
    topics: dict[str, str]  # logical -> topic ARN
    queues: dict[str, str]  # logical -> queue URL
    queue_arns: dict[str, str]  # logical -> queue ARN
    dead_letter_queues: dict[str, str]  # logical (of the main queue) -> DLQ URL
    subscriptions: list[str]  # subscription ARNs
    buckets: dict[str, str]  # logical -> bucket name


def _table_request(table: resources.Table, name: str) -> dict[str, Any]:
    key_schema = [{"AttributeName": table.hash_key, "KeyType": "HASH"}]
    if table.range_key:
        key_schema.append({"AttributeName": table.range_key, "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": key_schema,
        "AttributeDefinitions": [
            {"AttributeName": attribute, "AttributeType": "S"} for attribute in table.attributes
        ],
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.hash_key, "KeyType": "HASH"},
                    {"AttributeName": index.range_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes
        ]
    if table.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream}
    return request


def create_table(dynamodb: Any, table: resources.Table, name: str) -> dict[str, Any]:
    """Create one table (or find it), wait until it is active, enable TTL; returns its description."""
    with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):
        dynamodb.create_table(**_table_request(table, name))
    dynamodb.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    if table.ttl_attribute:
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
    description: dict[str, Any] = dynamodb.describe_table(TableName=name)["Table"]
    return description


def _queue_arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def create_queue(sqs: Any, queue: resources.Queue, prefix: str) -> tuple[str, str, str | None]:
    """Create a queue (and its dead-letter queue); returns (url, arn, dlq url)."""
    dlq_url: str | None = None
    attributes = {"VisibilityTimeout": str(queue.visibility_timeout)}
    if queue.dead_letter:
        dlq_url = sqs.create_queue(QueueName=resources.physical(prefix, queue.dlq_logical))[
            "QueueUrl"
        ]
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": _queue_arn(sqs, str(dlq_url)),
                "maxReceiveCount": str(queue.max_receive_count),
            }
        )
    url = str(sqs.create_queue(QueueName=resources.physical(prefix, queue.logical))["QueueUrl"])
    # create_queue does not change an existing queue's attributes; set them explicitly.
    sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return url, _queue_arn(sqs, url), dlq_url


def _allow_sns(queue_arn: str, topic_arns: list[str]) -> str:
    """The queue policy that lets the subscribed topics deliver to the queue."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": f"allow-sns-{n}",
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
                for n, topic_arn in enumerate(topic_arns)
            ],
        }
    )


def _subscribe(
    sns: Any, subscription: resources.Subscription, topic_arn: str, queue_arn: str
) -> str:
    attributes = {"RawMessageDelivery": "true" if subscription.raw_message_delivery else "false"}
    if subscription.filter_policy:
        attributes["FilterPolicy"] = json.dumps(subscription.filter_policy)
    response = sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )
    return str(response["SubscriptionArn"])


def provision(
    session: boto3.session.Session | None = None, prefix: str = resources.DEFAULT_PREFIX
) -> Provisioned:
    """Create every table, topic, queue and subscription of ``chalicelib.resources``.

    ``session`` decides the endpoint and credentials (the default session
    honours ``AWS_ENDPOINT_URL``); physical names are ``{prefix}-{logical}``.
    """
    session = session or boto3.session.Session()
    dynamodb = session.client("dynamodb")
    sqs = session.client("sqs")
    sns = session.client("sns")
    result: Provisioned = {
        "tables": {},
        "streams": {},
        "topics": {},
        "queues": {},
        "queue_arns": {},
        "dead_letter_queues": {},
        "subscriptions": [],
        "buckets": {},
    }
    for table in resources.TABLES:
        name = resources.physical(prefix, table.logical)
        description = create_table(dynamodb, table, name)
        result["tables"][table.logical] = name
        if table.stream:
            result["streams"][table.logical] = str(description["LatestStreamArn"])
    s3 = session.client("s3")
    for bucket in resources.BUCKETS:
        name = resources.physical(prefix, bucket.logical)
        with contextlib.suppress(
            s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists
        ):
            s3.create_bucket(Bucket=name)
        result["buckets"][bucket.logical] = name
    for topic in resources.TOPICS:
        name = resources.physical(prefix, topic.logical)
        result["topics"][topic.logical] = str(sns.create_topic(Name=name)["TopicArn"])
    for queue in resources.QUEUES:
        url, arn, dlq_url = create_queue(sqs, queue, prefix)
        result["queues"][queue.logical] = url
        result["queue_arns"][queue.logical] = arn
        if dlq_url:
            result["dead_letter_queues"][queue.logical] = dlq_url
    topics_by_queue: dict[str, list[str]] = {}
    for subscription in resources.SUBSCRIPTIONS:
        topic_arn = result["topics"][subscription.topic]
        queue_arn = result["queue_arns"][subscription.queue]
        result["subscriptions"].append(_subscribe(sns, subscription, topic_arn, queue_arn))
        topics_by_queue.setdefault(subscription.queue, []).append(topic_arn)
    for logical, topic_arns in topics_by_queue.items():
        sqs.set_queue_attributes(
            QueueUrl=result["queues"][logical],
            Attributes={"Policy": _allow_sns(result["queue_arns"][logical], topic_arns)},
        )
    return result


def store_parameter(session: boto3.session.Session, name: str, value: str) -> None:
    """Put ``value`` in the SSM String parameter ``name`` (made, or overwritten)."""
    session.client("ssm").put_parameter(Name=name, Value=value, Type="String", Overwrite=True)


def store_secret(session: boto3.session.Session, name: str, values: dict[str, Any]) -> str:
    """Create the Secrets Manager secret ``name`` holding ``values`` as JSON, or put them
    as its new current version if it exists (as an operator does); returns its ARN."""
    client = session.client("secretsmanager")
    text = json.dumps(values)
    try:
        return str(client.create_secret(Name=name, SecretString=text)["ARN"])
    except client.exceptions.ResourceExistsException:
        return str(client.put_secret_value(SecretId=name, SecretString=text)["ARN"])
