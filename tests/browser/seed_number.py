"""Register a business number of a company straight into the local stack's table (run
as a subprocess, as the operator's ``infra.admin add-number`` would on a stage).

``python -m tests.browser.seed_number <aws_endpoint_url> <company_id> <e164>``
"""

from __future__ import annotations

import sys

from chalicelib import resources
from chalicelib.adapters import dynamodb
from chalicelib.domain.model import BusinessNumber


def seed(endpoint: str, company_id: str, e164: str) -> None:
    table = resources.physical(resources.DEFAULT_PREFIX, resources.MESSAGING_TABLE.logical)
    dynamodb.bind_models(table, "us-east-1", host=endpoint)
    dynamodb.DynamoSmsRepository().put_number(
        BusinessNumber(e164=e164, company_id=company_id, provider="twilio")
    )


if __name__ == "__main__":
    seed(sys.argv[1], sys.argv[2], sys.argv[3])
