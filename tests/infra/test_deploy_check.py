"""make deploy-check: docs/deploy.md's commands against the Makefile, the operator tool and the stack."""

from __future__ import annotations

import json

import pytest

from infra import deploy_check
from tests.infra.conftest import Synthesized

DOC = deploy_check.DOC.read_text()


@pytest.mark.infra
def test_the_guide_matches_the_makefile_the_tool_and_the_synthesized_outputs(
    synthesized: dict[str, Synthesized],
) -> None:
    for name in ("dev", "prod"):
        outputs = set(synthesized[name].template["Outputs"])
        assert deploy_check.problems(DOC, outputs) == []


def _outputs() -> set[str]:
    return deploy_check.documented_outputs(DOC)  # as if the stack had exactly these


def test_the_real_guide_names_the_resources_and_targets_it_relies_on() -> None:
    assert {"RestApiUrl", "SmsEventsTopicArn", "SmsOutboundQueueUrl", "AlarmTopicArn"} <= _outputs()
    assert {"deploy", "test-infra", "deploy-check", "checkov"} <= deploy_check.make_targets()
    assert deploy_check.problems(DOC, _outputs()) == []


@pytest.mark.parametrize(
    ("change", "reported"),
    [
        (("make deploy STAGE=dev", "make ship STAGE=dev"), "`make ship`: no such Makefile target"),
        (("import-twilio --company-id", "import-twilio --company-name"), "import-twilio"),
        (("assign-number --number", "assign-number --e164"), "assign-number"),
        (("`DashboardName` |", "`Dashbord` |"), "`Dashbord`"),
        (("create-secret --region us-east-1", "create-secret"), "stage's region"),
        (
            ("AWS_DEFAULT_REGION=us-east-1 .venv/bin/chalice", ".venv/bin/chalice"),
            "needs AWS_DEFAULT_REGION",
        ),
        (("flags='{\"sms_enabled\": false}'", "flags='{\"sms_enabeld\": false}'"), "sms_enabeld"),
        (("-c stage=dev -c flags", "-c stage=qa -c flags"), "-c stage=qa"),
        (("| `waf_webhook_rate_limit` |", "| `waf_limit` |"), "waf_webhook_rate_limit"),
    ],
)
def test_a_guide_that_drifted_is_reported(change: tuple[str, str], reported: str) -> None:
    old, new = change
    assert old in DOC, old
    found = deploy_check.problems(DOC.replace(old, new, 1), _outputs())
    assert any(reported in problem for problem in found), found


def test_the_command_line_fails_on_a_drifted_guide(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    doc = tmp_path / "deploy.md"
    doc.write_text(DOC.replace("make deploy STAGE=dev", "make ship STAGE=dev", 1))
    template = tmp_path / "template.json"
    template.write_text(json.dumps({"Outputs": {name: {} for name in _outputs()}}))
    assert deploy_check.main(["--doc", str(doc), "--template", str(template)]) == 1
    doc.write_text(DOC)
    assert deploy_check.main(["--doc", str(doc), "--template", str(template)]) == 0
