"""A number that stops being a channel is a shared line again: its past customers'
conversations reach the number's users on their next text."""

from __future__ import annotations

from chalicelib.domain.model import sms_conversation_id
from chalicelib.services.contact_center.commands import EndInteraction
from tests.contact_center_support import CHANNEL, CUSTOMER, available, only_open, world


def test_a_past_customer_of_a_deleted_channel_reaches_the_numbers_users() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    w.cc.agents.accept(w.caller("u-bob"), ix.interaction_id)
    w.cc.agents.end(w.caller("u-bob"), ix.interaction_id, EndInteraction(disposition="resolved"))
    conversation_id = sms_conversation_id(CHANNEL, CUSTOMER)
    assert w.conversation_repo.get(conversation_id).members == []  # the agent left it
    w.cc.admin.delete_channel(w.caller("u-alice"), CHANNEL)

    w.text(CUSTOMER, "back again")

    number = w.sms_repo.get_number(CHANNEL)
    conversation = w.conversation_repo.get(conversation_id)
    assert sorted(conversation.members) == sorted(number.users) == ["u-bob", "u-carol"]
    assert w.cc_repo.open_interaction(CHANNEL, CUSTOMER) is None  # no contact center now
    version = conversation.version
    w.text(CUSTOMER, "and again")  # members agree: nothing more is written
    assert w.conversation_repo.get(conversation_id).version == version
