"""Operator tool for reports on a deployed stage (or the local stack): the copy of
agents' figures kept before they were partitioned per agent and month.

    .venv/bin/python -m infra.admin_reports --stage dev copy-agent-rows --company <id> \\
        --checkpoint copy-dev.json --per-second 50

The table comes from the stack's outputs (``MessagingTableName``); ``--table`` and
``--region`` give it instead (the local stack: with ``--endpoint``). A run stopped
anywhere is started again with the same checkpoint; without one it reads the old
partition again and skips every item already copied. docs/deploy.md ("Reports") says
when to run it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PREFIX_DEFAULT = "texting-{stage}"


def copy_agent_rows(
    companies: Sequence[str],
    *,
    checkpoint: Path | None,
    per_second: float,
    out: Any = sys.stderr,
) -> dict[str, int]:
    """Copy the companies' old agent rows (the models must be bound to the table)."""
    from chalicelib.adapters.dynamodb.report_copy import DynamoOldAgentRows
    from chalicelib.services.report_copy import CopyCheckpoint, CopyProgress, ReportCopy

    def report(progress: CopyProgress) -> None:
        print(
            f"{progress.company_id}: {progress.read} read, {progress.copied} copied",
            file=out,
            flush=True,
        )

    run = ReportCopy(
        DynamoOldAgentRows(), CopyCheckpoint.load(checkpoint), per_second=per_second, report=report
    )
    totals = {"read": 0, "copied": 0}
    for company_id in companies:
        progress = run.run(company_id)
        totals["read"] += progress.read
        totals["copied"] += progress.copied
    return totals


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.admin_reports", description=__doc__)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--profile", default=None, help="AWS profile of the operator")
    parser.add_argument("--prefix", default="", help="resource prefix (default texting-STAGE)")
    parser.add_argument("--table", default="", help="the table (instead of the stack's)")
    parser.add_argument("--region", default="")
    parser.add_argument("--endpoint", default=None, help="DynamoDB endpoint (local stack)")
    commands = parser.add_subparsers(dest="command", required=True)
    copy = commands.add_parser("copy-agent-rows", help="copy agents' figures of before")
    copy.add_argument("--company", action="append", required=True)
    copy.add_argument("--checkpoint", type=Path, default=None, help="resume file (JSON)")
    copy.add_argument("--per-second", type=float, default=50.0, help="old items a second")
    return parser


def main(argv: list[str] | None = None) -> None:
    import boto3

    from chalicelib.adapters import dynamodb
    from chalicelib.adapters.dynamodb import report_copy  # noqa: F401  (its item type, bound below)

    args = _parser().parse_args(argv)
    session = boto3.session.Session(profile_name=args.profile)
    table, region = args.table, args.region or session.region_name or "us-east-1"
    if not table:
        prefix = args.prefix or PREFIX_DEFAULT.format(stage=args.stage)
        stack = session.client("cloudformation").describe_stacks(StackName=prefix)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        table, region = outputs["MessagingTableName"], outputs.get("Region", region)
    dynamodb.bind_models(table, region, args.endpoint)
    answer = copy_agent_rows(args.company, checkpoint=args.checkpoint, per_second=args.per_second)
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
