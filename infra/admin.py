"""Operator tool: create a company and its first admin, or add a user, on a deployed stage.

A fresh deployment has an empty directory and a user pool nobody can sign up
to (self sign-up is off), so someone with AWS credentials creates the first
company and its admin::

    .venv/bin/python -m infra.admin --stage dev create-company \\
        --company "Acme Plumbing" --username alice --email alice@acme.example \\
        --name "Alice Admin" --extension 101 --number +14155550100

    .venv/bin/python -m infra.admin --stage dev add-user --company-id c... \\
        --username bob --email bob@acme.example --name "Bob Baker"

Business numbers (the numbers texts are sent from) are registered by the
operator, then assigned to the users who text from them::

    .venv/bin/python -m infra.admin --stage dev add-number --company-id c... \\
        --number +14155550100 --type local --capability sms --capability mms \\
        --provider twilio --user <user id>
    .venv/bin/python -m infra.admin --stage dev assign-number --number +14155550100 \\
        --user <user id>
    .venv/bin/python -m infra.admin --stage dev import-twilio --company-id c...
    .venv/bin/python -m infra.admin --stage dev import-eum --company-id c...

A number's provider defaults to the stage's ``sms_default_provider``; its
country comes from the number. ``import-twilio`` lists the numbers of the
Twilio account whose SID and auth token are in the stage's secret,
``import-eum`` those of AWS End User Messaging SMS in the stage's region.

US carriers deliver a number's texts only once it is registered (``infra.admin_registrations``)::

    .venv/bin/python -m infra.admin --stage dev submit-registration campaign.json
    .venv/bin/python -m infra.admin --stage dev attach-number --company-id c... \\
        --registration acme-campaign --number +14155550100
    .venv/bin/python -m infra.admin --stage dev import-twilio-registrations --company-id c...
    .venv/bin/python -m infra.admin --stage dev record-registration --number +14155550100 \\
        --kind 10dlc --status approved

Web Push needs a VAPID key in the stage's secret (``infra.admin_push``)::

    .venv/bin/python -m infra.admin --stage dev generate-vapid-key

The user is a Cognito user of the stage's pool, and their directory profile is
keyed by its ``sub``, exactly as the app expects. By default Cognito e-mails
an invitation with a temporary password (changed at first sign-in);
``--password-stdin`` sets a permanent password read from standard input
instead. Where the pool and table are comes from the stack's outputs.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3

from chalicelib.domain.model import BusinessNumber, Company, User
from chalicelib.services.commands import InviteUser
from infra import admin_push, admin_registrations
from infra.stages import STAGES, StageConfig


@dataclass(frozen=True)
class Stage:
    """What the tool needs from a deployed stack."""

    region: str
    user_pool_id: str
    table_name: str
    # From the stage's configuration (infra/stages.py).
    config: StageConfig = field(default_factory=lambda: STAGES["dev"])
    client_id: str = ""
    websocket_management_url: str = ""
    outputs: dict[str, str] = field(default_factory=dict)  # every output of the stack

    @classmethod
    def from_stack(
        cls, session: boto3.session.Session, stack_name: str, config: StageConfig | None = None
    ) -> Stage:
        stack = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if config is None:
            name = stack_name.removeprefix("texting-")
            config = STAGES.get(name) or StageConfig(name=name)
        return cls(
            region=outputs["Region"],
            user_pool_id=outputs["UserPoolId"],
            table_name=outputs["MessagingTableName"],
            config=config,
            client_id=outputs.get("UserPoolClientId", ""),
            websocket_management_url=outputs.get("WebSocketManagementUrl", ""),
            outputs=outputs,
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
    """Create a Cognito user with the password given (no email); returns its ``sub``
    (the app's user id)."""
    assert user.password is not None
    cognito.admin_create_user(
        UserPoolId=stage.user_pool_id,
        Username=user.username,
        UserAttributes=[
            {"Name": "email", "Value": user.email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": user.name},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=stage.user_pool_id,
        Username=user.username,
        Password=user.password,
        Permanent=True,
    )
    attributes = cognito.admin_get_user(UserPoolId=stage.user_pool_id, Username=user.username)
    return next(str(a["Value"]) for a in attributes["UserAttributes"] if a["Name"] == "sub")


def add_user(session: boto3.session.Session, stage: Stage, company_id: str, user: NewUser) -> User:
    """A person in an existing company: invited (Cognito mails a temporary password,
    worded by the stage's CustomMessage trigger) through the same service as the
    API's ``POST /admin/users``, or, with a password, a Cognito user who has it."""
    from infra import admin_accounts

    directory = _directory(stage)
    if directory.get_company(company_id) is None:
        raise SystemExit(f"no company {company_id!r} in {stage.table_name}")
    if user.password is None:
        svc = admin_accounts.services(session, stage)
        invited = admin_accounts.invite(
            svc, company_id, InviteUser(user.username, user.email, user.name, user.role)
        )
        profile = svc.adapters.directory.get_user(str(invited["user_id"]))
        assert profile is not None
        if user.extension or user.numbers:
            profile.extension, profile.numbers = user.extension, list(user.numbers)
            svc.adapters.directory.put_user(profile)
        return profile
    sub = _cognito_user(session.client("cognito-idp", region_name=stage.region), stage, user)
    profile = User(
        user_id=sub,
        company_id=company_id,
        name=user.name,
        email=user.email,
        extension=user.extension,
        role=user.role,
        numbers=list(user.numbers),
        username=user.username,
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


# -- business numbers ---------------------------------------------------------


def _sms_repository(stage: Stage) -> Any:
    from chalicelib.adapters import dynamodb

    dynamodb.bind_models(stage.table_name, stage.region)
    return dynamodb.DynamoSmsRepository()


def _vocabulary() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Number types, providers and capabilities, as the admin API accepts them."""
    from chalicelib.services.admin import CAPABILITIES, NUMBER_TYPES, PROVIDERS

    return NUMBER_TYPES, PROVIDERS, CAPABILITIES


def _e164(raw: str) -> str:
    from chalicelib.domain import phone

    return phone.normalise(raw)


def _country(e164: str) -> str:
    from chalicelib.domain.sms import classify_destination

    country = classify_destination(e164).country
    if country is None:
        raise SystemExit(f"{e164}: not a number of any one country")
    return country


@dataclass(frozen=True)
class NewNumber:
    """A business number as the operator registers it; empty fields take defaults."""

    e164: str
    type: str = "local"
    country: str = ""  # "": the number's own country
    capabilities: tuple[str, ...] = ("sms", "mms")
    provider: str = ""  # "": the stage's sms_default_provider
    state: str = "active"


def add_number(
    stage: Stage, company_id: str, new: NewNumber, users: Sequence[str] = ()
) -> BusinessNumber:
    """Register (or update) a number of a company and assign it to ``users``."""
    types, providers, capabilities = _vocabulary()
    e164 = _e164(new.e164)
    provider = new.provider or stage.config.sms_default_provider
    if new.type not in types:
        raise SystemExit(f"--type must be one of {', '.join(types)}")
    if provider not in providers:
        raise SystemExit(f"--provider must be one of {', '.join(providers)}, not {provider!r}")
    if not set(new.capabilities) <= set(capabilities):
        raise SystemExit(f"--capability must be among {', '.join(capabilities)}")
    if _directory(stage).get_company(company_id) is None:
        raise SystemExit(f"no company {company_id!r} in {stage.table_name}")
    repository = _sms_repository(stage)
    existing = repository.get_number(e164)
    if existing is not None and existing.company_id != company_id:
        raise SystemExit(f"{e164} belongs to another company ({existing.company_id})")
    number = BusinessNumber(
        e164=e164,
        company_id=company_id,
        type=new.type,
        country=new.country or _country(e164),
        capabilities=list(dict.fromkeys(new.capabilities)),
        provider=provider,
        state=new.state,
        users=list(existing.users) if existing else [],
    )
    repository.put_number(number)
    for user_id in users:
        number = assign_number(stage, e164, user_id)
    return number


def assign_number(stage: Stage, raw: str, user_id: str) -> BusinessNumber:
    """Let a user of the number's company text from it (the user's list and the number's)."""
    e164 = _e164(raw)
    repository, directory = _sms_repository(stage), _directory(stage)
    number = repository.get_number(e164)
    if number is None:
        raise SystemExit(f"no business number {e164}: add it first (add-number)")
    user = directory.get_user(user_id)
    if user is None or user.company_id != number.company_id:
        raise SystemExit(f"no user {user_id!r} in company {number.company_id}")
    if user_id not in number.users:
        number.users.append(user_id)
        repository.put_number(number)
    if e164 not in user.numbers:
        user.numbers.append(e164)
        directory.put_user(user)
    return number


def twilio_numbers(
    account_sid: str, auth_token: str, base_url: str = "https://api.twilio.com"
) -> Iterator[NewNumber]:
    """Every number of a Twilio account (IncomingPhoneNumbers, all pages)."""
    credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
    base = base_url.rstrip("/")
    path = f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers.json?PageSize=100"
    while path:
        request = urllib.request.Request(
            base + path, headers={"Authorization": f"Basic {credentials}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            page = json.load(response)
        for item in page.get("incoming_phone_numbers", []):
            abilities = item.get("capabilities") or {}
            e164 = _e164(item["phone_number"])
            yield NewNumber(
                e164=e164,
                type=_number_type(e164),
                capabilities=tuple(c for c in ("sms", "mms") if abilities.get(c)),
                provider="twilio",
                state="active" if item.get("status", "in-use") == "in-use" else "inactive",
            )
        next_page = page.get("next_page_uri")
        path = next_page if next_page else ""


def _number_type(e164: str) -> str:
    """local, mobile or toll_free, from the number itself (Twilio lists no type)."""
    from chalicelib.domain.sms import classify_destination

    kind = classify_destination(e164).number_type
    return {"toll_free": "toll_free", "mobile": "mobile"}.get(kind, "local")


# End User Messaging's NumberType → the app's number type.
EUM_TYPES = {"TOLL_FREE": "toll_free", "TEN_DLC": "local", "LONG_CODE": "local"}


def eum_numbers(client: Any) -> Iterator[NewNumber]:
    """The account's End User Messaging SMS numbers (describe_phone_numbers, all pages);
    short codes and simulator numbers are not business numbers of this app."""
    token: str | None = None
    while True:
        page = client.describe_phone_numbers(**({"NextToken": token} if token else {}))
        for item in page.get("PhoneNumbers", []):
            kind = EUM_TYPES.get(item.get("NumberType", ""))
            if kind is None:
                continue
            abilities = set(item.get("NumberCapabilities", []))
            yield NewNumber(
                e164=_e164(item["PhoneNumber"]),
                type=kind,
                country=item.get("IsoCountryCode", ""),
                capabilities=tuple(c for c in ("sms", "mms") if c.upper() in abilities),
                provider="eum",
                state="active" if item.get("Status") == "ACTIVE" else "inactive",
            )
        token = page.get("NextToken")
        if not token:
            return


def import_numbers(stage: Stage, company_id: str, found: Iterator[NewNumber]) -> list[str]:
    """Register every number found for the company; returns the numbers registered."""
    return [add_number(stage, company_id, number).e164 for number in found]


def twilio_credentials(session: boto3.session.Session, stage: Stage) -> tuple[str, str]:
    """The account SID and auth token from the stage's Twilio secret."""
    secrets = session.client("secretsmanager", region_name=stage.region)
    value = secrets.get_secret_value(SecretId=stage.config.twilio_secret_name)["SecretString"]
    secret = json.loads(value)
    return str(secret["account_sid"]), str(secret["auth_token"])


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
    for name, verb in (("disable-user", "offboard"), ("enable-user", "let back in")):
        account = commands.add_parser(name, help=f"{verb} a user (as their company's admin)")
        account.add_argument("--user-id", required=True)
    types, providers, capabilities = _vocabulary()
    number = commands.add_parser("add-number", help="register a business number of a company")
    number.add_argument("--company-id", required=True)
    number.add_argument("--number", required=True, help="E.164, e.g. +14155550100")
    number.add_argument("--type", choices=types, default="local")
    number.add_argument("--country", default="", help="ISO code (default: the number's)")
    number.add_argument(
        "--capability", action="append", choices=capabilities, help="repeatable (default: sms, mms)"
    )
    number.add_argument(
        "--provider",
        choices=providers,
        default="",
        help="default: the stage's sms_default_provider",
    )
    number.add_argument("--user", action="append", default=[], help="user id to assign, repeatable")
    assign = commands.add_parser("assign-number", help="let a user text from a number")
    assign.add_argument("--number", required=True)
    assign.add_argument("--user", required=True, help="user id")
    for name, source in (
        ("import-twilio", "the Twilio account"),
        ("import-eum", "End User Messaging"),
    ):
        imported = commands.add_parser(name, help=f"register every number of {source}")
        imported.add_argument("--company-id", required=True)
    admin_registrations.add_commands(commands)
    admin_push.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    session = boto3.session.Session(profile_name=args.profile)
    stage = Stage.from_stack(session, f"texting-{args.stage}")
    if args.command in ("disable-user", "enable-user"):
        from infra import admin_accounts

        svc = admin_accounts.services(session, stage)
        act = admin_accounts.disable if args.command == "disable-user" else admin_accounts.enable
        print(json.dumps(act(svc, args.user_id)))
        return
    if args.command in admin_push.COMMANDS:
        print("\n".join(admin_push.run(session, stage, args)))
        return
    if args.command in admin_registrations.COMMANDS:
        print("\n".join(admin_registrations.run(session, stage, args)))
        return
    if args.command in NUMBER_COMMANDS:
        for line in NUMBER_COMMANDS[args.command](session, stage, args):
            print(line)
        return
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


def _add_number(session: boto3.session.Session, stage: Stage, args: Any) -> list[str]:
    new = NewNumber(
        e164=args.number,
        type=args.type,
        country=args.country,
        capabilities=tuple(args.capability or ("sms", "mms")),
        provider=args.provider,
    )
    number = add_number(stage, args.company_id, new, args.user)
    return [json.dumps(number.to_dict())]


def _assign_number(session: boto3.session.Session, stage: Stage, args: Any) -> list[str]:
    return [json.dumps(assign_number(stage, args.number, args.user).to_dict())]


def _import_twilio(session: boto3.session.Session, stage: Stage, args: Any) -> list[str]:
    sid, token = twilio_credentials(session, stage)
    found = twilio_numbers(sid, token, stage.config.twilio_api_base_url)
    return [f"registered {e164}" for e164 in import_numbers(stage, args.company_id, found)]


def answer_keywords_ourselves(client: Any) -> list[str]:
    """Self-managed opt-outs on every business number of the account: End User
    Messaging then neither answers STOP/HELP nor keeps an opt-out list of its own, and
    the app's one reply (naming the business) is the only one (docs/sms.md)."""
    switched: list[str] = []
    token: str | None = None
    while True:
        page = client.describe_phone_numbers(**({"NextToken": token} if token else {}))
        for item in page.get("PhoneNumbers", []):
            if item.get("NumberType", "") in EUM_TYPES and not item.get(
                "SelfManagedOptOutsEnabled"
            ):
                client.update_phone_number(
                    PhoneNumberId=item["PhoneNumberId"], SelfManagedOptOutsEnabled=True
                )
                switched.append(_e164(item["PhoneNumber"]))
        token = page.get("NextToken")
        if not token:
            return switched


def _import_eum(session: boto3.session.Session, stage: Stage, args: Any) -> list[str]:
    client = session.client("pinpoint-sms-voice-v2", region_name=stage.region)
    found = eum_numbers(client)
    lines = [f"registered {e164}" for e164 in import_numbers(stage, args.company_id, found)]
    return lines + [
        f"self-managed opt-outs on {e164}" for e164 in answer_keywords_ourselves(client)
    ]


NUMBER_COMMANDS = {
    "add-number": _add_number,
    "assign-number": _assign_number,
    "import-twilio": _import_twilio,
    "import-eum": _import_eum,
}


if __name__ == "__main__":
    main()
