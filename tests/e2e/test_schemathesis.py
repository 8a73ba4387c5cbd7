"""Schemathesis against the local stack: every REST operation of the served OpenAPI
document, fuzzed with a bounded number of examples, answers no 5xx and only
responses that match the document (status and body schema).

The stack is this module's own (fuzzing changes company settings, contacts and
devices at random), started the way ``tests/e2e/conftest.py`` starts it (``local.launcher``), and
signed in as a demo admin so the admin routes are exercised too. Random ids
only reach the 404 paths, so half of the generated path parameters are replaced
by ids that exist (a group conversation with a message, a co-worker, a contact,
a device, a policy, the admin's business number): the 2xx responses are fuzzed
and checked against the document too. The carrier
webhooks are described in the document but not fuzzed: they are signed by the
carrier, so every generated request is a 403 (tests/e2e/test_simulator.py and
tests/api/test_sms.py drive them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis  # a missing tool fails collection: this test never skips
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.e2e.clients import Stack, login, user
from tests.e2e.conftest import running_stack

pytestmark = pytest.mark.e2e

# Bounded: a few random examples per operation on top of the document's edge cases,
# so the whole module stays within a few minutes on a busy 2-core machine.
EXAMPLES_PER_OPERATION = 8
REQUEST_SECONDS = 30.0
FUZZ_USER = "alice"  # an admin of the first demo company


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory, "fuzz-stack") as state:
        yield state


@pytest.fixture(scope="module")
def fuzz_session(fuzz_stack: Stack) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only, never a proxy
    session.headers["Authorization"] = f"Bearer {login(fuzz_stack, FUZZ_USER)}"
    return session


def _created(response: requests.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), response.text
    return dict(response.json())


@pytest.fixture(scope="module")
def real_ids(fuzz_stack: Stack, fuzz_session: requests.Session) -> dict[str, str]:
    """Ids that exist, by path parameter name, made through the REST API."""
    base = fuzz_stack["rest_url"]

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        return _created(fuzz_session.post(base + path, json=body, timeout=REQUEST_SECONDS))

    bob, carol = user(fuzz_stack, "bob")["user_id"], user(fuzz_stack, "carol")["user_id"]
    group = post("/conversations", {"members": [bob, carol], "group": True, "name": "fuzz"})
    message = post(f"/conversations/{group['id']}/messages", {"client_id": "fuzz-1", "text": "hi"})
    contact = post("/contacts", {"name": "Fuzz", "phone": "+14155550199"})
    post("/devices", {"device_id": "fuzz-device", "platform": "fcm", "token": "t"})
    policy = post("/admin/policies", {"name": "Fuzzers"})
    return {
        "conversation_id": group["id"],
        "message_id": message["id"],
        "user_id": bob,
        "contact_id": contact["id"],
        "device_id": "fuzz-device",
        "policy_id": policy["id"],
        "e164": user(fuzz_stack, FUZZ_USER)["numbers"][0],
        "index": "0",
    }


@pytest.fixture(scope="module")
def api_schema(fuzz_stack: Stack, real_ids: dict[str, str]) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "generation": {"max-examples": EXAMPLES_PER_OPERATION},
            "phases": {"stateful": {"enabled": False}},
        }
    )
    served = schemathesis.openapi.from_url(
        f"{fuzz_stack['rest_url']}/openapi.json", config=config, timeout=REQUEST_SECONDS
    )

    @served.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        if not path_parameters:
            return st.just(path_parameters)
        real = {name: real_ids[name] for name in path_parameters if name in real_ids}
        return st.sampled_from([path_parameters, {**path_parameters, **real}])

    return served


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex="^/webhooks/")


@schema.parametrize()
@pytest.mark.timeout(600)  # the stack's start and every operation; ~3 minutes when busy
@settings(
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_every_response_matches_the_document(
    case: Any, fuzz_stack: Stack, fuzz_session: requests.Session
) -> None:
    case.call_and_validate(
        base_url=fuzz_stack["rest_url"],
        session=fuzz_session,
        checks=[not_a_server_error, response_schema_conformance],
        timeout=REQUEST_SECONDS,
    )
