"""The local stack's mailbox: the email Cognito sends, filed by the tap on the moto
server and read at the simulator's ``GET /_sim/mail/{address}`` (contract.md,
"Accounts and sign-in").

The moto server runs as the stack runs it (``LocalMotoServer``, a child process with
the tap in front of moto); the simulator's mail route runs in an aiohttp app of its
own. Runs standalone: it does not start the whole local stack.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from aiohttp import web
from botocore.exceptions import ClientError

from local import demo
from local.cognito_tap import CODE_HEADER, temporary_password
from local.mailbox import Letter, compose, html_to_text, register_mailbox
from local.motoserver import LocalMotoServer

REGION = "us-east-1"
DEADLINE = 10.0


class MailRoute:
    """The simulator's mail route on an ephemeral port, in a background event loop."""

    def __init__(self, moto_url: str) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.moto_url = moto_url

    async def _start(self) -> None:
        app = web.Application()
        register_mailbox(
            app, prefix="/_sim", rest_url=lambda: self.url, moto_url=lambda: self.moto_url
        )
        self.runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(DEADLINE)

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(DEADLINE)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(DEADLINE)
        self.loop.close()

    def mail(self, address: str) -> requests.Response:
        return requests.get(f"{self.url}/_sim/mail/{address}", timeout=DEADLINE)


@pytest.fixture(scope="module")
def moto() -> Iterator[LocalMotoServer]:
    server = LocalMotoServer("127.0.0.1", 0)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mail(moto: LocalMotoServer) -> Iterator[MailRoute]:
    route = MailRoute(moto.url)
    route.start()
    yield route
    route.stop()


@pytest.fixture(scope="module")
def cognito(moto: LocalMotoServer) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=moto.url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def pool(cognito: Any) -> demo.CognitoPool:
    return demo.create_pool(cognito, "mailbox-test")


def invite(cognito: Any, pool: demo.CognitoPool, username: str, **extra: Any) -> dict[str, Any]:
    return cognito.admin_create_user(  # type: ignore[no-any-return]
        UserPoolId=pool.user_pool_id,
        Username=username,
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@acme.test"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": username.title()},
        ],
        **extra,
    )


def secret_in(text: str, label: str) -> str:
    found = re.search(rf"{label} (\S+?)\.? ", text + " ")
    assert found, f"no {label} in {text!r}"
    return found.group(1)


def test_an_invitation_without_a_temporary_password_is_mailed_with_one_that_signs_in(
    cognito: Any, pool: demo.CognitoPool, mail: MailRoute
) -> None:
    # Given an admin invites dana without choosing a temporary password (as the API does)
    invite(cognito, pool, "dana", ClientMetadata={"company_name": "Acme Plumbing"})

    # When dana reads her mail
    items = mail.mail("Dana@acme.test").json()["items"]

    # Then the invitation names the company and the web client, and carries a password
    assert len(items) == 1
    letter = items[0]
    assert letter["to"] == "dana@acme.test"
    assert letter["subject"] == "You are invited to text for Acme Plumbing"
    assert f"{mail.url}/app/" in letter["text"]
    assert "username dana " in letter["text"]
    password = secret_in(letter["text"], "temporary password")
    # ... that Cognito takes, and that asks for a new password, as an invitation's does
    challenge = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=pool.client_id,
        AuthParameters={"USERNAME": "dana", "PASSWORD": password},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_a_suppressed_invitation_and_a_failed_one_file_no_mail(
    cognito: Any, pool: demo.CognitoPool, mail: MailRoute
) -> None:
    invite(cognito, pool, "quiet", MessageAction="SUPPRESS")
    invite(cognito, pool, "twice")
    with pytest.raises(ClientError) as refused:
        invite(cognito, pool, "twice")  # the username exists: Cognito sends nothing
    assert refused.value.response["Error"]["Code"] == "UsernameExistsException"
    assert mail.mail("quiet@acme.test").json() == {"items": []}
    assert len(mail.mail("twice@acme.test").json()["items"]) == 1


def forgot_password(moto: LocalMotoServer, pool: demo.CognitoPool, username: str) -> Any:
    """ForgotPassword as the web client sends it (unsigned), to see the raw answer."""
    return requests.post(
        moto.url,
        json={"ClientId": pool.client_id, "Username": username},
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ForgotPassword",
        },
        timeout=DEADLINE,
    )


def test_a_reset_code_is_mailed_not_returned_and_only_that_code_sets_the_password(
    moto: LocalMotoServer, cognito: Any, pool: demo.CognitoPool, mail: MailRoute
) -> None:
    # Given erin, a member with a password
    demo.create_cognito_user(
        cognito, pool.user_pool_id, "erin", "erin@acme.test", "Old-password-123"
    )

    # When she asks for a reset
    answer = forgot_password(moto, pool, "erin")

    # Then the answer carries no code (Cognito's never does); her mail does
    assert answer.status_code == 200
    assert CODE_HEADER not in {k.lower() for k in answer.headers}
    (letter,) = mail.mail("erin@acme.test").json()["items"]
    assert "reset code" in letter["subject"]
    code = secret_in(letter["text"], "is")
    assert re.fullmatch(r"\d{6}", code)

    # A wrong code is refused and changes nothing
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ClientError):
        cognito.confirm_forgot_password(
            ClientId=pool.client_id,
            Username="erin",
            ConfirmationCode=wrong,
            Password="New-password-456",
        )
    cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=pool.client_id,
        AuthParameters={"USERNAME": "erin", "PASSWORD": "Old-password-123"},
    )

    # The mailed code sets the new password
    cognito.confirm_forgot_password(
        ClientId=pool.client_id,
        Username="erin",
        ConfirmationCode=code,
        Password="New-password-456",
    )
    signed_in = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=pool.client_id,
        AuthParameters={"USERNAME": "erin", "PASSWORD": "New-password-456"},
    )
    assert "AuthenticationResult" in signed_in


def test_a_reset_for_an_unknown_username_answers_as_for_a_known_one_and_mails_nobody(
    moto: LocalMotoServer, pool: demo.CognitoPool
) -> None:
    answer = forgot_password(moto, pool, "nobody-here")
    assert answer.status_code == 200
    assert CODE_HEADER not in {k.lower() for k in answer.headers}


def test_an_address_with_no_mail_has_an_empty_list_and_a_non_address_is_refused(
    mail: MailRoute,
) -> None:
    assert mail.mail("nobody@acme.test").json() == {"items": []}
    refused = mail.mail("not-an-address")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_address"


@pytest.mark.parametrize(
    "policy",
    [
        demo.PASSWORD_POLICY,
        {"MinimumLength": 8},  # every class required by default
        {"MinimumLength": 30, "RequireSymbols": False, "RequireNumbers": False},
    ],
)
def test_a_temporary_password_satisfies_the_pools_policy(policy: dict[str, Any]) -> None:
    for _ in range(50):
        password = temporary_password(policy)
        assert len(password) >= policy["MinimumLength"]
        assert re.search(r"[A-Z]", password) and re.search(r"[a-z]", password)
        if policy.get("RequireNumbers", True):
            assert re.search(r"\d", password)
        if policy.get("RequireSymbols", True):
            assert re.search(r"[^A-Za-z0-9]", password)
        else:
            assert password.isalnum()


def test_a_letter_reads_as_text_with_cognitos_placeholders_filled_verbatim() -> None:
    letter = Letter(
        to="f@acme.test",
        trigger="CustomMessage_AdminCreateUser",
        code="a<b&c>D1",
        username="fay",
        user_attributes={"name": "Fay"},
        client_metadata={"company_name": "Acme & Sons"},
    )
    mail = compose(letter, "http://127.0.0.1:8000/app/")
    assert mail["subject"] == "You are invited to text for Acme & Sons"
    assert "temporary password a<b&c>D1." in mail["text"]
    assert "username fay " in mail["text"]
    assert "<" not in mail["text"].replace("a<b&c>D1", "")  # no markup left
    assert "http://127.0.0.1:8000/app/" in mail["text"]


def test_html_to_text_keeps_paragraphs_and_a_links_address() -> None:
    text = html_to_text('<p>Hi &amp; bye,</p><p>Go to <a href="https://x.test/">here</a>.</p>')
    assert text == "Hi & bye,\nGo to here (https://x.test/)."


def test_a_revoked_refresh_token_no_longer_refreshes_and_other_sessions_stay(
    cognito: Any, pool: demo.CognitoPool
) -> None:
    from chalicelib.adapters.cognito import CognitoIdentityProvider

    invite(cognito, pool, "rita", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool.user_pool_id, Username="rita", Password="Rita-chose-this-1", Permanent=True
    )

    def sign_in() -> str:
        result = cognito.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=pool.client_id,
            AuthParameters={"USERNAME": "rita", "PASSWORD": "Rita-chose-this-1"},
        )
        return str(result["AuthenticationResult"]["RefreshToken"])

    def refresh(token: str) -> Any:
        return cognito.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=pool.client_id,
            AuthParameters={"REFRESH_TOKEN": token},
        )

    laptop, phone = sign_in(), sign_in()
    provider = CognitoIdentityProvider(pool.user_pool_id, pool.client_id, REGION, client=cognito)
    provider.revoke(laptop)  # the laptop signs out
    with pytest.raises(ClientError) as refused:
        refresh(laptop)
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert refresh(phone)["AuthenticationResult"]["IdToken"]  # the phone is still signed in
    provider.revoke(laptop)  # twice: nothing left to do
    with pytest.raises(ClientError) as other_client:
        cognito.revoke_token(Token=phone, ClientId="someone-elses-client")
    assert other_client.value.response["Error"]["Code"] == "UnauthorizedException"
    assert refresh(phone)["AuthenticationResult"]["IdToken"]
