"""Every consumer is fed by its real queue or stream, reporting partial batch failures.

Checked on the SAM-translated template: the ``AWS::Lambda::EventSourceMapping``
and ``AWS::Events::Rule`` resources CloudFormation will actually create. Each
invokes its function's alias (``tests/infra/test_releases.py``), never ``$LATEST``.
"""

from __future__ import annotations

import pytest

from chalicelib import resources
from chalicelib.resources import rate_expression
from tests.infra import cfn
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def _mappings(stage: Synthesized) -> dict[str, dict]:
    """Function logical id → its one event source mapping's properties."""
    found: dict[str, dict] = {}
    for body in cfn.of_type(stage.translated, "AWS::Lambda::EventSourceMapping").values():
        function_id = cfn.alias_target(stage.translated, body["Properties"]["FunctionName"])
        assert function_id not in found, f"{function_id} has two event sources"
        found[function_id] = body["Properties"]
    return found


def test_one_mapping_per_consumer_and_no_other(stage: Synthesized) -> None:
    expected = {stage.stack.functions[c.function].logical_id for c in resources.CONSUMERS}
    assert set(_mappings(stage)) == expected


def test_queue_consumers_read_their_stage_queue(stage: Synthesized) -> None:
    mappings = _mappings(stage)
    for consumer in resources.CONSUMERS:
        if consumer.source_kind != "sqs":
            continue
        mapping = mappings[stage.stack.functions[consumer.function].logical_id]
        queue_id, _ = cfn.by_property(
            stage.translated,
            "AWS::SQS::Queue",
            "QueueName",
            resources.physical(stage.config.prefix, consumer.source),
        )
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        assert mapping["BatchSize"] == consumer.batch_size
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_stream_consumers_read_their_table_stream_and_park_poison_records(
    stage: Synthesized,
) -> None:
    mappings = _mappings(stage)
    for consumer in resources.CONSUMERS:
        if consumer.source_kind != "dynamodb-stream":
            continue
        mapping = mappings[stage.stack.functions[consumer.function].logical_id]
        table_id, _ = cfn.by_property(
            stage.translated,
            "AWS::DynamoDB::Table",
            "TableName",
            resources.physical(stage.config.prefix, consumer.source),
        )
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
        assert mapping["BatchSize"] == consumer.batch_size
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["StartingPosition"] == "TRIM_HORIZON"
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["MaximumRetryAttempts"] == stage.config.stream_max_retry_attempts
        failures_id, failures = cfn.by_property(
            stage.translated,
            "AWS::SQS::Queue",
            "QueueName",
            resources.physical(
                stage.config.prefix, f"{consumer.function.replace('_', '-')}-failures"
            ),
        )
        assert cfn.is_operational(failures)
        destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]
        assert cfn.target(destination) == failures_id


def test_queue_visibility_covers_the_consumer_timeout(stage: Synthesized) -> None:
    for consumer in resources.CONSUMERS:
        if consumer.source_kind != "sqs":
            continue
        function = cfn.props(stage.translated, stage.stack.functions[consumer.function].logical_id)
        spec = next(q for q in resources.QUEUES if q.logical == consumer.source)
        assert spec.visibility_timeout >= function["Timeout"]


def test_scheduled_functions_run_at_the_rate_resources_py_gives(stage: Synthesized) -> None:
    rules = cfn.of_type(stage.translated, "AWS::Events::Rule")
    for schedule in resources.SCHEDULES:
        function_id = stage.stack.functions[schedule.function].logical_id
        (rule,) = [
            r["Properties"]
            for r in rules.values()
            if any(
                cfn.alias_target(stage.translated, t["Arn"]) == function_id
                for t in r["Properties"]["Targets"]
            )
        ]
        assert rule["ScheduleExpression"] == rate_expression(schedule.every_seconds)
