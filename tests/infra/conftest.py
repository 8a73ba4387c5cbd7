"""Synthesize every stage once per session, in-process, with no AWS credentials.

Synthesis packages the Chalice app (``chalice package``: Lambda wheels come
from PyPI the first time, then from ``.chalice/deployments``), so it is done
once for the whole session and shared. Each stage is kept in two forms: the
template CloudFormation receives, and the same template after the SAM
transform (``samtranslator``, run offline), which is what CloudFormation then
creates — the event source mappings, schedules and REST API stage only exist
in that second form.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.stages import STAGES, StageConfig
from local.node import use as use_project_node

# jsii (started when aws_cdk is first imported) and the CloudFront functions'
# checks run the project's Node, as make does, whatever node is on PATH.
use_project_node()

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK_JSON = REPO_ROOT / "infra" / "cdk.json"
ACCOUNT = "123456789012"
# A stage the repository does not ship, with every optional feature switched the
# other way from dev (mobile push, WAF, OAuth, threat protection, required MFA, an
# alarm address, no tracing, Cognito mail through SES, linear releases, another
# waiting threshold, no budget, search with a two-zone domain), so what those flags
# deploy is proven too.
PUSH_VARIANT = "options"
PUSH_APPLICATIONS = {
    "push_apns_application_arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:app/APNS/texting",
    "push_fcm_application_arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:app/GCM/texting",
}
OPTIONS = {
    **PUSH_APPLICATIONS,
    "waf_enabled": True,
    "cognito_oauth_callback_urls": ("https://app.example.com/callback",),
    "cognito_threat_protection": "enforced",
    "cognito_mfa": "required",
    "alarm_email": "ops@example.com",
    "tracing": False,
    "api_gateway_cloudwatch_role": False,
    "cognito_email_from": "Acme Texting <no-reply@acme.example>",
    "cognito_ses_identity_arn": f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/acme.example",
    "deployment": "Linear10PercentEvery1Minute",
    "sms_waiting_alarm_minutes": 30,
    "monthly_budget_usd": None,
    "eum_configuration_set": "existing-set",  # the operator's own: the stack makes none
    "search_enabled": True,
    "search_instance_count": 2,
}


@dataclass(frozen=True)
class Synthesized:
    """One stage's stack, synthesized."""

    name: str
    config: StageConfig
    stack: Any  # infra.stack.TextingStack
    template: dict[str, Any]  # what `cdk deploy` hands to CloudFormation
    translated: dict[str, Any]  # after the SAM transform: what CloudFormation creates
    template_path: Path


class _NoManagedPolicies:
    """The SAM transform looks up AWS managed policies only for ``Policies`` we never use."""

    def load(self) -> dict[str, str]:
        return {}


def sam_translate(template: dict[str, Any], region: str) -> dict[str, Any]:
    """Run the AWS::Serverless transform locally, as CloudFormation will."""
    from samtranslator.translator.transform import transform

    parameters = {"AWS::Region": region, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}
    translated: dict[str, Any] = transform(
        copy.deepcopy(template), parameters, _NoManagedPolicies()
    )
    return translated


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synthesized]:
    import aws_cdk as cdk

    from infra.stack import TextingStack

    context = json.loads(CDK_JSON.read_text())["context"]  # the CLI's feature flags
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(outdir=str(outdir), context=context)
    configs = dict(STAGES)
    configs[PUSH_VARIANT] = STAGES["dev"].with_overrides(name=PUSH_VARIANT, **OPTIONS)
    stacks = {name: TextingStack(app, config=config) for name, config in configs.items()}
    assembly = app.synth()
    result = {}
    for name, stack in stacks.items():
        artifact = assembly.get_stack_by_name(stack.stack_name)
        template = json.loads(json.dumps(artifact.template))
        result[name] = Synthesized(
            name=name,
            config=configs[name],
            stack=stack,
            template=template,
            translated=sam_translate(template, configs[name].region),
            template_path=Path(artifact.template_full_path),
        )
    return result


@pytest.fixture(params=sorted(STAGES))
def stage(request: pytest.FixtureRequest, synthesized: dict[str, Synthesized]) -> Synthesized:
    """Each test that takes ``stage`` runs once per stage."""
    return synthesized[request.param]


@pytest.fixture(params=[*sorted(STAGES), PUSH_VARIANT])
def variant(request: pytest.FixtureRequest, synthesized: dict[str, Synthesized]) -> Synthesized:
    """Every synthesized stack, the push-enabled variant included."""
    return synthesized[request.param]
