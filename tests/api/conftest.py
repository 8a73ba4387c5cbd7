"""The real Chalice app, driven through chalice.test.Client, on moto DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import bootstrap
from tests import fakes
from tests.support import KEYS, seed_people, settings, verifier

TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "test-auth-token"  # a test fixture, not a secret
PUBLIC_BASE = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"


@dataclass
class Api:
    client: Any
    publisher: fakes.MemoryPublisher
    sender: fakes.MemorySender
    people: dict[str, Any]
    providers: fakes.MemoryProviders
    services: Any
    fetcher: fakes.MemoryFetcher

    def headers(self, who: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {KEYS.token(self.people[who].user_id)}",
            "Content-Type": "application/json",
        }

    def call(
        self,
        method: str,
        path: str,
        who: str | None = "alice",
        body: Any = None,
        raw: str | None = None,
    ) -> Any:
        headers = self.headers(who) if who else {"Content-Type": "application/json"}
        payload = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.client.http.request(method, path, headers=headers, body=payload.encode())


@contextmanager
def running_api(
    adapters: dict[str, object] | None = None, **setting_overrides: Any
) -> Iterator[Api]:
    """The app on moto with fakes for what leaves AWS; settings and adapters as given."""
    from chalice.test import Client

    from app import app

    publisher, sender = fakes.MemoryPublisher(), fakes.MemorySender()
    providers = fakes.MemoryProviders()
    fetcher = fakes.MemoryFetcher()
    services = bootstrap.bootstrap(
        settings(
            twilio_account_sid=TWILIO_SID,
            twilio_auth_token=TWILIO_TOKEN,
            public_api_base_url=PUBLIC_BASE,
            **setting_overrides,
        ),
        publisher=publisher,
        sender=sender,
        verifier=verifier(),
        idempotency=fakes.MemoryDeduplicator(),
        providers=lambda name: providers,
        fetcher=fetcher,
        **(adapters or {}),
    )
    bootstrap.use(services)
    people = seed_people(services.adapters.directory)
    try:
        with Client(app, stage_name="local") as client:
            yield Api(client, publisher, sender, people, providers, services, fetcher)
    finally:
        bootstrap.use(None)


@pytest.fixture
def api(aws: Any) -> Iterator[Api]:
    with running_api() as running:
        yield running
