"""Operator tool for the contact center on a deployed stage (or the local stack).

    .venv/bin/python -m infra.admin_contact_center --stage dev canned-copies \\
        --company <id> --checkpoint canned-dev.json

``canned-copies`` writes the per-scope copies of canned replies saved before
replies were kept per scope (resumable, idempotent, paced). The table comes from
the stack's output ``MessagingTableName``; ``--table`` and ``--region`` give it for
the local stack. docs/deploy.md ("Contact center: canned replies per scope") says
when to run it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import boto3

PREFIX_DEFAULT = "texting-{stage}"


def table_of(args: Any, session: boto3.session.Session) -> tuple[str, str]:
    """The messaging table and its region."""
    if args.table:
        return args.table, args.region or session.region_name or "us-east-1"
    prefix = args.prefix or PREFIX_DEFAULT.format(stage=args.stage)
    stack = session.client("cloudformation").describe_stacks(StackName=prefix)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return outputs["MessagingTableName"], outputs["Region"]


def canned_copies(
    table: str,
    region: str,
    companies: list[str],
    checkpoint: Path | None,
    per_second: float,
    out: Any = sys.stderr,
) -> dict[str, int]:
    from chalicelib.adapters import dynamodb
    from chalicelib.services.contact_center.canned_copies import CannedCopies, CopiesCheckpoint

    def report(company_id: str, copied: int) -> None:
        print(f"{company_id}: {copied} replies", file=out, flush=True)

    dynamodb.bind_models(table, region)
    run = CannedCopies(
        dynamodb.DynamoContactCenterRepository(),
        CopiesCheckpoint.load(checkpoint),
        per_second=per_second,
        report=report,
    )
    return {company_id: run.run(company_id) for company_id in companies}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.admin_contact_center", description=__doc__
    )
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--profile", default=None, help="AWS profile of the operator")
    parser.add_argument("--prefix", default="", help="resource prefix (default texting-STAGE)")
    parser.add_argument("--table", default="", help="the messaging table (instead of the stack's)")
    parser.add_argument("--region", default="")
    commands = parser.add_subparsers(dest="command", required=True)
    copies = commands.add_parser("canned-copies", help="canned replies' per-scope copies")
    copies.add_argument("--company", action="append", required=True)
    copies.add_argument("--checkpoint", type=Path, default=None, help="resume file (JSON)")
    copies.add_argument("--per-second", type=float, default=50.0, help="replies a second")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    session = boto3.session.Session(profile_name=args.profile)
    table, region = table_of(args, session)
    answer = canned_copies(table, region, args.company, args.checkpoint, args.per_second)
    print(json.dumps({"copied": answer}))


if __name__ == "__main__":
    main()
