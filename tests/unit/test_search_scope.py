"""Search scope: what each person may find, built from memberships and handled
contact-center interactions (in-memory adapters, the contact center's real flows),
held by the query (a real OpenSearch-protocol engine) and by the re-check (an index
that ignores the scope, as a broken or hostile engine would)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.contact_center import AgentProfile
from chalicelib.domain.model import Membership, User
from chalicelib.domain.search import SearchHit, SearchPage, SearchRequest, document_of
from chalicelib.domain.search_scope import (
    OPEN_END,
    HandledInteraction,
    Scope,
    SeqRange,
    build_scope,
)
from chalicelib.services.common import Caller
from chalicelib.services.contact_center.commands import EndInteraction
from chalicelib.services.search import SearchCommand, SearchService
from chalicelib.services.search_scope import QUEUE_READS_TTL_S, ScopeReader
from tests.contact_center_support import CUSTOMER, SALES, SUPPORT, available, only_open, world
from tests.support import World, create_im, seed_people, send

# -- the pure part ------------------------------------------------------------------


def member(conversation: str, cleared: int = 0) -> Membership:
    return Membership("u-bob", conversation, "acme", cleared_seq=cleared)


def handled(conversation: str, first: int, last: int, at: float = 1.0) -> HandledInteraction:
    return HandledInteraction("ix", "acme", "q", "u-bob", conversation, at, first, last)


def test_a_members_delete_for_me_horizon_starts_their_range() -> None:
    scope = build_scope([member("d1"), member("d2", cleared=7)], [], 10, 10)
    assert scope.whole == ("d1",)
    assert scope.ranges == (SeqRange("d2", 8, OPEN_END),)
    assert scope.members == {"d1", "d2"}
    assert not scope.allows("d2", 7) and scope.allows("d2", 8) and scope.allows("d1", 1)


def test_handled_parts_merge_and_a_membership_holds_them() -> None:
    scope = build_scope(
        [member("s-now"), member("s-cleared", cleared=5)],
        [
            handled("s-old", 1, 4),
            handled("s-old", 5, 9),  # touching: one range
            handled("s-old", 20, 30),
            handled("s-now", 1, 3),  # held whole by the membership
            handled("s-cleared", 1, 3),  # deleted for the member: gone for good
            handled("s-empty", 6, 5),  # nothing was ever sent in it
        ],
        10,
        10,
    )
    assert scope.whole == ("s-now",)
    assert set(scope.ranges) == {
        SeqRange("s-old", 1, 9),
        SeqRange("s-old", 20, 30),
        SeqRange("s-cleared", 6, OPEN_END),
    }
    assert "s-old" not in scope.members  # granted by the handled record, not a membership
    assert not scope.allows("s-cleared", 3) and not scope.allows("s-old", 10)


def test_the_scope_is_bounded_most_recent_first() -> None:
    scope = build_scope(
        [member(f"d{n}") for n in range(5)], [handled(f"s{n}", 1, 2) for n in range(5)], 3, 2
    )
    assert scope.whole == ("d0", "d1", "d2")
    assert {r.conversation_id for r in scope.ranges} == {"s0", "s1"}


def test_a_hidden_conversation_grants_nothing_not_even_a_handled_part() -> None:
    scope = build_scope(
        [member("d1")],
        [handled("s-hidden", 1, 4), handled("s-old", 1, 2)],
        10,
        10,
        hidden={"s-hidden"},
    )
    assert scope.whole == ("d1",) and scope.ranges == (SeqRange("s-old", 1, 2),)
    assert not scope.allows("s-hidden", 1)


# -- who handled what, on the contact center's real flows ------------------------------


def supervisors(w: Any) -> None:
    """sue supervises Support, sam Sales (neither an admin)."""
    for user_id, queue in (("u-sue", SUPPORT), ("u-sam", SALES)):
        w.directory_repo.put_user(User(user_id, "acme", user_id, f"{user_id}@acme.test"))
        w.cc_repo.put_agent(AgentProfile(user_id, "acme", role="supervisor", queues=[queue]))


def reader(w: Any) -> ScopeReader:
    return ScopeReader(w.conversation_repo, w.handled_repo, w.cc_repo)


def scope_of(w: Any, user_id: str) -> Scope:
    return reader(w).scope(w.caller(user_id))


def handled_conversation(w: Any) -> tuple[str, int]:
    """bob answers a customer, replies, ends it; the customer writes again after.
    Returns the conversation and the last sequence number bob had."""
    supervisors(w)
    available(w, "u-bob")
    w.text(CUSTOMER, "my sink is leaking")
    w.runner.run()
    ix = only_open(w)
    w.cc.agents.accept(w.caller("u-bob"), ix.interaction_id)
    send(w.services.conversations, w.caller("u-bob"), ix.conversation_id, "r1", "plumber coming")
    w.cc.agents.end(w.caller("u-bob"), ix.interaction_id, EndInteraction(disposition="done"))
    last = w.conversation_repo.get(ix.conversation_id).last_seq
    w.text(CUSTOMER, "the sink again")  # a new interaction: nobody handled it yet
    return ix.conversation_id, last


def test_the_agent_who_handled_it_and_its_queues_supervisor_find_it_up_to_its_end() -> None:
    w = world()
    conversation, last = handled_conversation(w)
    assert last == 2
    assert scope_of(w, "u-bob").ranges == (SeqRange(conversation, 1, 2),)
    assert scope_of(w, "u-sue").ranges == (SeqRange(conversation, 1, 2),)
    assert scope_of(w, "u-alice").ranges == (SeqRange(conversation, 1, 2),)  # an admin
    for nobody in ("u-carol", "u-sam"):  # another agent; a supervisor of another queue
        assert scope_of(w, nobody).empty


def test_a_transfer_keeps_what_the_first_agent_held_and_the_next_gets_theirs() -> None:
    w = world()
    supervisors(w)
    available(w, "u-bob")
    w.text(CUSTOMER, "I want to buy")
    w.runner.run()
    ix = only_open(w)
    w.cc.agents.accept(w.caller("u-bob"), ix.interaction_id)
    w.cc.agents.transfer(w.caller("u-bob"), ix.interaction_id, SALES)
    w.text(CUSTOMER, "hello?")
    available(w, "u-carol")
    w.runner.run()
    w.cc.agents.accept(w.caller("u-carol"), ix.interaction_id)
    conversation = ix.conversation_id
    assert scope_of(w, "u-bob").ranges == (SeqRange(conversation, 1, 1),)
    assert scope_of(w, "u-carol").whole == (conversation,)  # she has it now: a member
    assert scope_of(w, "u-sam").ranges == (SeqRange(conversation, 1, 2),)
    assert scope_of(w, "u-sue").ranges == (SeqRange(conversation, 1, 1),)


def test_an_agent_who_hides_a_thread_they_handled_before_no_longer_finds_it() -> None:
    w = world()
    conversation, _ = handled_conversation(w)
    w.runner.run()  # the customer's next interaction: bob again
    w.cc.agents.accept(w.caller("u-bob"), only_open(w).interaction_id)
    assert scope_of(w, "u-bob").whole == (conversation,)
    w.services.conversations.set_flags(w.caller("u-bob"), conversation, hidden=True)
    assert scope_of(w, "u-bob").empty  # the first interaction's handled part neither


def test_an_agent_going_offline_gives_the_thread_back_and_keeps_what_they_held() -> None:
    w = world()
    available(w, "u-bob")
    w.text(CUSTOMER)
    w.runner.run()
    ix = only_open(w)
    w.cc.agents.accept(w.caller("u-bob"), ix.interaction_id)
    w.cc.agents.set_status(w.caller("u-bob"), "offline")
    w.text(CUSTOMER, "anyone there?")
    assert scope_of(w, "u-bob").ranges == (SeqRange(ix.conversation_id, 1, 1),)


# -- the query and the re-check hold the scope ----------------------------------------


class ScopeBlindIndex:
    """Answers every indexed message, whatever the scope: only the re-check stands
    between it and the caller."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo

    def search(self, request: SearchRequest) -> SearchPage:
        hits = [
            SearchHit(m.message_id, m.conversation_id, m.seq, m.text, (m.seq,))
            for m in sorted(self.repo.messages.values(), key=lambda m: -m.seq)
        ]
        return SearchPage(hits[: request.limit], False)


def index_all(index: Any, repo: Any) -> None:
    docs = [document_of(m) for m in repo.messages.values()]
    index.write([d for d in docs if d is not None], [])
    index.refresh()


def texts(service: SearchService, caller: Caller, q: str) -> list[str]:
    return [i["message"]["text"] for i in service.search(caller, SearchCommand(q=q))["items"]]


@pytest.fixture
def cleared_world() -> tuple[World, str]:
    """alice and bob share a conversation of four budget texts; bob deleted the first
    two for himself (the field set directly, as "delete for me" will)."""
    w = World()
    seed_people(w.directory_repo)
    alice = Caller("u-alice", "acme", "admin")
    conversation, _ = create_im(w.services.conversations, alice, ["u-bob"])
    for n in range(1, 5):
        send(w.services.conversations, alice, conversation["id"], f"k{n}", f"budget {n}")
    w.conversation_repo.memberships[("u-bob", conversation["id"])].cleared_seq = 2
    return w, conversation["id"]


def test_delete_for_me_holds_in_the_query(
    cleared_world: tuple[World, str], search_index: Any
) -> None:
    w, _ = cleared_world
    index_all(search_index, w.conversation_repo)
    service = SearchService(search_index, w.conversation_repo)
    assert texts(service, Caller("u-bob", "acme"), "budget ") == ["budget 4", "budget 3"]
    assert len(texts(service, Caller("u-alice", "acme", "admin"), "budget ")) == 4


def test_delete_for_me_and_handled_ranges_hold_in_the_recheck(
    cleared_world: tuple[World, str],
) -> None:
    w, _ = cleared_world
    service = SearchService(ScopeBlindIndex(w.conversation_repo), w.conversation_repo)  # type: ignore[arg-type]
    assert texts(service, Caller("u-bob", "acme"), "budget") == ["budget 4", "budget 3"]
    assert texts(service, Caller("u-carol", "acme"), "budget") == []

    center = world()
    handled_conversation(center)
    blind = SearchService(
        ScopeBlindIndex(center.conversation_repo),  # type: ignore[arg-type]
        center.conversation_repo,
        scopes=reader(center),
    )
    found = texts(blind, center.caller("u-bob"), "sink")
    assert found == ["plumber coming", "my sink is leaking"]  # not "the sink again"
    assert texts(blind, center.caller("u-carol"), "sink") == []


def test_a_transcript_is_found_by_its_agent_and_supervisor_only(search_index: Any) -> None:
    w = world()
    handled_conversation(w)
    index_all(search_index, w.conversation_repo)
    service = SearchService(search_index, w.conversation_repo, scopes=reader(w))
    assert texts(service, w.caller("u-bob"), "sink ") == ["my sink is leaking"]
    assert texts(service, w.caller("u-sue"), "sink ") == ["my sink is leaking"]
    assert texts(service, w.caller("u-carol"), "sink ") == []
    assert texts(service, w.caller("u-sam"), "sink ") == []


class CountingHandled:
    """The handled records, counting the queue reads made (one Query each on AWS)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.queue_reads = 0

    def by_agent(self, agent_id: str, limit: int) -> list[HandledInteraction]:
        return list(self.inner.by_agent(agent_id, limit))

    def by_queue(self, company_id: str, queue_id: str, limit: int) -> list[HandledInteraction]:
        self.queue_reads += 1
        return list(self.inner.by_queue(company_id, queue_id, limit))


def test_an_admin_typing_reads_each_queue_once_until_the_reads_are_old() -> None:
    # Given an admin's scope read for every keystroke of a word, on a clock we move
    w = world()
    conversation, _ = handled_conversation(w)
    now = [100.0]
    counting = CountingHandled(w.handled_repo)
    scopes = ScopeReader(w.conversation_repo, counting, w.cc_repo, clock=lambda: now[0])
    queues = len(w.cc_repo.list_queues("acme"))
    assert queues >= 2
    # When they search five times within the TTL (a word typed, 0.5 s apart)
    for _ in range(5):
        assert scopes.scope(w.caller("u-alice")).ranges == (SeqRange(conversation, 1, 2),)
        now[0] += 0.5
    # Then every queue was read once, not once a letter
    assert counting.queue_reads == queues
    # And once the reads are older than the TTL, the next search reads them again
    now[0] += QUEUE_READS_TTL_S
    assert scopes.scope(w.caller("u-alice")).ranges == (SeqRange(conversation, 1, 2),)
    assert counting.queue_reads == 2 * queues
