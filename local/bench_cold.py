"""First and second request of a fresh Lambda process, side by side (``make bench``).

Run as ``python -m local.bench_cold``: one fresh interpreter plays a Lambda
container. moto stands in for DynamoDB (in-process, so no network is timed).
It measures the init (importing ``app`` with ``AWS_LAMBDA_FUNCTION_NAME`` set,
which builds the service graph and the shared DynamoDB client, as Lambda init
does), then two crafted API Gateway ``GET /conversations`` events for the same
user, and prints the figures as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def rest_event(path: str, user_id: str, company_id: str) -> dict[str, Any]:
    """What API Gateway hands the function after the Cognito authorizer allowed it."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"Host": "bench.execute-api.us-east-1.amazonaws.com"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "GET",
            "path": f"/dev{path}",
            "stage": "dev",
            "requestId": "bench",
            "authorizer": {"user_id": user_id, "company_id": company_id, "role": "user"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def main() -> None:
    lazy = "--lazy" in sys.argv  # no init-time graph: what the first request paid before
    sys.path.insert(0, str(ROOT))
    from local import environment

    environment.use_in_process_moto(quiet=True)
    os.environ.update(AWS_LAMBDA_FUNCTION_NAME="texting-dev-api", POWERTOOLS_TRACE_DISABLED="true")
    if lazy:
        os.environ.pop("AWS_LAMBDA_FUNCTION_NAME")
    import boto3
    from moto import mock_aws

    with mock_aws():
        from local.lambda_events import lambda_context
        from local.provision import provision

        provision(boto3.session.Session(region_name="us-east-1"), "texting-dev")
        os.environ["RESOURCE_PREFIX"] = "texting-dev"
        started = time.perf_counter()
        import app  # Lambda init: imports, then the graph and its clients

        init_s = time.perf_counter() - started
        from chalicelib.bootstrap import services
        from chalicelib.domain.model import Company, User

        directory = services().adapters.directory
        directory.put_company(Company("acme", "Acme", "US"))
        directory.put_user(User("u-alice", "acme", "Alice", "alice@acme.test"))
        context = lambda_context("texting-dev-api")
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            response = app.app(rest_event("/conversations", "u-alice", "acme"), context)
            timings.append(time.perf_counter() - started)
            assert response["statusCode"] == 200, response
    print(
        json.dumps(
            {
                "mode": "lazy" if lazy else "init",
                "init_s": init_s,
                "first_request_s": timings[0],
                "second_request_s": timings[1],
                "ratio": timings[0] / timings[1],
            }
        )
    )


if __name__ == "__main__":
    main()
