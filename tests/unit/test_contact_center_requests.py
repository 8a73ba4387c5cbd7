"""The contact center's edge: JSON bodies become typed commands through the field
table, with the same error codes the routes have always answered."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app import app
from chalicelib.api import contact_center_requests as parse
from chalicelib.api import openapi
from chalicelib.domain.contact_center_config import DEFAULT_FULL_MESSAGE
from chalicelib.domain.errors import ValidationError
from chalicelib.services.contact_center.commands import (
    AgentSettings,
    EndInteraction,
    QueueSettings,
    StartOutbound,
)


def code(parser: Any, body: Any) -> str:
    with pytest.raises(ValidationError) as refused:
        parser(body)
    return refused.value.code


def test_a_queue_body_becomes_its_settings_with_every_default() -> None:
    settings = parse.queue({"name": " Support ", "skills": {"support": 2}, "max_waiting": 20})
    assert settings == QueueSettings(name="Support", skills={"support": 2}, max_waiting=20)
    assert settings.full_message == DEFAULT_FULL_MESSAGE and settings.offer_timeout_s == 30


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, "invalid_name"),
        ({"name": "  "}, "invalid_name"),
        ({"name": "X", "offer_timeout_s": "30"}, "invalid_offer_timeout_s"),
        ({"name": "X", "offer_timeout_s": 4}, "invalid_offer_timeout_s"),
        ({"name": "X", "priority": 101}, "invalid_priority"),
        ({"name": "X", "max_waiting": 1001}, "invalid_max_waiting"),
        ({"name": "X", "auto_accept": "yes"}, "invalid_auto_accept"),
        ({"name": "X", "skills": {"support": 9}}, "invalid_skills"),
        ({"name": "X", "hours": {"mon": "late"}}, "invalid_hours"),
        ({"name": "X", "timezone": "Nowhere/None"}, "invalid_timezone"),
        ({"name": "X", "full_message": "x" * 1601}, "invalid_full_message"),
        ({"name": "X", "overflow_level": 6}, "invalid_overflow_level"),
    ],
)
def test_a_bad_queue_value_is_refused_with_its_code(body: dict[str, Any], expected: str) -> None:
    assert code(parse.queue, body) == expected


def test_agent_end_outbound_and_status_bodies() -> None:
    assert parse.agent({"queues": ["a", "a", "b"], "role": "supervisor"}) == AgentSettings(
        queues=("a", "b"), role="supervisor"
    )
    assert code(parse.agent, {"role": "boss"}) == "invalid_role"
    assert code(parse.agent, {"max_concurrent": 11}) == "invalid_max_concurrent"
    assert code(parse.agent, {"queues": "q"}) == "invalid_queues"
    assert parse.end({}) == EndInteraction()
    assert parse.end({"disposition": " solved "}).disposition == "solved"
    assert code(parse.end, {"disposition": "x" * 101}) == "invalid_disposition"
    assert code(parse.end, {"case_id": 7}) == "invalid_case"
    assert parse.outbound({"channel": "+1", "to": "2", "client_id": "c", "text": "hi"}) == (
        StartOutbound("+1", "2", "c", "hi")
    )
    assert code(parse.outbound, {"channel": "+1", "client_id": "c", "text": "x"}) == "invalid_to"
    assert code(parse.outbound, {"channel": "+1", "to": "2", "client_id": "c"}) == "invalid_text"
    assert code(parse.outbound, {"channel": "+1", "to": "2", "text": "x"}) == "invalid_client_id"
    assert code(parse.agent_status, {"status": "busy"}) == "invalid_status"
    assert code(parse.agent_status, {}) == "invalid_status"
    assert code(parse.transfer, {}) == "invalid_queue_id"
    assert code(parse.transfer, {"queue_id": ""}) == "invalid_queue_id"
    for bad in (" ", 7, "x" * 129):  # the parser alone guards the id (the service trusts it)
        body = {"channel": "+1", "to": "2", "text": "x", "client_id": bad}
        assert code(parse.outbound, body) == "invalid_client_id"
    assert code(parse.canned, {"text": " "}) == "invalid_text"


def _document() -> dict[str, Any]:
    return openapi.document(app.routes)


def test_the_openapi_document_describes_hours_as_the_parser_enforces_them() -> None:
    queue = _document()["paths"]["/admin/contact-center/queues/{queue_id}"]["put"]
    hours = queue["requestBody"]["content"]["application/json"]["schema"]["properties"]["hours"]
    assert hours["type"] == ["object", "null"] and hours["x-error-code"] == "invalid_hours"
    assert hours["propertyNames"] == {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    assert hours["maxProperties"] == 7
    value = hours["additionalProperties"]
    assert value["type"] == "string" and value["maxLength"] == len("09:00-17:00")
    assert re.match(value["pattern"], "09:00-17:30") and not re.match(value["pattern"], "9-5")
    assert parse.queue({"name": "Q", "hours": {"mon": "09:00-17:30"}}).hours == {
        "mon": "09:00-17:30"
    }
    for bad in ({"holiday": "09:00-17:00"}, {"mon": "9-5"}, {"mon": 9}, ["mon"], "mon"):
        assert code(parse.queue, {"name": "Q", "hours": bad}) == "invalid_hours"


def test_the_openapi_document_describes_the_optional_end_body() -> None:
    end = _document()["paths"]["/interactions/{interaction_id}/end"]["post"]
    assert end["requestBody"]["required"] is False  # a body-less end is valid
    schema = end["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"disposition", "notes", "case_id"}
    assert schema["properties"]["notes"]["maxLength"] == 4000
    assert code(parse.end, {"notes": "n" * 4001}) == "invalid_notes"
    assert parse.end({}) == EndInteraction()
