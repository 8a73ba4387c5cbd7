"""Add a person to the local stack: a Cognito user and their directory profile (run as a subprocess).

``python -m tests.browser.accounts <aws_endpoint_url> <user_pool_id> <company_id> <username> <name> [password]``

Without a password the person is *invited* as an admin's ``AdminCreateUser`` does it
(no ``TemporaryPassword``: Cognito, here the local stack's tap, makes one and mails
it); with one they are a member who already chose it. Prints the user's ``sub``.
The directory profile is the one ``local.demo`` writes. It runs in its own process so
binding the models to the stack's table leaks into no other test. (Once the API's
``POST /admin/users`` exists, tests can invite through it instead.)
"""

from __future__ import annotations

import sys

import boto3

from chalicelib import resources
from chalicelib.adapters import dynamodb
from chalicelib.domain.model import User

REGION = "us-east-1"


def add(
    endpoint: str, pool_id: str, company_id: str, username: str, name: str, password: str
) -> str:
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    email = f"{username}@acme.test"
    attributes = [
        {"Name": "email", "Value": email},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "name", "Value": name},
    ]
    if password:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=attributes,
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=password, Permanent=True
        )
    else:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=attributes,
            ClientMetadata={"company_name": "Acme Plumbing"},
        )
    found = cognito.admin_get_user(UserPoolId=pool_id, Username=username)["UserAttributes"]
    sub = next(str(a["Value"]) for a in found if a["Name"] == "sub")
    table = resources.physical(resources.DEFAULT_PREFIX, resources.MESSAGING_TABLE.logical)
    dynamodb.bind_models(table, REGION, host=endpoint)
    dynamodb.DynamoDirectoryRepository().put_user(
        User(user_id=sub, company_id=company_id, name=name, email=email, role="user")
    )
    return sub


if __name__ == "__main__":
    endpoint, pool, company, username, name, *rest = sys.argv[1:]
    print(add(endpoint, pool, company, username, name, rest[0] if rest else ""))
