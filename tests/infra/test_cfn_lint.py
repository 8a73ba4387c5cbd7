"""cfn-lint finds no error in what CloudFormation receives, nor in what the SAM transform makes of it."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("form", ["template", "translated"])
def test_cfn_lint_reports_no_errors(variant: Synthesized, form: str) -> None:
    from cfnlint.api import lint

    stage = variant
    matches = lint(json.dumps(getattr(stage, form)), regions=[stage.config.region])
    errors = [m for m in matches if m.rule.id.startswith("E")]
    assert not errors, "\n".join(str(m) for m in errors)
