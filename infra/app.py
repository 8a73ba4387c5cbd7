"""CDK entry point: ``cdk synth -c stage=dev`` (run from infra/, or via ``make synth``).

The stage comes from the ``stage`` context value and its flags from
``infra/stages.py``; ``-c flags='{"sms_enabled": false}'`` overrides some of
them for one synth/deploy without editing the file (an experiment, not a way to
run production: committed configuration is the record of what is deployed).
``-c deploy=true`` (``make deploy``) also refuses a stage that must not go out as
configured (``StageConfig.deployable``: prod alarms that would reach nobody).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The repository root goes first: chalicelib must import, and Chalice imports the
# application's ``app`` module by name, which must not resolve to this file.
REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from local.node import use as use_project_node  # noqa: E402

# Importing aws_cdk starts jsii's Node: the project's own, even when the CDK CLI
# itself was started some other way than through the Makefile.
use_project_node()

import aws_cdk as cdk  # noqa: E402

from infra.stack import TextingStack  # noqa: E402
from infra.stages import stage  # noqa: E402


def main(context: dict[str, object] | None = None) -> None:
    """``context``: CDK context values as ``-c key=value`` gives them (tests pass them here)."""
    app = cdk.App(context=context)
    name = app.node.try_get_context("stage")
    if not name:
        raise SystemExit("choose a stage: cdk synth -c stage=dev (see infra/stages.py)")
    config = stage(str(name))
    overrides = app.node.try_get_context("flags")
    if overrides:
        config = config.with_overrides(
            **(json.loads(overrides) if isinstance(overrides, str) else overrides)
        )
    if app.node.try_get_context("deploy"):  # make deploy: refuse what must not go out
        try:
            config.deployable()
        except ValueError as refusal:
            raise SystemExit(str(refusal)) from None
    TextingStack(app, config=config)
    app.synth()


if __name__ == "__main__":
    main()
