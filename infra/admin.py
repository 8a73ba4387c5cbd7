"""Operator tool: create a company and its first admin, or add a user, on a deployed stage.

A fresh deployment has an empty directory and a user pool nobody can sign up
to (self sign-up is off), so someone with AWS credentials creates the first
company and its admin::

    .venv/bin/python -m infra.admin --stage dev create-company \\
        --company "Acme Plumbing" --username alice --email alice@acme.example \\
        --name "Alice Admin" --extension 101 --number +14155550100

    .venv/bin/python -m infra.admin --stage dev add-user --company-id c... \\
        --username bob --email bob@acme.example --name "Bob Baker"

The user is a Cognito user of the stage's pool, and their directory profile is
keyed by its ``sub``, exactly as the app expects. By default Cognito e-mails
an invitation with a temporary password (changed at first sign-in);
``--password-stdin`` sets a permanent password read from standard input
instead. Where the pool and table are comes from the stack's outputs.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import boto3

from chalicelib.domain.model import Company, User


@dataclass(frozen=True)
class Stage:
    """What the tool needs from a deployed stack."""

    region: str
    user_pool_id: str
    table_name: str

    @classmethod
    def from_stack(cls, session: boto3.session.Session, stack_name: str) -> Stage:
        stack = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        return cls(
            region=outputs["Region"],
            user_pool_id=outputs["UserPoolId"],
            table_name=outputs["MessagingTableName"],
        )


@dataclass(frozen=True)
class NewUser:
    username: str
    email: str
    name: str
    role: str = "user"
    extension: str = ""
    numbers: tuple[str, ...] = ()
    password: str | None = None  # None: Cognito e-mails a temporary one


def _directory(stage: Stage) -> Any:
    from chalicelib.adapters import dynamodb

    dynamodb.bind_models(stage.table_name, stage.region)
    return dynamodb.DynamoDirectoryRepository()


def _cognito_user(cognito: Any, stage: Stage, user: NewUser) -> str:
    """Create the Cognito user; returns its ``sub`` (the app's user id)."""
    request: dict[str, Any] = {
        "UserPoolId": stage.user_pool_id,
        "Username": user.username,
        "UserAttributes": [
            {"Name": "email", "Value": user.email},
            {"Name": "email_verified", "Value": "true"},
        ],
    }
    if user.password is None:
        request["DesiredDeliveryMediums"] = ["EMAIL"]
    else:
        request["MessageAction"] = "SUPPRESS"
    cognito.admin_create_user(**request)
    if user.password is not None:
        cognito.admin_set_user_password(
            UserPoolId=stage.user_pool_id,
            Username=user.username,
            Password=user.password,
            Permanent=True,
        )
    attributes = cognito.admin_get_user(UserPoolId=stage.user_pool_id, Username=user.username)
    return next(str(a["Value"]) for a in attributes["UserAttributes"] if a["Name"] == "sub")


def add_user(session: boto3.session.Session, stage: Stage, company_id: str, user: NewUser) -> User:
    """A Cognito user plus their directory profile in an existing company."""
    directory = _directory(stage)
    if directory.get_company(company_id) is None:
        raise SystemExit(f"no company {company_id!r} in {stage.table_name}")
    sub = _cognito_user(session.client("cognito-idp", region_name=stage.region), stage, user)
    profile = User(
        user_id=sub,
        company_id=company_id,
        name=user.name,
        email=user.email,
        extension=user.extension,
        role=user.role,
        numbers=list(user.numbers),
    )
    directory.put_user(profile)
    return profile


def create_company(
    session: boto3.session.Session, stage: Stage, company_name: str, admin: NewUser
) -> tuple[Company, User]:
    """A new company and its first admin."""
    company = Company(company_id=f"c{uuid.uuid4().hex}", name=company_name)
    _directory(stage).put_company(company)
    profile = add_user(
        session,
        stage,
        company.company_id,
        NewUser(
            username=admin.username,
            email=admin.email,
            name=admin.name,
            role="admin",
            extension=admin.extension,
            numbers=admin.numbers,
            password=admin.password,
        ),
    )
    return company, profile


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m infra.admin", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--stage", required=True, help="stage name (stack texting-{stage})")
    parser.add_argument("--profile", help="AWS profile to use")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("create-company", "add-user"):
        command = commands.add_parser(name)
        if name == "create-company":
            command.add_argument("--company", required=True, help="company name")
        else:
            command.add_argument("--company-id", required=True)
            command.add_argument("--role", choices=("user", "admin"), default="user")
        command.add_argument("--username", required=True)
        command.add_argument("--email", required=True)
        command.add_argument("--name", required=True, help="display name")
        command.add_argument("--extension", default="")
        command.add_argument(
            "--number", action="append", default=[], help="business number (E.164), repeatable"
        )
        command.add_argument(
            "--password-stdin",
            action="store_true",
            help="read a permanent password from stdin instead of e-mailing an invitation",
        )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    session = boto3.session.Session(profile_name=args.profile)
    stage = Stage.from_stack(session, f"texting-{args.stage}")
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    user = NewUser(
        username=args.username,
        email=args.email,
        name=args.name,
        role=getattr(args, "role", "admin"),
        extension=args.extension,
        numbers=tuple(args.number),
        password=password,
    )
    if args.command == "create-company":
        company, profile = create_company(session, stage, args.company, user)
        print(f"company_id={company.company_id} admin user_id={profile.user_id}")
    else:
        profile = add_user(session, stage, args.company_id, user)
        print(f"user_id={profile.user_id}")


if __name__ == "__main__":
    main()
