"""Operator tool for the contact center on a deployed stage (or the local stack).

    .venv/bin/python -m infra.admin_contact_center --stage dev relist-live \\
        --company <company id> [--company <another>]
    .venv/bin/python -m infra.admin_contact_center --stage dev canned-copies \\
        --company <id> --checkpoint canned-dev.json

``relist-live`` gives the interactions that were open when the queues' live list
was deployed their place in it (``chalicelib.services.contact_center.live_backfill``);
docs/deploy.md ("The contact center's live list") says when.

``canned-copies`` writes the per-scope copies of canned replies saved before
replies were kept per scope (resumable, idempotent, paced); docs/deploy.md
("Contact center: canned replies per scope") says when to run it.

The table comes from the stack's output ``MessagingTableName``; ``--table`` and
``--region`` give it for the local stack.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
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


def relist_live(table: str, region: str, companies: Sequence[str]) -> dict[str, Any]:
    from chalicelib.adapters import dynamodb
    from chalicelib.services.contact_center.live_backfill import relist_open

    dynamodb.bind_models(table, region)
    repo = dynamodb.DynamoContactCenterRepository()
    return {company: asdict(relist_open(repo, company)) for company in companies}


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
    relist = commands.add_parser("relist-live", help="list open interactions in the live list")
    relist.add_argument("--company", action="append", required=True)
    copies = commands.add_parser("canned-copies", help="canned replies' per-scope copies")
    copies.add_argument("--company", action="append", required=True)
    copies.add_argument("--checkpoint", type=Path, default=None, help="resume file (JSON)")
    copies.add_argument("--per-second", type=float, default=50.0, help="replies a second")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    session = boto3.session.Session(profile_name=args.profile)
    table, region = table_of(args, session)
    if args.command == "relist-live":
        print(json.dumps(relist_live(table, region, args.company)))
    else:
        answer = canned_copies(table, region, args.company, args.checkpoint, args.per_second)
        print(json.dumps({"copied": answer}))


if __name__ == "__main__":
    main()
