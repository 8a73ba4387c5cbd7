"""Alarms on what the application itself counts, and on spend.

The application writes its figures as CloudWatch metrics (Embedded Metric Format,
``chalicelib.observability.count``) in the namespace ``Texting``, every one with
the dimension ``service=texting`` and its own fixed dimensions. An alarm matches a
metric only on its exact dimension set, so each alarm here names every dimension
the code emits (``tests/infra/test_app_alarms.py`` runs the code and compares):

| metric | dimensions | emitted by |
|---|---|---|
| ``ProviderSends`` | service, provider | ``services/sms/sender.py``, per attempt to hand a text over |
| ``ProviderErrors`` | service, provider, kind | the same, per failed attempt (``PROVIDER_ERROR_KINDS``) |
| ``SmsFinalStatus`` | service, provider, status | ``services/sms/carrier.py``, once per text reaching a final status |
| ``WebhookSignatureFailures`` | service, provider | ``api/webhooks.py``, per refused provider webhook |

Rates are metric math over those metrics, per provider (``PROVIDERS``), and stay
quiet below a minimum volume: one failure out of two texts at night is not an
outage.
"""

from __future__ import annotations

from typing import Protocol

import aws_cdk as cdk
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from chalicelib.domain.sms import DELIVERED, FAILED, UNDELIVERED, UNKNOWN
from chalicelib.observability import NAMESPACE, SERVICE
from chalicelib.services.admin import PROVIDERS

FIVE_MINUTES = cdk.Duration.minutes(5)
FIFTEEN_MINUTES = cdk.Duration.minutes(15)
ONE_MINUTE = cdk.Duration.minutes(1)

# The ``kind`` of a ProviderErrors figure: refused for good, refused for now, no answer.
PROVIDER_ERROR_KINDS = ("rejected", "retryable", "ambiguous")
# Providers whose webhooks carry a signature the API checks.
SIGNED_WEBHOOK_PROVIDERS = ("twilio",)
FINAL_STATUSES = (DELIVERED, UNDELIVERED, FAILED, UNKNOWN)
FAILED_STATUSES = (UNDELIVERED, FAILED)

# Thresholds (docs/deploy.md, Alarms, says what to do when each fires).
PROVIDER_ERROR_PERCENT = 10  # of attempts in 5 minutes, from at least
PROVIDER_MIN_ATTEMPTS = 10
FAILED_TEXTS_PERCENT = 15  # of final statuses in 15 minutes, from at least
FAILED_MIN_TEXTS = 20
SIGNATURE_FAILURES = 5  # in 5 minutes
BUDGET_ACTUAL_PERCENT = 80
BUDGET_FORECAST_PERCENT = 100


class AlarmSink(Protocol):
    """Where alarms are made and sent (``infra.parts.monitoring.Monitoring``)."""

    def alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        treat_missing_data: cloudwatch.TreatMissingData,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm: ...


def app_metric(
    name: str, period: cdk.Duration, statistic: str = "Sum", **dimensions: str
) -> cloudwatch.Metric:
    """A metric as ``chalicelib.observability`` writes it: namespace, ``service`` and the rest."""
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map={"service": SERVICE, **dimensions},
        statistic=statistic,
        period=period,
    )


def _share(parts: list[str], whole: list[str], minimum: int) -> str:
    """``100 * sum(parts) / sum(whole)`` once ``whole`` reaches ``minimum``, else 0;
    a figure with no data point in a period counts 0 (FILL) rather than hiding the sum."""
    total = " + ".join(f"FILL({w}, 0)" for w in whole)
    share = " + ".join(f"FILL({p}, 0)" for p in parts)
    return f"IF(({total}) >= {minimum}, 100 * ({share}) / ({total}), 0)"


def application_alarms(
    sink: AlarmSink, *, sms_queue: sqs.IQueue, waiting_minutes: int
) -> list[cloudwatch.Alarm]:
    """Provider error rate, failed texts, forged webhooks, texts waiting too long."""
    made: list[cloudwatch.Alarm] = []
    # Missing data below means no traffic (no attempts, no texts, no forged webhook):
    # nothing is wrong, so it never breaches.
    quiet = cloudwatch.TreatMissingData.NOT_BREACHING
    for provider in PROVIDERS:
        errors = {
            kind: app_metric("ProviderErrors", FIVE_MINUTES, provider=provider, kind=kind)
            for kind in PROVIDER_ERROR_KINDS
        }
        sends = app_metric("ProviderSends", FIVE_MINUTES, provider=provider)
        made.append(
            sink.alarm(
                f"{provider}-provider-errors",
                cloudwatch.MathExpression(
                    expression=_share(list(errors), ["sends"], PROVIDER_MIN_ATTEMPTS),
                    using_metrics={**errors, "sends": sends},
                    period=FIVE_MINUTES,
                    label=f"{provider}: % of attempts that failed",
                ),
                threshold=PROVIDER_ERROR_PERCENT,
                description=(
                    f"{PROVIDER_ERROR_PERCENT}% or more of the texts handed to {provider} in "
                    f"5 minutes failed (refused, not now, or no answer; at least "
                    f"{PROVIDER_MIN_ATTEMPTS} attempts)"
                ),
                treat_missing_data=quiet,
            )
        )
        statuses = {
            status: app_metric("SmsFinalStatus", FIFTEEN_MINUTES, provider=provider, status=status)
            for status in FINAL_STATUSES
        }
        made.append(
            sink.alarm(
                f"{provider}-texts-failing",
                cloudwatch.MathExpression(
                    expression=_share(list(FAILED_STATUSES), list(statuses), FAILED_MIN_TEXTS),
                    using_metrics=statuses,
                    period=FIFTEEN_MINUTES,
                    label=f"{provider}: % of texts ending failed or undelivered",
                ),
                threshold=FAILED_TEXTS_PERCENT,
                description=(
                    f"{FAILED_TEXTS_PERCENT}% or more of the texts {provider} reported on in 15 "
                    f"minutes ended failed or undelivered (at least {FAILED_MIN_TEXTS} texts)"
                ),
                treat_missing_data=quiet,
            )
        )
    for provider in SIGNED_WEBHOOK_PROVIDERS:
        made.append(
            sink.alarm(
                f"{provider}-webhook-signature-failures",
                app_metric("WebhookSignatureFailures", FIVE_MINUTES, provider=provider),
                threshold=SIGNATURE_FAILURES,
                description=(
                    f"{SIGNATURE_FAILURES} or more {provider} webhooks in 5 minutes had no valid "
                    "signature: a changed auth token, a wrong public URL, or someone forging them"
                ),
                treat_missing_data=quiet,
            )
        )
    made.append(
        sink.alarm(
            "texts-waiting",
            sms_queue.metric_approximate_age_of_oldest_message(
                period=ONE_MINUTE, statistic="Maximum"
            ),
            threshold=waiting_minutes * 60,
            description=f"a text has waited more than {waiting_minutes} minutes to be sent",
            treat_missing_data=quiet,  # SQS reports nothing for a queue idle for hours
        )
    )
    return made


def monthly_budget(scope: Construct, topic: sns.ITopic, prefix: str, amount: float) -> None:
    """An AWS Budgets cost budget of the account, notifying the alarm topic."""
    stack = cdk.Stack.of(scope)
    # AWS Budgets publishes to the (encrypted) topic; its key lets budgets encrypt too.
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="BudgetsNotify",
            principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:budgets::{stack.account}:*"},
            },
        )
    )

    def notify(kind: str, percent: int) -> budgets.CfnBudget.NotificationWithSubscribersProperty:
        return budgets.CfnBudget.NotificationWithSubscribersProperty(
            notification=budgets.CfnBudget.NotificationProperty(
                notification_type=kind,
                comparison_operator="GREATER_THAN",
                threshold=percent,
                threshold_type="PERCENTAGE",
            ),
            subscribers=[
                budgets.CfnBudget.SubscriberProperty(
                    subscription_type="SNS", address=topic.topic_arn
                )
            ],
        )

    budgets.CfnBudget(
        scope,
        "MonthlyBudget",
        budget=budgets.CfnBudget.BudgetDataProperty(
            budget_name=f"{prefix}-monthly",
            budget_type="COST",
            time_unit="MONTHLY",
            budget_limit=budgets.CfnBudget.SpendProperty(amount=amount, unit="USD"),
        ),
        notifications_with_subscribers=[
            notify("ACTUAL", BUDGET_ACTUAL_PERCENT),
            notify("FORECASTED", BUDGET_FORECAST_PERCENT),
        ],
    )
