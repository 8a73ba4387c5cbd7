"""Operator tool for search on a deployed stage (or the local stack): status, the index
behind its alias, backfill, alias swap and the redrive of refused writes.

    .venv/bin/python -m infra.admin_search --stage dev status
    .venv/bin/python -m infra.admin_search --stage dev ensure            # alias + first index
    .venv/bin/python -m infra.admin_search --stage dev backfill --company <id> \\
        --checkpoint backfill-dev.json --per-second 200
    .venv/bin/python -m infra.admin_search --stage dev create-index --version 2
    .venv/bin/python -m infra.admin_search --stage dev backfill --company <id> \\
        --into texting-dev-messages-v2 --checkpoint v2.json
    .venv/bin/python -m infra.admin_search --stage dev swap --version 2
    .venv/bin/python -m infra.admin_search --stage dev backfill --company <id> --since <T>
    .venv/bin/python -m infra.admin_search --stage dev redrive

Where the domain, table and queue are comes from the stack's outputs
(``SearchEndpoint``, ``MessagingTableName``, ``SearchFailuresQueueUrl``); requests
to the domain are signed with the operator's own credentials. For the local stack,
``--endpoint``, ``--table``, ``--queue-url`` and ``--unsigned`` give them instead.
docs/deploy.md ("Search") says when to run each command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

PREFIX_DEFAULT = "texting-{stage}"
EMBEDDED_HAS_NO_VERSIONS = (
    "the local stack's embedded index has no alias or versions: its schema changes"
    " with the code, in a new file the stack makes at start"
)


@dataclass(frozen=True)
class Target:
    """Where search lives on one stage."""

    prefix: str
    region: str
    endpoint: str
    table: str
    queue_url: str
    signed: bool = True

    @property
    def alias(self) -> str:
        return f"{self.prefix}-messages"

    @classmethod
    def from_args(cls, args: Any, session: boto3.session.Session) -> Target:
        prefix = args.prefix or PREFIX_DEFAULT.format(stage=args.stage)
        if args.endpoint:
            return cls(
                prefix,
                args.region or session.region_name or "us-east-1",
                args.endpoint,
                args.table or f"{prefix}-messaging",
                args.queue_url or "",
                signed=not args.unsigned,
            )
        stack = session.client("cloudformation").describe_stacks(StackName=prefix)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if "SearchEndpoint" not in outputs:
            sys.exit(f"{prefix} has no search domain: set search_enabled in infra/stages.py")
        return cls(
            prefix,
            outputs["Region"],
            outputs["SearchEndpoint"],
            outputs["MessagingTableName"],
            outputs.get("SearchFailuresQueueUrl", ""),
        )


def index_of(target: Target, name: str | None = None) -> Any:
    """The index behind the alias (or the physical index ``name``); on the local
    stack's embedded index (``sqlite:{path}``) there is only the one file."""
    from chalicelib.adapters.opensearch import OpenSearchIndex
    from chalicelib.bootstrap_adapters import SQLITE_SCHEME

    if target.endpoint.startswith(SQLITE_SCHEME):
        from chalicelib.adapters.sqlite_search import SqliteSearchIndex

        if name:
            sys.exit(EMBEDDED_HAS_NO_VERSIONS)
        path = target.endpoint[len(SQLITE_SCHEME) :]
        return SqliteSearchIndex(path, target.alias, create=False)  # a typo is unreachable
    return OpenSearchIndex(
        target.endpoint, name or target.alias, region=target.region, sign=target.signed
    )


def repositories(target: Target) -> tuple[Any, Any]:
    from chalicelib.adapters import dynamodb

    dynamodb.bind_models(target.table, target.region)
    return dynamodb.DynamoDirectoryRepository(), dynamodb.DynamoConversationRepository()


def status(target: Target, session: boto3.session.Session) -> dict[str, Any]:
    health = index_of(target).health()
    answer: dict[str, Any] = {
        "alias": target.alias,
        "index": health.index,
        "status": health.status,
        "documents": health.documents,
    }
    if target.queue_url:
        from chalicelib.adapters.search_failures import SqsSearchFailures

        failures = SqsSearchFailures(target.prefix, session.client("sqs"), target.queue_url)
        answer["failures_waiting"] = failures.waiting()
    return answer


def backfill(
    target: Target,
    companies: Sequence[str],
    *,
    checkpoint: Path | None,
    per_second: float,
    since: str | None = None,
    into: str | None = None,
    out: Any = None,
) -> dict[str, int]:
    """Index the companies' history (into the alias, or the physical index ``into``);
    progress goes to ``out`` (standard error as it is when called)."""
    from chalicelib.services.search_backfill import Checkpoint, Progress, SearchBackfill

    out = out or sys.stderr

    def report(progress: Progress) -> None:
        print(
            f"{progress.company_id}: {progress.conversations} conversations, "
            f"{progress.documents} documents, {progress.per_second:.0f}/s",
            file=out,
            flush=True,
        )

    directory, conversations = repositories(target)
    index = index_of(target, into)
    run = SearchBackfill(
        index,
        directory,
        conversations,
        Checkpoint.load(checkpoint),
        per_second=per_second,
        report=report,
    )
    totals = {"conversations": 0, "documents": 0}
    for company_id in companies:
        progress = run.run(company_id, since)
        totals["conversations"] += progress.conversations
        totals["documents"] += progress.documents
    index.refresh()
    return totals


def redrive(target: Target, session: boto3.session.Session, limit: int) -> int:
    """Index again, as the table holds them now, the batches the engine refused."""
    from chalicelib.adapters.search_failures import SqsSearchFailures
    from chalicelib.services.search import SearchIndexer

    if not target.queue_url:
        sys.exit("no search-failures queue URL (the stack's SearchFailuresQueueUrl)")
    _, conversations = repositories(target)
    failures = SqsSearchFailures(target.prefix, session.client("sqs"), target.queue_url)
    indexer = SearchIndexer(index_of(target), conversations, failures.keep)
    return failures.drain(indexer.redrive, limit)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.admin_search", description=__doc__)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--profile", default=None, help="AWS profile of the operator")
    parser.add_argument("--prefix", default="", help="resource prefix (default texting-STAGE)")
    parser.add_argument("--endpoint", default="", help="the engine (instead of the stack's)")
    parser.add_argument("--region", default="")
    parser.add_argument("--table", default="")
    parser.add_argument("--queue-url", default="")
    parser.add_argument("--unsigned", action="store_true", help="the local engine only")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="alias, index, health, documents, failures waiting")
    ensure = commands.add_parser("ensure", help="the alias and its first index")
    ensure.add_argument("--replicas", type=int, default=0, help="1 on a two-zone domain")
    create = commands.add_parser("create-index", help="a new index (mapping change)")
    create.add_argument("--version", type=int, required=True)
    create.add_argument("--replicas", type=int, default=0)
    swap = commands.add_parser("swap", help="point the alias at version N, atomically")
    swap.add_argument("--version", type=int, required=True)
    fill = commands.add_parser("backfill", help="index existing history")
    fill.add_argument("--company", action="append", required=True)
    fill.add_argument("--checkpoint", type=Path, default=None, help="resume file (JSON)")
    fill.add_argument("--per-second", type=float, default=200.0, help="documents a second")
    fill.add_argument("--since", default=None, help="only what changed since (ISO time)")
    fill.add_argument("--into", default=None, help="a physical index instead of the alias")
    again = commands.add_parser("redrive", help="index the refused writes again")
    again.add_argument("--limit", type=int, default=1000, help="kept batches at most")
    return parser


def main(argv: list[str] | None = None) -> None:
    from chalicelib.adapters.opensearch import versioned

    args = _parser().parse_args(argv)
    session = boto3.session.Session(profile_name=args.profile)
    target = Target.from_args(args, session)
    answer: Any
    if args.command == "status":
        answer = status(target, session)
    elif args.command in ("ensure", "create-index", "swap") and target.endpoint.startswith(
        "sqlite:"
    ):
        sys.exit(EMBEDDED_HAS_NO_VERSIONS)
    elif args.command == "ensure":
        answer = {"index": index_of(target).ensure(replicas=args.replicas)}
    elif args.command == "create-index":
        name = versioned(target.alias, args.version)
        answer = {"index": name, "created": index_of(target).create(name, replicas=args.replicas)}
    elif args.command == "swap":
        name = versioned(target.alias, args.version)
        answer = {"alias": target.alias, "index": name, "left": index_of(target).point_alias(name)}
    elif args.command == "backfill":
        answer = backfill(
            target,
            args.company,
            checkpoint=args.checkpoint,
            per_second=args.per_second,
            since=args.since,
            into=args.into,
        )
    else:
        answer = {"redriven": redrive(target, session, args.limit)}
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
