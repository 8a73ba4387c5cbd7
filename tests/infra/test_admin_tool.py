"""The operator tool creates the first company and its admin on a deployed stage (moto here)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.admin import (
    NewNumber,
    NewUser,
    Stage,
    add_number,
    add_user,
    assign_number,
    create_company,
    eum_numbers,
    import_numbers,
    twilio_credentials,
    twilio_numbers,
)

STACK = "texting-dev"


@pytest.fixture
def deployed() -> Iterator[tuple[boto3.session.Session, Stage]]:
    """A stand-in for a deployed stage: its table and pool, and a stack whose outputs name them."""
    from moto import mock_aws

    from local.provision import provision

    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        provision(session, "texting-dev")
        pool_id = session.client("cognito-idp").create_user_pool(PoolName="texting-dev-users")[
            "UserPool"
        ]["Id"]
        template = {
            "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {
                "Region": {"Value": "us-east-1"},
                "UserPoolId": {"Value": pool_id},
                "MessagingTableName": {"Value": "texting-dev-messaging"},
            },
        }
        session.client("cloudformation").create_stack(
            StackName=STACK, TemplateBody=json.dumps(template)
        )
        yield session, Stage.from_stack(session, STACK)


def _directory(stage: Stage) -> Any:
    from chalicelib.adapters import dynamodb

    dynamodb.bind_models(stage.table_name, stage.region)
    return dynamodb.DynamoDirectoryRepository()


def test_stage_is_found_from_the_stack_outputs(
    deployed: tuple[boto3.session.Session, Stage],
) -> None:
    _, stage = deployed
    assert stage.table_name == "texting-dev-messaging"
    assert stage.user_pool_id.startswith("us-east-1_")


def test_first_company_gets_an_admin_who_is_a_cognito_user(
    deployed: tuple[boto3.session.Session, Stage],
) -> None:
    session, stage = deployed
    admin = NewUser(
        username="alice",
        email="alice@acme.example",
        name="Alice Admin",
        extension="101",
        numbers=("+14155550100",),
        password="A-long-enough-Passw0rd",
    )
    company, profile = create_company(session, stage, "Acme Plumbing", admin)
    directory = _directory(stage)
    assert directory.get_company(company.company_id).name == "Acme Plumbing"
    stored = directory.get_user(profile.user_id)
    assert stored.role == "admin" and stored.company_id == company.company_id
    assert stored.numbers == ["+14155550100"]
    cognito = session.client("cognito-idp")
    attributes = cognito.admin_get_user(UserPoolId=stage.user_pool_id, Username="alice")
    sub = next(a["Value"] for a in attributes["UserAttributes"] if a["Name"] == "sub")
    assert sub == profile.user_id  # the app's user id is the token's sub


def test_added_users_join_an_existing_company_only(
    deployed: tuple[boto3.session.Session, Stage],
) -> None:
    session, stage = deployed
    company, _ = create_company(
        session, stage, "Acme", NewUser(username="alice", email="a@acme.example", name="Alice")
    )
    bob = add_user(
        session, stage, company.company_id, NewUser("bob", "bob@acme.example", "Bob Baker")
    )
    assert _directory(stage).get_user(bob.user_id).role == "user"
    with pytest.raises(SystemExit, match="no company"):
        add_user(session, stage, "c-missing", NewUser("eve", "eve@example.com", "Eve"))


# -- business numbers ------------------------------------------------------------

TWILIO_SID = "AC" + "1" * 32
TWILIO_TOKEN = "fixture-token"  # a test fixture, not a secret


def _sms(stage: Stage) -> Any:
    from chalicelib.adapters import dynamodb

    dynamodb.bind_models(stage.table_name, stage.region)
    return dynamodb.DynamoSmsRepository()


@pytest.fixture
def company(deployed: tuple[boto3.session.Session, Stage]) -> tuple[Stage, str, str]:
    """A company with its admin: (stage, company id, admin user id)."""
    session, stage = deployed
    company, admin = create_company(
        session, stage, "Acme", NewUser(username="alice", email="a@acme.example", name="Alice")
    )
    return stage, company.company_id, admin.user_id


def test_a_registered_number_can_text_and_its_user_texts_from_it(
    company: tuple[Stage, str, str],
) -> None:
    stage, company_id, alice = company
    number = add_number(
        stage,
        company_id,
        NewNumber("+1 (415) 555-0100", type="local", capabilities=("sms",), provider="eum"),
        users=[alice],
    )
    stored = _sms(stage).get_number("+14155550100")
    assert stored == number
    assert (stored.type, stored.country, stored.capabilities, stored.provider) == (
        "local",
        "US",
        ["sms"],
        "eum",
    )
    assert stored.users == [alice] and stored.sms_capable
    assert _directory(stage).get_user(alice).numbers == ["+14155550100"]
    assert [n.e164 for n in _sms(stage).numbers_of_company(company_id)] == ["+14155550100"]


def test_a_number_without_a_provider_takes_the_stages_default(
    deployed: tuple[boto3.session.Session, Stage],
) -> None:
    from dataclasses import replace

    from infra.stages import STAGES

    session, stage = deployed
    eum_stage = replace(stage, config=STAGES["dev"].with_overrides(sms_default_provider="eum"))
    company, _ = create_company(
        session, eum_stage, "Acme", NewUser(username="al", email="al@acme.example", name="Al")
    )
    assert add_number(eum_stage, company.company_id, NewNumber("+14155550199")).provider == "eum"
    assert add_number(stage, company.company_id, NewNumber("+14155550198")).provider == "twilio"
    assert stage.config.sms_default_provider == "twilio"


def test_numbers_stay_with_their_company_and_users_with_theirs(
    company: tuple[Stage, str, str], deployed: tuple[boto3.session.Session, Stage]
) -> None:
    stage, company_id, alice = company
    session, _ = deployed
    other, other_admin = create_company(
        session, stage, "Globex", NewUser(username="dave", email="d@globex.example", name="Dave")
    )
    add_number(stage, company_id, NewNumber("+14155550100"))
    with pytest.raises(SystemExit, match="another company"):
        add_number(stage, other.company_id, NewNumber("+14155550100"))
    with pytest.raises(SystemExit, match="no user"):
        assign_number(stage, "+14155550100", other_admin.user_id)
    with pytest.raises(SystemExit, match="add it first"):
        assign_number(stage, "+14155550111", alice)
    with pytest.raises(SystemExit, match="--type"):
        add_number(stage, company_id, NewNumber("+14155550101", type="landline"))
    assign_number(stage, "+14155550100", alice)
    assign_number(stage, "+14155550100", alice)  # twice is once
    assert _sms(stage).get_number("+14155550100").users == [alice]


class _FakeTwilio:
    """Twilio's IncomingPhoneNumbers list, two pages, behind HTTP basic auth."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        pages = {
            "1": {
                "incoming_phone_numbers": [
                    {
                        "phone_number": "+14155550100",
                        "capabilities": {"sms": True, "mms": True, "voice": True},
                        "status": "in-use",
                    },
                    {
                        "phone_number": "+18005550199",
                        "capabilities": {"sms": True, "mms": False, "voice": True},
                        "status": "in-use",
                    },
                ],
                "next_page_uri": f"/2010-04-01/Accounts/{TWILIO_SID}/IncomingPhoneNumbers.json"
                "?PageSize=100&Page=1&PageToken=PT2",
            },
            "PT2": {
                "incoming_phone_numbers": [
                    {
                        "phone_number": "+14155550102",
                        "capabilities": {"sms": False, "mms": False, "voice": True},
                        "status": "in-use",
                    }
                ],
                "next_page_uri": None,
            },
        }
        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append(self.path)
                url = urllib.parse.urlsplit(self.path)
                wanted = f"/2010-04-01/Accounts/{TWILIO_SID}/IncomingPhoneNumbers.json"
                if self.headers.get("Authorization") != expected or url.path != wanted:
                    self.send_response(401)
                    self.end_headers()
                    return
                token = urllib.parse.parse_qs(url.query).get("PageToken", ["1"])[0]
                body = json.dumps(pages[token]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def twilio() -> Iterator[_FakeTwilio]:
    fake = _FakeTwilio()
    yield fake
    fake.close()


def test_a_twilio_accounts_numbers_are_imported_with_the_secrets_credentials(
    company: tuple[Stage, str, str],
    deployed: tuple[boto3.session.Session, Stage],
    twilio: _FakeTwilio,
) -> None:
    from dataclasses import replace

    stage, company_id, _ = company
    session, _ = deployed
    session.client("secretsmanager").create_secret(
        Name=stage.config.twilio_secret_name,
        SecretString=json.dumps({"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN}),
    )
    stage = replace(stage, config=stage.config.with_overrides(twilio_api_base_url=twilio.url))
    sid, token = twilio_credentials(session, stage)
    found = twilio_numbers(sid, token, stage.config.twilio_api_base_url)
    registered = import_numbers(stage, company_id, found)
    assert registered == ["+14155550100", "+18005550199", "+14155550102"]
    assert len(twilio.requests) == 2  # both pages
    repository = _sms(stage)
    local, toll_free, voice_only = (repository.get_number(e164) for e164 in registered)
    assert (local.type, local.capabilities, local.provider) == ("local", ["sms", "mms"], "twilio")
    assert (toll_free.type, toll_free.capabilities) == ("toll_free", ["sms"])
    assert voice_only.capabilities == [] and not voice_only.sms_capable
    with pytest.raises(urllib.error.HTTPError):  # a wrong token is refused, nothing half-done
        list(twilio_numbers(TWILIO_SID, "wrong", twilio.url))


def test_end_user_messaging_numbers_are_imported(
    company: tuple[Stage, str, str],
) -> None:
    from botocore.stub import Stubber

    stage, company_id, _ = company
    client = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")
    stubber = Stubber(client)
    phone = {
        "PhoneNumberArn": "arn:aws:sms-voice:us-east-1:123456789012:phone-number/phone-1",
        "PhoneNumberId": "phone-1",
        "MessageType": "TRANSACTIONAL",
        "MonthlyLeasingPrice": "1.00",
        "TwoWayEnabled": True,
        "SelfManagedOptOutsEnabled": False,
        "OptOutListName": "Default",
        "DeletionProtectionEnabled": False,
        "CreatedTimestamp": "2026-01-01T00:00:00Z",
    }
    stubber.add_response(
        "describe_phone_numbers",
        {
            "PhoneNumbers": [
                {
                    **phone,
                    "PhoneNumber": "+18885550100",
                    "Status": "ACTIVE",
                    "IsoCountryCode": "US",
                    "NumberCapabilities": ["SMS", "MMS", "VOICE"],
                    "NumberType": "TOLL_FREE",
                },
                {
                    **phone,
                    "PhoneNumber": "+12065550100",  # a short code or simulator: not ours
                    "Status": "ACTIVE",
                    "IsoCountryCode": "US",
                    "NumberCapabilities": ["SMS"],
                    "NumberType": "SIMULATOR",
                },
            ],
            "NextToken": "page-2",
        },
        {},
    )
    stubber.add_response(
        "describe_phone_numbers",
        {
            "PhoneNumbers": [
                {
                    **phone,
                    "PhoneNumber": "+14155550123",
                    "Status": "PENDING",
                    "IsoCountryCode": "US",
                    "NumberCapabilities": ["SMS"],
                    "NumberType": "TEN_DLC",
                }
            ]
        },
        {"NextToken": "page-2"},
    )
    with stubber:
        registered = import_numbers(stage, company_id, eum_numbers(client))
    stubber.assert_no_pending_responses()
    assert registered == ["+18885550100", "+14155550123"]
    toll_free, ten_dlc = (_sms(stage).get_number(e164) for e164 in registered)
    assert (toll_free.type, toll_free.capabilities, toll_free.provider) == (
        "toll_free",
        ["sms", "mms"],
        "eum",
    )
    assert (ten_dlc.type, ten_dlc.state, ten_dlc.sms_capable) == ("local", "inactive", False)


def test_the_command_line_registers_and_assigns(
    company: tuple[Stage, str, str], capsys: Any
) -> None:
    from infra import admin

    _, company_id, alice = company
    admin.main(
        [
            "--stage",
            "dev",
            "add-number",
            "--company-id",
            company_id,
            "--number",
            "+14155550100",
            "--capability",
            "sms",
            "--user",
            alice,
        ]
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["e164"] == "+14155550100" and printed["users"] == [alice]
    assert printed["provider"] == "twilio"  # dev's sms_default_provider


# -- accounts ---------------------------------------------------------------------


def test_an_invited_user_waits_for_a_new_password_and_keeps_their_username(
    company: tuple[Stage, str, str],
) -> None:
    stage, company_id, _ = company
    bob = add_user(
        boto3.session.Session(region_name="us-east-1"),
        stage,
        company_id,
        NewUser("bob", "bob@acme.example", "Bob Baker", extension="102"),
    )
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    account = cognito.admin_get_user(UserPoolId=stage.user_pool_id, Username="bob")
    assert account["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    stored = _directory(stage).get_user(bob.user_id)
    assert (stored.username, stored.extension, stored.enabled) == ("bob", "102", True)


def test_the_command_line_disables_and_enables_a_user_in_pool_and_directory(
    company: tuple[Stage, str, str], capsys: Any
) -> None:
    from infra import admin

    stage, company_id, _ = company
    bob = add_user(
        boto3.session.Session(region_name="us-east-1"),
        stage,
        company_id,
        NewUser("bob", "bob@acme.example", "Bob Baker"),
    )
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    admin.main(["--stage", "dev", "disable-user", "--user-id", bob.user_id])
    assert json.loads(capsys.readouterr().out)["enabled"] is False
    assert _directory(stage).get_user(bob.user_id).enabled is False
    assert cognito.admin_get_user(UserPoolId=stage.user_pool_id, Username="bob")["Enabled"] is False
    admin.main(["--stage", "dev", "enable-user", "--user-id", bob.user_id])
    assert json.loads(capsys.readouterr().out)["enabled"] is True
    assert cognito.admin_get_user(UserPoolId=stage.user_pool_id, Username="bob")["Enabled"] is True
    with pytest.raises(SystemExit, match="no user"):
        admin.main(["--stage", "dev", "disable-user", "--user-id", "u-missing"])


def test_the_operators_services_get_the_functions_environment_from_the_outputs() -> None:
    """disable-user may release an agent's customers to their queue: the operator's
    services must find the stage's queues, topics and tables as its functions do."""
    from chalicelib import resources
    from infra.admin_accounts import environment
    from infra.naming import camel, env_name
    from infra.stages import STAGES

    outputs = {
        **{f"{camel(t.logical)}TableName": f"tbl-{t.logical}" for t in resources.TABLES},
        **{f"{camel(q.logical)}QueueUrl": f"https://q/{q.logical}" for q in resources.QUEUES},
        **{f"{camel(t.logical)}TopicArn": f"arn:{t.logical}" for t in resources.TOPICS},
    }
    stage = Stage("us-east-1", "pool", "tbl-messaging", STAGES["dev"], outputs=outputs)
    env = environment(stage)
    assert env["RESOURCE_PREFIX"] == STAGES["dev"].prefix
    for queue in resources.QUEUES:
        assert env[env_name(queue.logical, "QUEUE_URL")] == f"https://q/{queue.logical}"
    for topic in resources.TOPICS:
        assert env[env_name(topic.logical, "TOPIC_ARN")] == f"arn:{topic.logical}"
    assert set(STAGES["dev"].environment()) <= set(env)


def test_importing_end_user_messaging_numbers_leaves_the_keywords_to_the_app() -> None:
    """Self-managed opt-outs on each business number not yet so, checked against the
    service model: End User Messaging must not answer STOP too (two replies)."""
    from botocore.stub import Stubber

    from infra.admin import answer_keywords_ourselves

    client = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")
    stubber = Stubber(client)

    def number(number_id: str, e164: str, kind: str, self_managed: bool) -> dict[str, Any]:
        return {
            "PhoneNumberArn": f"arn:aws:sms-voice:us-east-1:123456789012:phone-number/{number_id}",
            "PhoneNumberId": number_id,
            "PhoneNumber": e164,
            "Status": "ACTIVE",
            "IsoCountryCode": "US",
            "MessageType": "TRANSACTIONAL",
            "NumberCapabilities": ["SMS"],
            "NumberType": kind,
            "MonthlyLeasingPrice": "1.00",
            "TwoWayEnabled": True,
            "SelfManagedOptOutsEnabled": self_managed,
            "OptOutListName": "Default",
            "DeletionProtectionEnabled": False,
            "CreatedTimestamp": "2026-01-01T00:00:00Z",
        }

    stubber.add_response(
        "describe_phone_numbers",
        {
            "PhoneNumbers": [
                number("p-1", "+18885550100", "TOLL_FREE", False),
                number("p-2", "+14155550123", "TEN_DLC", True),  # already so
                number("p-3", "+12065550100", "SIMULATOR", False),  # not a business number
            ]
        },
        {},
    )
    stubber.add_response(
        "update_phone_number",
        {"PhoneNumberId": "p-1", "SelfManagedOptOutsEnabled": True},
        {"PhoneNumberId": "p-1", "SelfManagedOptOutsEnabled": True},
    )
    with stubber:
        assert answer_keywords_ourselves(client) == ["+18885550100"]
    stubber.assert_no_pending_responses()
