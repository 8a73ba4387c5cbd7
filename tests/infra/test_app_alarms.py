"""Alarms on what matters: each with a threshold, a period, evaluation periods, a chosen
treatment of missing data and the alarm topic; the application's alarms watching the
very metrics the code writes; texts waiting; the monthly budget."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import resources
from chalicelib.services.admin import PROVIDERS
from tests.infra import cfn
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

APP_METRICS = ("ProviderSends", "ProviderErrors", "SmsFinalStatus", "WebhookSignatureFailures")


@dataclass(frozen=True)
class Figure:
    """One metric as CloudWatch keys it: namespace, name and the exact dimensions."""

    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]


def _alarms(stage: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        body["Properties"]["AlarmName"]: body["Properties"]
        for body in cfn.of_type(stage.template, "AWS::CloudWatch::Alarm").values()
    }


def _dimensions(dimensions: list[dict[str, Any]]) -> frozenset[tuple[str, str]]:
    """Name → value; a value the template computes (a queue's name) as its JSON."""
    return frozenset(
        (d["Name"], d["Value"] if isinstance(d["Value"], str) else json.dumps(d["Value"]))
        for d in dimensions
    )


def _watched(alarm: dict[str, Any]) -> Iterator[tuple[Figure, int]]:
    """Each metric an alarm reads, with its period (a plain metric or metric math)."""
    if "MetricName" in alarm:
        dims = _dimensions(alarm.get("Dimensions", []))
        yield Figure(alarm["Namespace"], alarm["MetricName"], dims), alarm["Period"]
        return
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            stat = query["MetricStat"]
            metric = stat["Metric"]
            dims = _dimensions(metric.get("Dimensions", []))
            yield Figure(metric["Namespace"], metric["MetricName"], dims), stat["Period"]


def test_every_alarm_has_threshold_period_evaluations_missing_data_and_the_topic(
    variant: Synthesized,
) -> None:
    alarm_topic = cfn.target(variant.template["Outputs"]["AlarmTopicArn"]["Value"])
    alarms = _alarms(variant)
    assert alarms
    for name, alarm in alarms.items():
        assert isinstance(alarm["Threshold"], int | float), name
        assert alarm["EvaluationPeriods"] >= 1, name
        assert alarm["TreatMissingData"] in ("notBreaching", "breaching", "ignore", "missing")
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", name
        periods = [period for _, period in _watched(alarm)]
        assert periods and all(p >= 60 for p in periods), name
        if "Metrics" in alarm:  # metric math: exactly one expression is the alarm's value
            returned = [q for q in alarm["Metrics"] if q.get("ReturnData", True)]
            assert len(returned) == 1 and "Expression" in returned[0], name
        assert [cfn.target(a) for a in alarm["AlarmActions"]] == [alarm_topic], name
        assert [cfn.target(a) for a in alarm["OKActions"]] == [alarm_topic], name


def test_the_application_alarms_exist_for_every_provider(variant: Synthesized) -> None:
    alarms = _alarms(variant)
    prefix = variant.config.prefix
    for provider in PROVIDERS:
        errors = alarms[f"{prefix}-{provider}-provider-errors"]
        failing = alarms[f"{prefix}-{provider}-texts-failing"]
        for alarm, period in ((errors, 300), (failing, 900)):
            expression = next(q for q in alarm["Metrics"] if "Expression" in q)
            assert expression["Expression"].startswith("IF(")  # quiet below a minimum volume
            assert {p for _, p in _watched(alarm)} == {period}
            assert all(("provider", provider) in f.dimensions for f, _ in _watched(alarm))
        assert {f.name for f, _ in _watched(errors)} == {"ProviderErrors", "ProviderSends"}
        assert {f.name for f, _ in _watched(failing)} == {"SmsFinalStatus"}
    signatures = alarms[f"{prefix}-twilio-webhook-signature-failures"]
    assert signatures["MetricName"] == "WebhookSignatureFailures"
    assert (signatures["Threshold"], signatures["Period"]) == (5, 300)


def test_texts_waiting_longer_than_the_stage_allows_raise_an_alarm(variant: Synthesized) -> None:
    alarm = _alarms(variant)[f"{variant.config.prefix}-texts-waiting"]
    queue_id, _ = cfn.by_property(
        variant.template,
        "AWS::SQS::Queue",
        "QueueName",
        resources.physical(variant.config.prefix, resources.SMS_OUTBOUND_QUEUE.logical),
    )
    assert alarm["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert alarm["Statistic"] == "Maximum"
    (dimension,) = alarm["Dimensions"]
    assert cfn.target(dimension["Value"]) == queue_id
    assert alarm["Threshold"] == variant.config.sms_waiting_alarm_minutes * 60


def test_a_stage_with_a_budget_notifies_the_alarm_topic_and_one_without_has_none(
    variant: Synthesized,
) -> None:
    budgets = list(cfn.of_type(variant.template, "AWS::Budgets::Budget").values())
    amount = variant.config.monthly_budget_usd
    if amount is None:
        assert budgets == []
        return
    (budget,) = budgets
    data = budget["Properties"]["Budget"]
    assert (data["BudgetType"], data["TimeUnit"]) == ("COST", "MONTHLY")
    assert data["BudgetLimit"] == {"Amount": amount, "Unit": "USD"}
    alarm_topic = cfn.target(variant.template["Outputs"]["AlarmTopicArn"]["Value"])
    notifications = budget["Properties"]["NotificationsWithSubscribers"]
    assert {n["Notification"]["NotificationType"] for n in notifications} == {
        "ACTUAL",
        "FORECASTED",
    }
    for notification in notifications:
        (subscriber,) = notification["Subscribers"]
        assert subscriber["SubscriptionType"] == "SNS"
        assert cfn.target(subscriber["Address"]) == alarm_topic
    # AWS Budgets may publish to the alarm topic, for this account only
    policies = [
        s
        for p in cfn.of_type(variant.template, "AWS::SNS::TopicPolicy").values()
        if alarm_topic in cfn.refs(p["Properties"]["Topics"])
        for s in cfn.statements(p["Properties"]["PolicyDocument"])
    ]
    (allow,) = [s for s in policies if s.get("Principal") == {"Service": "budgets.amazonaws.com"}]
    assert allow["Action"] == "sns:Publish"
    assert "aws:SourceAccount" in allow["Condition"]["StringEquals"]


# -- the alarms watch what the code writes ------------------------------------


def _figures(output: str) -> set[Figure]:
    """The metrics in Embedded Metric Format lines printed by Powertools."""
    found = set()
    for line in output.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dims = frozenset((key, str(record[key])) for key in dimension_set)
                for metric in directive["Metrics"]:
                    found.add(Figure(directive["Namespace"], metric["Name"], dims))
    return found


def _drive_the_sms_pipeline() -> None:
    """A text handed over, refused, refused for now, unanswered; callbacks for each ending."""
    from chalicelib.domain.model import BusinessNumber
    from chalicelib.domain.sms import ProviderRejected, ProviderRetryable, StatusUpdate
    from chalicelib.services.common import Caller
    from tests.support import World, seed_people, send

    world = World()
    people = seed_people(world.directory_repo)
    shop = "+14155550100"
    people["alice"].numbers = [shop]
    world.directory_repo.put_user(people["alice"])
    world.sms_repo.put_number(BusinessNumber(shop, "acme", users=["u-alice"]))
    alice = Caller("u-alice", "acme", "admin")
    conversation, _ = world.services.sms.start(alice, "+14155552671", shop)

    def text(key: str) -> dict[str, Any]:
        world.now += 10  # each text past the number's previous pacing slot
        message, _ = send(
            world.services.conversations, alice, conversation.conversation_id, key, f"text {key}"
        )
        return message.to_dict()

    sent = [text(f"ok{n}") for n in range(3)]
    for data in sent:
        world.services.sms_sender.deliver(data)
    world.providers.fail_with.append(ProviderRejected("invalid To", provider_code="21211"))
    world.services.sms_sender.deliver(text("refused"))
    world.providers.fail_with.append(ProviderRetryable("no answer", ambiguous=True))
    world.services.sms_sender.deliver(text("unanswered"))
    world.providers.fail_with.append(ProviderRetryable("503"))
    with pytest.raises(ProviderRetryable) as later:
        world.services.sms_sender.deliver(text("later"))
    assert str(later.value) == "503"  # the provider's answer, not the number's pacing
    for data, status in zip(sent, ("delivered", "undelivered", "failed"), strict=True):
        provider_id = world.conversation_repo.get_message(
            data["conversation_id"], data["seq"]
        ).provider_message_id
        update = StatusUpdate("twilio", provider_id, status, status, final=True)
        assert world.services.carrier.status(update) is True


def test_every_figure_the_sms_pipeline_writes_is_watched_by_an_alarm(
    synthesized: dict[str, Synthesized], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    _drive_the_sms_pipeline()
    written = {f for f in _figures(capsys.readouterr().out) if f.name in APP_METRICS}
    watched = {
        figure
        for alarm in _alarms(synthesized["dev"]).values()
        for figure, _ in _watched(alarm)
        if figure.namespace == "Texting"
    }
    kinds = {dict(f.dimensions).get("kind") for f in written if f.name == "ProviderErrors"}
    statuses = {dict(f.dimensions).get("status") for f in written if f.name == "SmsFinalStatus"}
    assert kinds == {"rejected", "ambiguous", "retryable"}  # every way an attempt fails
    assert statuses == {"delivered", "undelivered", "failed"}
    assert {f.name for f in written} == {"ProviderSends", "ProviderErrors", "SmsFinalStatus"}
    unwatched = sorted(str(f) for f in written - watched)
    assert not unwatched, "written but matched by no alarm:\n" + "\n".join(unwatched)


def test_the_signature_alarm_watches_what_a_forged_webhook_writes(
    aws: Any, synthesized: dict[str, Synthesized], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.api.conftest import running_api

    with running_api() as api:
        capsys.readouterr()
        forged = api.client.http.post(
            "/webhooks/twilio/sms",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl",
            },
            body=b"MessageSid=SMforged&From=%2B14155552671&To=%2B14155550100&Body=hi",
        )
        assert forged.status_code == 403
        written = _figures(capsys.readouterr().out)
    failures = {f for f in written if f.name == "WebhookSignatureFailures"}
    assert failures, "a forged webhook wrote no WebhookSignatureFailures figure"
    watched = {
        figure for alarm in _alarms(synthesized["dev"]).values() for figure, _ in _watched(alarm)
    }
    assert failures <= watched
