"""Record a 10DLC campaign that needs updates, covering one business number, straight
into the local stack's table (run as a subprocess, as ``infra.admin`` would on a stage).

``python -m tests.browser.seed_registration <aws_endpoint_url> <company_id> <e164>``
"""

from __future__ import annotations

import sys

from chalicelib import resources
from chalicelib.adapters import dynamodb
from chalicelib.domain.compliance import Registration
from chalicelib.domain.model import utcnow_iso
from chalicelib.services.compliance.registrations import Registrations


class _NoProvider:
    def registration_status(self, registration: Registration) -> tuple[str, str]:
        raise RuntimeError("not polled here")


def seed(endpoint: str, company_id: str, e164: str) -> None:
    table = resources.physical(resources.DEFAULT_PREFIX, resources.MESSAGING_TABLE.logical)
    dynamodb.bind_models(table, "us-east-1", host=endpoint)
    registrations = Registrations(
        dynamodb.DynamoComplianceRepository(),
        dynamodb.DynamoSmsRepository(),
        _NoProvider(),
        utcnow_iso,
    )
    registrations.record(
        Registration(
            "acme-support-campaign",
            company_id,
            "campaign",
            "twilio",
            status="needs_updates",
            provider_id="QE" + "1" * 32,
            provider_status="FAILED",
            reason="The opt-in flow does not say how customers agree to texts",
            numbers=[e164],
        )
    )


if __name__ == "__main__":
    seed(sys.argv[1], sys.argv[2], sys.argv[3])
