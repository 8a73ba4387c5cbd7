"""The search domain as the stack deploys it (infra/parts/search.py): only on a stage
that turns search on, sized per stage, encrypted at rest, between nodes and in transit,
logging, and open to exactly three roles: the indexer writes, the API reads, the
health timer looks."""

from __future__ import annotations

from typing import Any

import pytest

from infra.parts.search import ACCESS, index_alias
from tests.infra import cfn
from tests.infra.conftest import PUSH_VARIANT, Synthesized
from tests.infra.test_web_client import render

pytestmark = pytest.mark.infra

DOMAIN = "AWS::OpenSearchService::Domain"


@pytest.fixture
def searching(synthesized: dict[str, Synthesized]) -> Synthesized:
    """The variant stage with search on (tests/infra/conftest.py OPTIONS)."""
    stage = synthesized[PUSH_VARIANT]
    assert stage.config.search_enabled
    return stage


def _domain(stage: Synthesized) -> tuple[str, dict[str, Any]]:
    ((logical_id, body),) = cfn.of_type(stage.template, DOMAIN).items()
    return logical_id, body["Properties"]


def test_no_domain_on_a_stage_without_search(stage: Synthesized) -> None:
    assert not stage.config.search_enabled  # off by default, as the app's flag
    assert cfn.of_type(stage.template, DOMAIN) == {}
    for function in stage.stack.functions.values():
        variables = cfn.props(stage.template, function.logical_id)["Environment"]["Variables"]
        assert variables["SEARCH_ENABLED"] == "false"
        assert "SEARCH_ENDPOINT" not in variables


def test_the_domain_is_encrypted_at_rest_between_nodes_and_in_transit(
    searching: Synthesized,
) -> None:
    _, domain = _domain(searching)
    assert domain["EncryptionAtRestOptions"] == {"Enabled": True}
    assert domain["NodeToNodeEncryptionOptions"] == {"Enabled": True}
    endpoint = domain["DomainEndpointOptions"]
    assert endpoint["EnforceHTTPS"] is True
    assert endpoint["TLSSecurityPolicy"].startswith("Policy-Min-TLS-1-2")


def test_the_domain_is_sized_by_the_stage(searching: Synthesized) -> None:
    _, domain = _domain(searching)
    config = searching.config
    cluster = domain["ClusterConfig"]
    assert cluster["InstanceType"] == config.search_instance_type
    assert cluster["InstanceCount"] == config.search_instance_count == 2
    assert cluster["ZoneAwarenessEnabled"] is True  # two nodes: one per zone
    assert domain["EBSOptions"] == {
        "EBSEnabled": True,
        "VolumeType": "gp3",
        "VolumeSize": config.search_volume_gib,
    }


def test_only_the_indexer_writes_the_api_reads_and_the_health_timer_looks(
    searching: Synthesized,
) -> None:
    _, domain = _domain(searching)
    template = searching.template
    statements = domain["AccessPolicies"]["Statement"]
    by_role = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        role = cfn.target(statement["Principal"]["AWS"])
        by_role[role] = statement
    roles = {
        name: cfn.function_role(template, searching.stack.functions[name].logical_id)
        for name in ACCESS
    }
    assert set(by_role) == set(roles.values())  # nobody else is named
    alias = index_alias(searching.config.prefix)
    within = f":domain/{domain['DomainName']}/"

    def paths(statement: dict[str, Any]) -> list[str]:
        rendered = [render(r) for r in statement["Resource"]]
        assert all(within in r and "*" not in r for r in rendered), rendered
        return [r.split(within, 1)[1] for r in rendered]

    writes = by_role[roles["search_indexer"]]
    assert writes["Action"] == ["es:ESHttpPost"]
    assert paths(writes) == ["_bulk"]
    reads = by_role[roles["api_handler"]]
    assert set(reads["Action"]) == {"es:ESHttpPost", "es:ESHttpGet"}
    assert paths(reads) == [f"{alias}/_search"]
    looks = by_role[roles["search_health"]]
    assert looks["Action"] == ["es:ESHttpGet"]
    assert paths(looks) == [f"_alias/{alias}", f"_cluster/health/{alias}", f"{alias}/_count"]


def test_the_domain_logs_to_its_own_groups(searching: Synthesized) -> None:
    _, domain = _domain(searching)
    template = searching.template
    groups = {
        kind: cfn.target(option["CloudWatchLogsLogGroupArn"])
        for kind, option in domain["LogPublishingOptions"].items()
        if option["Enabled"]
    }
    assert set(groups) == {"ES_APPLICATION_LOGS", "SEARCH_SLOW_LOGS", "INDEX_SLOW_LOGS"}
    for group in groups.values():
        props = cfn.props(template, group)
        assert props["RetentionInDays"] == searching.config.log_retention_days
    (policy,) = cfn.of_type(template, "AWS::Logs::ResourcePolicy").values()
    assert '"es.amazonaws.com"' in str(policy["Properties"]["PolicyDocument"]).replace("'", '"')


def test_every_function_finds_the_domain_and_signs_its_requests(searching: Synthesized) -> None:
    logical_id, _ = _domain(searching)
    for function in searching.stack.functions.values():
        variables = cfn.props(searching.template, function.logical_id)["Environment"]["Variables"]
        assert variables["SEARCH_ENABLED"] == "true"
        assert logical_id in cfn.refs(variables["SEARCH_ENDPOINT"])
        assert variables.get("SEARCH_SIGV4", "true") == "true"


def test_the_alias_the_policy_names_is_the_one_the_app_uses() -> None:
    from tests.support import settings

    assert index_alias("texting-test") == settings().search_alias


def test_search_alarms_watch_the_figures_the_code_writes(searching: Synthesized) -> None:
    from pathlib import Path

    from infra.parts.search import FAILURES, HEALTHY, LAG

    alarms = {
        body["Properties"]["AlarmName"]: body["Properties"]
        for body in cfn.of_type(searching.template, "AWS::CloudWatch::Alarm").values()
    }
    prefix = searching.config.prefix
    unhealthy = alarms[f"{prefix}-search-unhealthy"]
    assert unhealthy["TreatMissingData"] == "breaching"  # a silent timer is unhealthy
    (watched,) = [q for q in unhealthy["Metrics"] if "MetricStat" in q]
    assert watched["MetricStat"]["Metric"]["MetricName"] == HEALTHY
    lagging = alarms[f"{prefix}-search-index-lagging"]
    assert (lagging["MetricName"], lagging["ExtendedStatistic"]) == (LAG, "p95")
    for alarm in (lagging, watched["MetricStat"]["Metric"]):
        assert alarm["Namespace"] == "Texting"
        assert alarm["Dimensions"] == [{"Name": "service", "Value": "texting"}]
    assert f"{prefix}-search-failures-waiting" in alarms
    source = (Path(__file__).parents[2] / "chalicelib/api/search_consumers.py").read_text()
    for figure in (HEALTHY, LAG, FAILURES):
        assert f'"{figure}"' in source, figure


def test_no_search_alarms_without_search(stage: Synthesized) -> None:
    names = [
        body["Properties"]["AlarmName"]
        for body in cfn.of_type(stage.template, "AWS::CloudWatch::Alarm").values()
    ]
    assert not [n for n in names if "-search-" in n and "indexer" not in n]
