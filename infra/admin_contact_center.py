"""Operator tool for the contact center on a deployed stage (or the local stack).

    .venv/bin/python -m infra.admin_contact_center --stage dev relist-live \\
        --company <company id> [--company <another>]

``relist-live`` gives the interactions that were open when the queues' live list
was deployed their place in it (``chalicelib.services.contact_center.live_backfill``);
docs/deploy.md ("The contact center's live list") says when. The table comes from the
stack's output ``MessagingTableName`` (``--table`` and ``--region`` for the local stack).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import boto3


def relist_live(table: str, region: str, companies: Sequence[str]) -> dict[str, Any]:
    from chalicelib.adapters import dynamodb
    from chalicelib.services.contact_center.live_backfill import relist_open

    dynamodb.bind_models(table, region)
    repo = dynamodb.DynamoContactCenterRepository()
    return {company: asdict(relist_open(repo, company)) for company in companies}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.admin_contact_center", description=__doc__
    )
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--profile", default=None, help="AWS profile of the operator")
    parser.add_argument("--table", default="", help="the table (instead of the stack's)")
    parser.add_argument("--region", default="")
    commands = parser.add_subparsers(dest="command", required=True)
    relist = commands.add_parser("relist-live", help="list open interactions in the live list")
    relist.add_argument("--company", action="append", required=True)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    session = boto3.session.Session(profile_name=args.profile)
    table, region = args.table, args.region or session.region_name or "us-east-1"
    if not table:
        from infra.admin import Stage

        stage = Stage.from_stack(session, f"texting-{args.stage}")
        table, region = stage.table_name, stage.region
    print(json.dumps(relist_live(table, region, args.company)))


if __name__ == "__main__":
    main()
