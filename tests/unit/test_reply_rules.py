"""CTIA's rules for a company's own HELP, STOP and START replies, as known answers: what
passes, and for what fails, which rule says so. The texting policy refuses a reply that
breaks one (400, nothing changed, not even the container's cache)."""

from __future__ import annotations

import pytest

from chalicelib.domain import reply_rules
from chalicelib.domain.compliance import (
    DEFAULT_HELP_REPLY,
    DEFAULT_START_REPLY,
    DEFAULT_STOP_REPLY,
    TextingPolicy,
)
from chalicelib.domain.errors import ValidationError
from chalicelib.domain.model import Company
from chalicelib.services.commands import Changes
from chalicelib.services.common import Caller
from chalicelib.services.company import CompanySettings
from chalicelib.services.compliance.policy import TextingPolicies
from tests import fakes

NAMES = ["Acme Bikes", "Acme Corp"]


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("help", DEFAULT_HELP_REPLY),
        ("stop", DEFAULT_STOP_REPLY),
        ("start", DEFAULT_START_REPLY),
        ("help", "Acme Bikes: call 415-555-0100 for help. Reply STOP to unsubscribe."),
        ("help", "{name} support: help@acme.example, or reply here. STOP to end."),
        ("help", "acme corp help desk: https://acme.example/help"),
        ("help", "{name}: text us at {number}"),
        ("help", "Acme Bikes - (415) 555 0100"),
        ("stop", "Acme Bikes: you are unsubscribed. Reply START to rejoin."),
        ("stop", "{name}: You won't receive more texts from us."),
        ("stop", "{name}: you have opted out and will get no more messages."),
        ("start", "{name}: welcome back! Reply STOP to unsubscribe."),
    ],
)
def test_a_reply_that_keeps_the_rules_passes(kind: str, text: str) -> None:
    assert reply_rules.problems(kind, text, NAMES) == []


@pytest.mark.parametrize(
    ("kind", "text", "says"),
    [
        ("help", "Call 415-555-0100 for help.", "does not name the business"),
        ("help", "{name}: we are here to help!", "how to reach the business"),
        ("help", "Acme Bikes: reply STOP to unsubscribe.", "how to reach the business"),
        ("stop", "You are unsubscribed.", "does not name the business"),
        ("stop", "{name}: thanks for your message.", "does not confirm the opt-out"),
        ("stop", "{name}: unsubscribed. See our deals at acme.com", "carries a link"),
        ("stop", "{name}: unsubscribed. https://bit.ly/x", "carries a link"),
        ("stop", "{name}: unsubscribed. Write to deals@acme.example", "carries a link"),
        ("stop", "{name}: unsubscribed. Come back for 20% off!", 'carries an offer ("20% off")'),
        ("stop", "{name}: no more texts. Our summer sale ends soon", 'carries an offer ("sale")'),
        ("start", "{name}: welcome back!", "how to opt out"),
    ],
)
def test_a_reply_that_breaks_a_rule_says_which(kind: str, text: str, says: str) -> None:
    found = reply_rules.problems(kind, text, NAMES)
    assert any(says in problem for problem in found), found


def test_every_problem_is_named_at_once() -> None:
    found = reply_rules.problems("help", "We are here to help", NAMES)
    message = reply_rules.explain("help_text", found)
    assert "does not name the business" in message and "how to reach" in message
    assert '"Acme Bikes"' in message and "{name}" in message


def test_the_default_help_reply_names_the_number_texted() -> None:
    reply = TextingPolicy("acme").reply("help", "Acme Corp", number="+14155550100")
    assert reply.startswith("Acme Corp:") and "+14155550100" in reply


ADMIN = Caller("u-alice", "acme", "admin")


@pytest.fixture
def policies() -> TextingPolicies:
    directory = fakes.MemoryDirectoryRepository()
    directory.put_company(Company("acme", "Acme Corp"))
    return TextingPolicies(fakes.MemoryComplianceRepository(), companies=CompanySettings(directory))


def test_a_refused_change_leaves_the_cached_policy_as_it_was(policies: TextingPolicies) -> None:
    """Found by a review: the cached policy was changed field by field before a later
    field was refused, so this container used a policy that was never stored."""
    before = policies.get("acme")
    with pytest.raises(ValidationError):
        policies.update(ADMIN, Changes({"sender_name": "Shady Deals", "toll_free": "sometimes"}))
    assert policies.get("acme").sender_name == "" and policies.get("acme") == before


def test_a_stop_reply_with_marketing_is_refused_and_changes_nothing(
    policies: TextingPolicies,
) -> None:
    with pytest.raises(ValidationError) as refused:
        policies.update(ADMIN, Changes({"stop_reply": "{name}: unsubscribed. 50% off at acme.io"}))
    assert refused.value.code == "invalid_stop_reply"
    assert "carries a link" in str(refused.value)
    assert policies.get("acme").stop_reply == ""


def test_a_reply_may_name_the_business_by_its_company_name(policies: TextingPolicies) -> None:
    changed = policies.update(ADMIN, Changes({"start_reply": "Acme Corp: hi! STOP to end"}))
    assert changed["start_reply"] == "Acme Corp: hi! STOP to end"


def test_a_new_sender_name_is_checked_against_the_replies_that_name_the_old_one(
    policies: TextingPolicies,
) -> None:
    policies.update(ADMIN, Changes({"sender_name": "Acme Bikes"}))
    policies.update(ADMIN, Changes({"stop_reply": "Acme Bikes: you are unsubscribed."}))
    with pytest.raises(ValidationError) as refused:
        policies.update(ADMIN, Changes({"sender_name": "Bike Barn"}))
    assert "stop_reply: it does not name the business" in str(refused.value)
