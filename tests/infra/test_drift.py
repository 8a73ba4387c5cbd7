"""One source of truth: the deployed stack and the local stack create the same resources.

``local/provision.py`` builds the local stack (and the other test suites'
fixtures) in moto; the synthesized template is what AWS gets. Both are reduced
to the same plain description — tables with keys, indexes, stream and TTL;
queues with visibility timeout and redrive; topics; subscriptions with raw
delivery and filter policy — and must be equal. Resources the stack adds for
operators only (alarm topic, stream failure queues) carry the operations
marker and are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.provision import provision
from tests.infra import cfn
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

Description = dict[str, Any]


def _key_schema(keys: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in keys]


def _table(
    name: str,
    keys: list[dict[str, str]],
    attributes: list[dict[str, str]],
    indexes: list[dict[str, Any]],
    stream: str | None,
    ttl: str | None,
    billing: str,
) -> Description:
    return {
        "name": name,
        "keys": _key_schema(keys),
        "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in attributes),
        "indexes": sorted(
            (i["IndexName"], tuple(_key_schema(i["KeySchema"])), i["Projection"]["ProjectionType"])
            for i in indexes
        ),
        "stream": stream,
        "ttl": ttl,
        "billing": billing,
    }


def from_template(template: dict[str, Any]) -> Description:
    resources = template["Resources"]
    app = {k: v for k, v in resources.items() if not cfn.is_operational(v)}

    def name_of(reference: Any, key: str) -> str:
        return str(resources[cfn.target(reference)]["Properties"][key])

    tables = []
    for body in cfn.of_type({"Resources": app}, "AWS::DynamoDB::Table").values():
        p = body["Properties"]
        ttl = p.get("TimeToLiveSpecification", {})
        tables.append(
            _table(
                p["TableName"],
                p["KeySchema"],
                p["AttributeDefinitions"],
                p.get("GlobalSecondaryIndexes", []),
                p.get("StreamSpecification", {}).get("StreamViewType"),
                ttl.get("AttributeName") if ttl.get("Enabled") else None,
                p["BillingMode"],
            )
        )
    queues = []
    for body in cfn.of_type({"Resources": app}, "AWS::SQS::Queue").values():
        p = body["Properties"]
        redrive = p.get("RedrivePolicy")
        queues.append(
            {
                "name": p["QueueName"],
                "visibility_timeout": int(p.get("VisibilityTimeout", 30)),
                "redrive": (
                    (
                        name_of(redrive["deadLetterTargetArn"], "QueueName"),
                        int(redrive["maxReceiveCount"]),
                    )
                    if redrive
                    else None
                ),
            }
        )
    topics = sorted(
        b["Properties"]["TopicName"]
        for b in cfn.of_type({"Resources": app}, "AWS::SNS::Topic").values()
    )
    subscriptions = []
    for body in cfn.of_type({"Resources": app}, "AWS::SNS::Subscription").values():
        p = body["Properties"]
        assert p["Protocol"] == "sqs"
        subscriptions.append(
            {
                "topic": name_of(p["TopicArn"], "TopicName"),
                "queue": name_of(p["Endpoint"], "QueueName"),
                "raw": bool(p.get("RawMessageDelivery", False)),
                "filter": p.get("FilterPolicy"),
            }
        )
    return _sorted(tables, queues, topics, subscriptions)


def from_moto(prefix: str) -> Description:
    from moto import mock_aws

    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        provision(session, prefix)
        return _describe(session)


def _describe(session: boto3.session.Session) -> Description:
    dynamodb, sqs, sns = (session.client(s) for s in ("dynamodb", "sqs", "sns"))
    tables = []
    for name in dynamodb.list_tables()["TableNames"]:
        t = dynamodb.describe_table(TableName=name)["Table"]
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        tables.append(
            _table(
                name,
                t["KeySchema"],
                t["AttributeDefinitions"],
                t.get("GlobalSecondaryIndexes", []),
                t.get("StreamSpecification", {}).get("StreamViewType"),
                ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None,
                t["BillingModeSummary"]["BillingMode"],
            )
        )
    queues = []
    for url in sqs.list_queues().get("QueueUrls", []):
        a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(a["RedrivePolicy"]) if "RedrivePolicy" in a else None
        queues.append(
            {
                "name": a["QueueArn"].rsplit(":", 1)[1],
                "visibility_timeout": int(a["VisibilityTimeout"]),
                "redrive": (
                    (
                        redrive["deadLetterTargetArn"].rsplit(":", 1)[1],
                        int(redrive["maxReceiveCount"]),
                    )
                    if redrive
                    else None
                ),
            }
        )
    topics = sorted(t["TopicArn"].rsplit(":", 1)[1] for t in sns.list_topics()["Topics"])
    subscriptions = []
    for s in sns.list_subscriptions()["Subscriptions"]:
        a = sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"]
        subscriptions.append(
            {
                "topic": s["TopicArn"].rsplit(":", 1)[1],
                "queue": s["Endpoint"].rsplit(":", 1)[1],
                "raw": a.get("RawMessageDelivery") == "true",
                "filter": json.loads(a["FilterPolicy"]) if a.get("FilterPolicy") else None,
            }
        )
    return _sorted(tables, queues, topics, subscriptions)


def _sorted(
    tables: list[Description],
    queues: list[Description],
    topics: list[str],
    subscriptions: list[Description],
) -> Description:
    def key(item: Description) -> str:
        return json.dumps(item, sort_keys=True)

    return {
        "tables": sorted(tables, key=key),
        "queues": sorted(queues, key=key),
        "topics": topics,
        "subscriptions": sorted(subscriptions, key=key),
    }


@pytest.fixture
def local_stack(stage: Synthesized) -> Iterator[Description]:
    yield from_moto(stage.config.prefix)


def test_the_stack_declares_exactly_what_the_local_stack_creates(
    stage: Synthesized, local_stack: Description
) -> None:
    deployed = from_template(stage.template)
    for kind in ("tables", "queues", "topics", "subscriptions"):
        assert deployed[kind] == local_stack[kind], f"{kind} drifted between infra/ and local/"
    assert deployed["tables"] and deployed["queues"] and deployed["topics"]


def test_the_comparison_notices_a_difference(stage: Synthesized, local_stack: Description) -> None:
    """Guard against a vacuous drift test: a changed template must not compare equal."""
    template = json.loads(json.dumps(stage.template))
    queue = next(
        q for q in cfn.of_type(template, "AWS::SQS::Queue").values() if not cfn.is_operational(q)
    )
    queue["Properties"]["VisibilityTimeout"] = 12345
    assert from_template(template) != local_stack
