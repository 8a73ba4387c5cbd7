"""Print an IdToken for a demo user of the running local stack.

.venv/bin/python -m local.login alice            # reads .local/stack.json
curl -H "Authorization: Bearer $(.venv/bin/python -m local.login alice)" ...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import boto3


def id_token(stack: dict, username: str) -> str:
    user = next((u for u in stack["users"] if u["username"] == username), None)
    if user is None:
        names = ", ".join(u["username"] for u in stack["users"])
        raise SystemExit(f"no demo user {username!r}; try one of: {names}")
    cognito = boto3.client(
        "cognito-idp",
        region_name=stack["region"],
        endpoint_url=stack["aws_endpoint_url"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    result = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=stack["cognito"]["client_id"],
        AuthParameters={"USERNAME": username, "PASSWORD": user["password"]},
    )
    return str(result["AuthenticationResult"]["IdToken"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("username")
    parser.add_argument("--state-dir", default=".local")
    args = parser.parse_args()
    path = Path(args.state_dir) / "stack.json"
    if not path.exists():
        raise SystemExit(f"{path} not found: start the stack with `make dev` first")
    print(id_token(json.loads(path.read_text()), args.username))


if __name__ == "__main__":
    main()
