"""Search: the stage's OpenSearch domain, made only when the stage turns search on.

The domain is sized per stage (``search_instance_type``, ``_count``,
``_volume_gib``); two nodes or more spread over two zones. Data is encrypted at
rest (the AWS managed key, as the tables), between nodes, and in transit (HTTPS
only, TLS 1.2 at least). Its application and slow logs go to CloudWatch Logs.

Access is IAM only, through the domain's resource policy, path by path: the
indexer writes (``_bulk``), the API reads (the alias's ``_search``), the health
timer reads the alias's state; nobody else is named. (An operator's own IAM
identity, in the same account, runs the backfill, alias swap and redrive:
docs/deploy.md.) The functions find the domain in ``SEARCH_ENDPOINT``; requests
are signed with their role (``SEARCH_SIGV4``, on by default).
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchservice as opensearch
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.parts import Part
from infra.parts.app import ChaliceApp
from infra.parts.app_alarms import FIVE_MINUTES, ONE_MINUTE, AlarmSink, app_metric
from infra.stages import StageConfig

# The figures search writes (chalicelib/api/search_consumers.py), dimension service only.
HEALTHY, LAG, FAILURES = "SearchIndexHealthy", "SearchIndexLag", "SearchIndexFailures"
LAG_ALARM_MS = 60_000  # p95 of record written → indexed, three 5-minute periods running
UNHEALTHY_PERIODS = 3  # health is reported every 5 minutes: 15 minutes red or silent

ENGINE_VERSION = "OpenSearch_2.19"
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"
LOGS = ("ES_APPLICATION_LOGS", "SEARCH_SLOW_LOGS", "INDEX_SLOW_LOGS")
# Who may do what on the domain: function → (HTTP methods, paths under the domain).
# {alias} is the index alias the app reads and writes (Settings.search_alias).
ACCESS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "search_indexer": (("es:ESHttpPost",), ("_bulk",)),
    "api_handler": (("es:ESHttpPost", "es:ESHttpGet"), ("{alias}/_search",)),
    "search_health": (
        ("es:ESHttpGet",),
        ("_alias/{alias}", "_cluster/health/{alias}", "{alias}/_count"),
    ),
}


def domain_name(prefix: str) -> str:
    """OpenSearch allows 28 characters: ``{prefix}-search``, shortened for long stage names."""
    name = f"{prefix}-search"
    return name if len(name) <= 28 else f"{prefix}-s"


def index_alias(prefix: str) -> str:
    """The alias the app uses when SEARCH_INDEX is not set (``Settings.search_alias``)."""
    return f"{prefix}-messages"


class Search(Part):
    """The domain, its logs and its access policy; ``domain`` is None with search off."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        app: ChaliceApp,
        roles: Mapping[str, iam.IRole],
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.domain: opensearch.CfnDomain | None = None
        self.domain_name = domain_name(config.prefix)
        if not config.search_enabled:
            return
        removal = cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
        stack = cdk.Stack.of(self)
        groups = {}
        for kind in LOGS:
            group = logs.CfnLogGroup(
                self,
                f"SearchLogs{kind.title().replace('_', '')}",
                log_group_name=f"/aws/opensearch/{self.domain_name}/{kind.lower()}",
                retention_in_days=config.log_retention_days,
            )
            group.apply_removal_policy(removal)
            groups[kind] = group
        # OpenSearch writes its logs with the service principal: only to these groups.
        log_policy = logs.CfnResourcePolicy(
            self,
            "SearchLogsPolicy",
            policy_name=f"{self.domain_name}-logs",
            policy_document=stack.to_json_string(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "es.amazonaws.com"},
                            "Action": ["logs:PutLogEvents", "logs:CreateLogStream"],
                            "Resource": [g.attr_arn for g in groups.values()],
                            "Condition": {"StringEquals": {"aws:SourceAccount": stack.account}},
                        }
                    ],
                }
            ),
        )
        zones = config.search_instance_count >= 2
        domain = opensearch.CfnDomain(
            self,
            "SearchDomain",
            domain_name=self.domain_name,
            engine_version=ENGINE_VERSION,
            cluster_config=opensearch.CfnDomain.ClusterConfigProperty(
                instance_type=config.search_instance_type,
                instance_count=config.search_instance_count,
                zone_awareness_enabled=zones,
                zone_awareness_config=opensearch.CfnDomain.ZoneAwarenessConfigProperty(
                    availability_zone_count=2
                )
                if zones
                else None,
            ),
            ebs_options=opensearch.CfnDomain.EBSOptionsProperty(
                ebs_enabled=True, volume_type="gp3", volume_size=config.search_volume_gib
            ),
            encryption_at_rest_options=opensearch.CfnDomain.EncryptionAtRestOptionsProperty(
                enabled=True
            ),
            node_to_node_encryption_options=opensearch.CfnDomain.NodeToNodeEncryptionOptionsProperty(
                enabled=True
            ),
            domain_endpoint_options=opensearch.CfnDomain.DomainEndpointOptionsProperty(
                enforce_https=True, tls_security_policy=TLS_POLICY
            ),
            log_publishing_options={
                kind: opensearch.CfnDomain.LogPublishingOptionProperty(
                    enabled=True, cloud_watch_logs_log_group_arn=group.attr_arn
                )
                for kind, group in groups.items()
            },
            software_update_options=opensearch.CfnDomain.SoftwareUpdateOptionsProperty(
                auto_software_update_enabled=True
            ),
            access_policies=self.access_policy(stack, roles),
        )
        domain.add_dependency(log_policy)
        domain.apply_removal_policy(removal)
        self.domain = domain
        self.endpoint = cdk.Fn.join("", ["https://", domain.attr_domain_endpoint])
        for function in app.functions.values():  # where the functions find it
            function.resource.add_property_override(
                "Environment.Variables.SEARCH_ENDPOINT", self.endpoint
            )

    def arn(self, stack: cdk.Stack, path: str) -> str:
        return (
            f"arn:{stack.partition}:es:{stack.region}:{stack.account}:"
            f"domain/{self.domain_name}/{path}"
        )

    def access_policy(self, stack: cdk.Stack, roles: Mapping[str, iam.IRole]) -> dict[str, object]:
        """The indexer writes, the API reads, the health timer looks; no one else."""
        alias = index_alias(self.config.prefix)
        statements = []
        for function, (actions, paths) in ACCESS.items():
            statements.append(
                {
                    "Sid": function.replace("_", ""),
                    "Effect": "Allow",
                    "Principal": {"AWS": roles[function].role_arn},
                    "Action": list(actions),
                    "Resource": [self.arn(stack, p.format(alias=alias)) for p in paths],
                }
            )
        return {"Version": "2012-10-17", "Statement": statements}


def search_alarms(sink: AlarmSink, failures: sqs.IQueue) -> list[cloudwatch.Alarm]:
    """Index unhealthy (red, unreachable, or not reported), indexing lagging, writes
    kept for redrive: docs/deploy.md says what to do for each."""
    healthy = app_metric(HEALTHY, FIVE_MINUTES, statistic="Minimum")
    return [
        sink.alarm(
            "search-unhealthy",
            cloudwatch.MathExpression(
                # no report at all (the timer failing) counts as unhealthy too
                expression="1 - FILL(healthy, 0)",
                using_metrics={"healthy": healthy},
                period=FIVE_MINUTES,
                label="search index not green or yellow",
            ),
            threshold=1,
            evaluation_periods=UNHEALTHY_PERIODS,
            description=(
                "the search index was red, unreachable or unreported for 15 minutes: "
                "searches answer 503 search_unavailable"
            ),
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        ),
        sink.alarm(
            "search-index-lagging",
            app_metric(LAG, FIVE_MINUTES, statistic="p95"),
            threshold=LAG_ALARM_MS,
            evaluation_periods=3,
            description=(
                f"new messages took more than {LAG_ALARM_MS // 1000} s (p95) to become "
                "searchable for 15 minutes"
            ),
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,  # no messages
        ),
        sink.alarm(
            "search-failures-waiting",
            failures.metric_approximate_number_of_messages_visible(
                period=ONE_MINUTE, statistic="Maximum"
            ),
            threshold=1,
            description="index writes the engine refused wait on search-failures: redrive",
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ),
    ]
