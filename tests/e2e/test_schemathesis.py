"""Schemathesis against the local stack, every check on (``--checks all``): every REST
operation of the served OpenAPI document, fuzzed with a bounded number of examples
(schema-valid and schema-invalid ones), then chained statefully along the links
Schemathesis infers. No answer is a 5xx; every answer matches the document (status,
content type, headers, body); what the document refuses is refused, and what it
allows is accepted — except the refusals JSON Schema cannot state, listed below by
operation and error code with the reason (docs/api.md lists them for clients too).

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
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    positive_data_acceptance,
)

from tests.e2e.clients import Stack, login, user
from tests.e2e.conftest import running_stack

pytestmark = pytest.mark.e2e

# Bounded: a few random examples per operation on top of the document's edge cases,
# so the whole module stays within a few minutes on a busy 2-core machine.
EXAMPLES_PER_OPERATION = 8
STATEFUL_SCENARIOS = 40
STATEFUL_STEPS = 6
FLAKY_RUNS = 5  # fresh runs of the chained phase after a flaky strategy (below)
REQUEST_SECONDS = 30.0
FUZZ_USER = "alice"  # an admin of the first demo company

# Refusals of schema-valid requests that JSON Schema cannot state, by operation and error
# code. Nothing else a schema-valid request gets may be a 4xx other than 401, 403, 404,
# 409 and 429 (the positive_data_acceptance check, which runs everywhere else).
_PHONE = "libphonenumber's validity of a number is per-country metadata, not a pattern"
_CURSOR = "a cursor is valid only as the server issued it (it encodes where a page ended)"
_STATE = "it depends on what is stored (which conversation, which uploads, which queues)"
_SEGMENTS = "an SMS's segments depend on its encoding (GSM-7 or UCS-2), not its length"
_CTIA = (
    "a reply text's meaning (CTIA): it names the business, says how to reach it or how to "
    "opt out, and carries no link or offer"
)
_SUBSCRIPTION = "a webpush token is a PushSubscription's JSON inside a string, per platform"
_REPORT_RANGE = {
    "invalid_date": "a calendar date (30 February is not), from not after to, 92 days at most",
    "invalid_timezone": "a name the runtime's IANA time zone database holds",
    "invalid_cursor": _CURSOR,
}
UNSTATABLE: dict[str, dict[str, str]] = {
    "GET /directory": {"invalid_cursor": _CURSOR},
    "GET /contacts": {"invalid_cursor": _CURSOR},
    "GET /conversations": {"invalid_cursor": _CURSOR},
    "GET /conversations/{conversation_id}/messages": {"invalid_cursor": _CURSOR},
    "GET /interactions": {"invalid_cursor": _CURSOR},
    "GET /queues/{queue_id}/interactions": {"invalid_cursor": _CURSOR},
    "POST /interactions/{interaction_id}/monitor": {"invalid_cursor": _CURSOR},
    "GET /canned-responses": {"invalid_cursor": _CURSOR},
    "POST /contacts": {
        "invalid_phone": _PHONE,
        "invalid_phones": _PHONE + "; each number once in a contact",
        "contact_number_taken": "a number is on one of the caller's contacts: " + _STATE,
    },
    "PATCH /contacts/{contact_id}": {
        "invalid_phone": _PHONE,
        "invalid_phones": _PHONE + "; each number once in a contact",
        "contact_number_taken": "a number is on one of the caller's contacts: " + _STATE,
    },
    "POST /conversations": {
        "invalid_phone": _PHONE,
        "invalid_from": "from must be one of the caller's own numbers",
        "invalid_members": "members must name someone besides the caller",
        "sms_not_allowed": _STATE,
    },
    "POST /sms/preview": {"invalid_phone": _PHONE},
    "GET /customers": {"invalid_phone": _PHONE},
    "PUT /admin/numbers/{e164}": {"invalid_phone": _PHONE},
    "PUT /admin/numbers/{e164}/users/{user_id}": {"invalid_phone": _PHONE},
    "DELETE /admin/numbers/{e164}/users/{user_id}": {"invalid_phone": _PHONE},
    "PUT /admin/contact-center/channels/{e164}": {"invalid_phone": _PHONE},
    "POST /interactions": {
        "invalid_to": _PHONE,
        "invalid_phone": _PHONE,
        "invalid_channel": _STATE,
        "too_many_segments": _SEGMENTS,
    },
    "POST /conversations/{conversation_id}/messages": {
        "invalid_media": "media must be the caller's own uploads: " + _STATE,
        "mms_not_supported": "the business number's capabilities: " + _STATE,
        "mms_not_supported_for_destination": "where the number and the phone are: " + _STATE,
        "media_type_not_supported": "the uploads' types, in an SMS conversation: " + _STATE,
        "media_too_large": "the uploads' sizes together, in an SMS conversation: " + _STATE,
        "too_many_segments": _SEGMENTS,
    },
    "POST /conversations/{conversation_id}/read": {
        "invalid_seq": "seq must not pass the conversation's last message: " + _STATE
    },
    "POST /conversations/{conversation_id}/members": {
        "invalid_members": "members must name someone besides the caller",
        "too_many_members": "the group's size after the addition: " + _STATE,
    },
    "PATCH /admin/company": {"invalid_help_text": _CTIA},
    "PUT /admin/texting-policy": {
        "invalid_help_text": _CTIA,
        "invalid_stop_reply": _CTIA,
        "invalid_start_reply": _CTIA,
    },
    "PATCH /conversations/{conversation_id}": {
        "invalid_labels": "each label one line of at most 32 characters once trimmed, "
        "at most 10, repeats in any case once",
        "assignee_not_on_line": "the assignee must be on the conversation's line: " + _STATE,
    },
    "PUT /me/presence": {"invalid_expiry": "expires_at must be in the coming year: now moves"},
    "POST /devices": {
        "invalid_push_subscription": _SUBSCRIPTION,
        "invalid_push_key": _SUBSCRIPTION + "; p256dh a point on the P-256 curve",
        "push_endpoint_not_allowed": _SUBSCRIPTION + "; its endpoint on a browser push service",
    },
    "PUT /me/photo": {"invalid_key": "the key must be one of the caller's own uploads"},
    "GET /search": {
        "invalid_date": "a calendar date (30 February is not)",
        "invalid_cursor": _CURSOR,
    },
    "GET /admin/usage": {
        "invalid_date": "a calendar date (30 February is not), from not after to, a year at most"
    },
    "GET /reports/agents": _REPORT_RANGE,
    "GET /reports/queues": _REPORT_RANGE,
    "PUT /admin/contact-center/queues/{queue_id}": {
        "invalid_hours": "opening before closing compares two parts of one string",
        "invalid_timezone": "a name the runtime's IANA time zone database holds",
        "invalid_overflow_queue_id": "another queue of the company: " + _STATE,
    },
}


def _error_code(response: Any) -> str | None:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


def schema_valid_requests_are_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's positive_data_acceptance, but for the refusals in UNSTATABLE."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _error_code(response) in UNSTATABLE.get(case.operation.label, {}):
            return None
        raise


# The one 5xx the local stack answers by design: it has no End User Messaging, so an
# admin page asking for that account's standing (once a number was switched to it)
# gets the 503 AWS itself would cause when it cannot answer. Nothing else may be 5xx.
LOCAL_ONLY_UNAVAILABLE = {("GET /admin/sms-account", 503, "provider_unavailable")}


def no_server_error_but_the_local_stacks_missing_provider(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    """Schemathesis's not_a_server_error, but for ``LOCAL_ONLY_UNAVAILABLE``."""
    key = (case.operation.label, response.status_code, _error_code(response))
    if key in LOCAL_ONLY_UNAVAILABLE:
        return None
    return not_a_server_error(ctx, response, case)


# A 404 that names something the request refers to, not the resource in its path:
# the user just invited exists, the policy the PATCH names does not.
REFERENCED_NOT_FOUND = {("PATCH /admin/users/{user_id}", "policy_not_found")}


def created_resources_are_found(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's ensure_resource_availability, but for ``REFERENCED_NOT_FOUND``."""
    if (case.operation.label, _error_code(response)) in REFERENCED_NOT_FOUND:
        return None
    return ensure_resource_availability(ctx, response, case)


ALL_BUT_THE_UNSTATABLE = {
    "excluded_checks": [positive_data_acceptance, not_a_server_error, ensure_resource_availability],
    "additional_checks": [
        schema_valid_requests_are_accepted,
        no_server_error_but_the_local_stacks_missing_provider,
        created_resources_are_found,
    ],
}


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
            # the session signs every request (ignored_auth checks that one is needed)
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "with-security-parameters": False,
            },
            "phases": {"stateful": {"enabled": True, "max-steps": STATEFUL_STEPS}},
            # every check (the default: all enabled); this API refuses a text over the
            # max_text_length setting with 413 text_too_long, and a request line over
            # 8192 bytes with 414, as docs/api.md says
            "checks": {
                "negative_data_rejection": {
                    "expected-statuses": [
                        *["400", "401", "403", "404", "405", "406", "409", "413", "414", "415"],
                        *["422", "428", "429"],
                    ]
                }
            },
        }
    )
    served = schemathesis.openapi.from_url(
        f"{fuzz_stack['rest_url']}/openapi.json", config=config, timeout=REQUEST_SECONDS
    )

    @served.hook
    def flatmap_case(context: Any, case: Any) -> Any:
        """Half the cases whose path is schema-valid get ids that exist instead (a
        schema-invalid path is left alone: the request must stay invalid; so is a chain
        of the stateful phase: its ids come from the responses before)."""
        meta = case.meta
        path = meta.components.get(ParameterLocation.PATH) if meta else None
        real = {name: real_ids[name] for name in case.path_parameters if name in real_ids}
        if (
            not real
            or (path is not None and path.mode.is_negative)
            or (meta is not None and meta.phase.name == TestPhase.STATEFUL)
        ):
            return st.just(case)

        def chosen(use_real: bool) -> Any:
            if use_real:
                case.path_parameters.update(real)
            return case

        return st.booleans().map(chosen)

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
        timeout=REQUEST_SECONDS,
        **ALL_BUT_THE_UNSTATABLE,
    )


@pytest.mark.timeout(600)
def test_chained_operations_pass_every_check_too(
    api_schema: Any, fuzz_stack: Stack, fuzz_session: requests.Session
) -> None:
    """The stateful phase: operations chained along the links Schemathesis infers from
    the document (a conversation created, then read, renamed, written to...)."""
    machine = api_schema.exclude(path_regex="^/webhooks/").as_state_machine()
    called: list[str] = []

    class Workflow(machine):  # type: ignore[misc, valid-type]
        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            called.append(case.operation.label)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {
                "base_url": fuzz_stack["rest_url"],
                "session": fuzz_session,
                "timeout": REQUEST_SECONDS,
            }

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
                **ALL_BUT_THE_UNSTATABLE,
            )

    # Hypothesis calls it a flaky strategy when the rules a state machine may take next
    # (from the links, so from the server's answers) differ between two scenarios that
    # began alike: the harness's, not the API's (the more operations the document links,
    # the likelier). That alone starts a fresh run, at most five times; every response
    # of every run was checked, so the calls made before it count; a failed check is
    # raised at once.
    for attempt in range(FLAKY_RUNS):
        try:
            _run_workflow(Workflow)
            break
        except FlakyStrategyDefinition:
            if attempt == FLAKY_RUNS - 1:
                raise
            if len(called) > STATEFUL_SCENARIOS and len(set(called)) > 10:
                break
    # the chains ran: more calls than scenarios, across many operations
    assert len(called) > STATEFUL_SCENARIOS and len(set(called)) > 10, sorted(set(called))


def _run_workflow(workflow: Any) -> None:
    workflow.run(
        settings=settings(
            # generate only (Schemathesis's own default here): a replay meets a server whose
            # state moved on, which Hypothesis takes for a flaky strategy
            phases=[Phase.generate],
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
