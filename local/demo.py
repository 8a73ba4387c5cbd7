"""The local stack's Cognito pool and demo data (contract.md, "Local stack").

Two companies with three or more users each and SMS numbers, so a newcomer can
sign in as several people at once and see IMs, shared numbers and company
isolation. Users are real Cognito users of the local pool; their app
``user_id`` is their Cognito ``sub``, exactly as on AWS. Profiles and companies
are written through the app's own repositories, so the demo data is shaped like
data the app itself wrote.

Passwords and the provider credentials are random per run and are only ever
written to ``.local/stack.json`` (git-ignored) and printed to the terminal.
"""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass
from typing import Any

import boto3

from chalicelib.domain.model import BusinessNumber, Company, User


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    extension: str
    numbers: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoCompany:
    name: str
    domain: str
    users: tuple[DemoUser, ...]
    provider: str = "twilio"


DEMO_COMPANIES: tuple[DemoCompany, ...] = (
    DemoCompany(
        name="Acme Plumbing",
        domain="acme.example",
        users=(
            DemoUser("alice", "Alice Admin", "admin", "101", ("+14155550100",)),
            DemoUser("bob", "Bob Baker", "user", "102", ("+14155550101",)),
            DemoUser("carol", "Carol Chen", "user", "103", ("+14155550101",)),
            DemoUser("dave", "Dave Diaz", "user", "104"),
            # the contact center's agents and supervisor (CONTACT_CENTER below)
            DemoUser("ann", "Ann Agent", "user", "111", ("+14155550180",)),
            DemoUser("ben", "Ben Agent", "user", "112", ("+14155550180",)),
            DemoUser("cat", "Cat Agent", "user", "113", ("+14155550180",)),
            DemoUser("sam", "Sam Supervisor", "user", "114"),
        ),
    ),
    DemoCompany(
        name="Globex Dental",
        domain="globex.example",
        users=(
            DemoUser("erin", "Erin Evans", "admin", "201", ("+12125550100",)),
            DemoUser("frank", "Frank Fox", "user", "202", ("+12125550100",)),
            DemoUser("grace", "Grace Green", "user", "203"),
        ),
    ),
)


@dataclass(frozen=True)
class DemoQueue:
    queue_id: str
    name: str
    skills: dict[str, int]
    entry_message: str = ""


@dataclass(frozen=True)
class DemoContactCenter:
    """The first company's contact center (contract.md, "Contact center")."""

    channel: str
    channel_queue: str
    queues: tuple[DemoQueue, ...]
    agents: dict[str, dict[str, Any]]  # username → skills, queues
    supervisors: tuple[str, ...]


CONTACT_CENTER = DemoContactCenter(
    channel="+14155550180",
    channel_queue="q-support",
    queues=(
        DemoQueue(
            "q-support",
            "Support",
            {"support": 1},
            "Thanks for texting Acme Plumbing. You are number {position} in line "
            "(about {wait_minutes} min).",
        ),
        DemoQueue("q-sales", "Sales", {"sales": 1}),
    ),
    agents={
        "ann": {"skills": {"support": 3}, "queues": ["q-support"]},
        "ben": {"skills": {"support": 2, "sales": 4}, "queues": ["q-support", "q-sales"]},
        "cat": {"skills": {"sales": 3}, "queues": ["q-sales"]},
    },
    supervisors=("sam",),
)


def seed_contact_center(
    table_name: str, region: str, company_id: str, users: list[dict[str, Any]]
) -> dict[str, Any]:
    """Queues, the channel and agent profiles (agents start offline); returns the
    ``contact_center`` part of stack.json."""
    from chalicelib.adapters import dynamodb
    from chalicelib.domain.contact_center import AgentProfile, Channel, Queue

    dynamodb.bind_models(table_name, region)
    repo = dynamodb.DynamoContactCenterRepository()
    spec = CONTACT_CENTER
    for queue in spec.queues:
        repo.put_queue(
            Queue(
                queue.queue_id,
                company_id,
                queue.name,
                skills=dict(queue.skills),
                entry_message=queue.entry_message,
            )
        )
    repo.put_channel(Channel(spec.channel, company_id, spec.channel_queue))
    by_name = {u["username"]: u for u in users}
    for username, profile in spec.agents.items():
        user = by_name[username]
        repo.put_agent(
            AgentProfile(
                user["user_id"],
                company_id,
                name=username,
                skills=dict(profile["skills"]),
                queues=list(profile["queues"]),
            )
        )
    for username in spec.supervisors:  # supervise every queue (the contract's demo data)
        repo.put_agent(
            AgentProfile(
                by_name[username]["user_id"],
                company_id,
                name=username,
                role="supervisor",
                queues=[q.queue_id for q in spec.queues],
            )
        )
    return {
        "channels": [{"e164": spec.channel, "queue_id": spec.channel_queue}],
        "queues": [
            {"queue_id": q.queue_id, "name": q.name, "skills": sorted(q.skills)}
            for q in spec.queues
        ],
        "agents": list(spec.agents),
        "supervisors": list(spec.supervisors),
    }


@dataclass(frozen=True)
class CognitoPool:
    user_pool_id: str
    client_id: str


def random_password() -> str:
    """A random password that satisfies Cognito's default policy (all four classes)."""
    core = secrets.token_urlsafe(15)
    return (
        core
        + secrets.choice(string.ascii_uppercase)
        + secrets.choice(string.ascii_lowercase)
        + secrets.choice(string.digits)
        + "!"
    )


def twilio_credentials() -> dict[str, str]:
    """A placeholder Twilio account: the simulator checks signatures made with this token."""
    return {"account_sid": "AC" + secrets.token_hex(16), "auth_token": secrets.token_hex(16)}


# The deployed pool's settings (infra/parts/auth.py), so sign-in behaves the same locally:
# admins invite people, passwords of 12 with three classes, reset by email, and an
# authenticator app as the optional second factor (a person turns it on in their profile).
PASSWORD_POLICY = {
    "MinimumLength": 12,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": False,
    "TemporaryPasswordValidityDays": 7,
}


def create_pool(cognito: Any, name: str) -> CognitoPool:
    """A user pool and an app client that allows USER_PASSWORD_AUTH (what clients use locally)."""
    pool_id = cognito.create_user_pool(
        PoolName=name,
        Policies={"PasswordPolicy": PASSWORD_POLICY},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        AutoVerifiedAttributes=["email"],
    )["UserPool"]["Id"]
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="OPTIONAL",
    )
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"{name}-app",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
    )["UserPoolClient"]
    return CognitoPool(user_pool_id=str(pool_id), client_id=str(client["ClientId"]))


def create_cognito_user(
    cognito: Any, pool_id: str, username: str, email: str, password: str
) -> str:
    """Create a confirmed user with a permanent password; returns its ``sub``."""
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=password, Permanent=True
    )
    attributes = cognito.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"]
    return next(str(a["Value"]) for a in attributes if a["Name"] == "sub")


def seed(
    session: boto3.session.Session,
    *,
    table_name: str,
    region: str,
    pool_name: str,
    companies: tuple[DemoCompany, ...] = DEMO_COMPANIES,
    media_bucket: str = "",
) -> dict[str, Any]:
    """Create the pool, the users and the directory, and (with ``media_bucket``) the
    first company's conversations, pictures and contacts; returns the demo part of
    stack.json."""
    from chalicelib.adapters import dynamodb

    cognito = session.client("cognito-idp")
    pool = create_pool(cognito, pool_name)
    dynamodb.bind_models(table_name, region)
    directory = dynamodb.DynamoDirectoryRepository()
    users: list[dict[str, Any]] = []
    company_rows: list[dict[str, str]] = []
    numbers: dict[str, dict[str, Any]] = {}
    for spec in companies:
        company = Company(company_id=f"c{uuid.uuid4().hex}", name=spec.name)
        directory.put_company(company)
        company_rows.append({"company_id": company.company_id, "name": company.name})
        for person in spec.users:
            password = random_password()
            email = f"{person.username}@{spec.domain}"
            sub = create_cognito_user(cognito, pool.user_pool_id, person.username, email, password)
            directory.put_user(
                User(
                    user_id=sub,
                    company_id=company.company_id,
                    name=person.name,
                    email=email,
                    extension=person.extension,
                    role=person.role,
                    numbers=list(person.numbers),
                    username=person.username,
                )
            )
            users.append(
                {
                    "username": person.username,
                    "password": password,
                    "user_id": sub,
                    "company_id": company.company_id,
                    "role": person.role,
                    "numbers": list(person.numbers),
                }
            )
            for e164 in person.numbers:
                row = numbers.setdefault(
                    e164,
                    {
                        "e164": e164,
                        "company_id": company.company_id,
                        "provider": spec.provider,
                        "users": [],
                    },
                )
                row["users"].append(sub)
    sms = dynamodb.DynamoSmsRepository()
    for row in numbers.values():
        sms.put_number(
            BusinessNumber(
                e164=row["e164"],
                company_id=row["company_id"],
                type="local",
                country="US",
                provider=row["provider"],
                users=list(row["users"]),
            )
        )
    contact_center = seed_contact_center(table_name, region, company_rows[0]["company_id"], users)
    if media_bucket and companies is DEMO_COMPANIES:
        from local.demo_conversations import seed_conversations

        seed_conversations(users, media_bucket, session.client("s3"))
    return {
        "contact_center": contact_center,
        "cognito": {"user_pool_id": pool.user_pool_id, "client_id": pool.client_id},
        "users": users,
        "companies": company_rows,
        "numbers": list(numbers.values()),
        "providers": {"twilio": twilio_credentials()},
    }
