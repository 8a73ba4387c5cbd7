"""Every key and index value of the messaging table: the one vocabulary.

``docs/architecture.md`` mirrors this table row for row. Repositories and the
stream translation build and recognise keys only through these functions.

| item | pk | sk | gsi1pk | gsi1sk |
|---|---|---|---|---|
| company | CO#{company} | COMPANY |  |  |
| SMS policy | CO#{company} | POLICY#{policy} |  |  |
| user profile | USER#{user} | PROFILE | CO#{company}#USERS | {name lower}#{user} |
| personal contact | USER#{user} | CONTACT#{contact} | USER#{user}#CONTACTS | {name folded}#{contact} |
| contact's number | USER#{user} | CPHONE#{e164} |  |  |
| membership | USER#{user} | CONV#{conversation} | USER#{user}#CONVS (*) | {activity}#{conversation} |
| membership in a shared line's view (gsi2pk) | USER#{user} | CONV#{conversation} | USER#{user}#MINE or #UNASSIGNED (*****) | {activity}#{conversation} |
| connection (per user) | USER#{user} | CONN#{connection} | LIVE#{shard} | {deadline:012d}#{connection} |
| connection (lookup) | CONN#{connection} | CONN |  |  |
| presence watch | WATCH#{watched user} | CONN#{connection} |  |  |
| device | USER#{user} | DEVICE#{device} |  |  |
| push devices of a user (one item, read in batches) | USER#{user} | PUSH |  |  |
| push token owner | PUSHTOKEN#{sha256} | OWNER |  |  |
| missed counter | USER#{user} | MISSED#{conversation} |  |  |
| message hidden for a member | USER#{user} | HIDDEN#{conversation}#{seq:012d} |  |  |
| conversation | CONV#{conversation} | META | NUM#{business}#CONVS (sms) | {conversation} |
| message | CONV#{conversation} | MSG#{seq:012d} | PENDING#{seq mod 4} (**) | {created_at}#{conversation}#{seq} |
| client key | CONV#{conversation} | CLIENT#{sender}#{client_id} |  |  |
| typing throttle | CONV#{conversation} | TYPING#{user} |  |  |
| business number | NUM#{e164} | NUMBER | CO#{company}#NUMBERS | {e164} |
| opt-out state | OPTOUT#{business}#{external} | STATE |  |  |
| opt-out audit | OPTOUT#{business}#{external} | AUDIT#{at}#{source} |  |  |
| provider message | PMSG#{provider}#{id} | PMSG |  |  |
| rate window | RATE#{user#… or company#…} | W#{window} |  |  |
| usage counter | USAGE#{company} | {day}#company or {day}#user#{user} |  |  |
| pacing slot | PACE#{e164} | PACE |  |  |
| booked slot of a text | PACE#{e164} | SLOT#{message} |  |  |
| texting policy | CO#{company} | TEXTING |  |  |
| consent record | OPTOUT#{business}#{external} | CONSENT |  |  |
| registration | CO#{company} | REG#{registration} | REGPENDING (****) | {company}#{registration} |
| registration change | CO#{company} | REGLOG#{registration}#{at}#{status} |  |  |
| registration poller's cursor | REGPOLL | STATE |  |  |
| CC queue | CO#{company} | CCQUEUE#{queue} |  |  |
| canned reply | CO#{company} | CANNED#{reply} |  |  |
| canned reply of a scope (a queue, or * for every queue) | CCCANNED#{company}#{queue or *} | {reply} |  |  |
| CC channel | CCCHAN#{e164} | CHANNEL | CO#{company}#CCCHANNELS | {e164} |
| agent (profile, live load) | CCAGENT#{agent} | PROFILE | CO#{company}#CCAGENTS | {agent} |
| agent's open interaction | CCAGENT#{agent} | IX#{interaction} |  |  |
| queue's agent | CCQ#{company}#{queue} | AGENT#{agent} |  |  |
| interaction | CCIX#{interaction} | IX | CCWAIT#{company}#{queue} (***) | {enqueued:017.6f}#{interaction} |
| interaction in its queue's live list (gsi2pk) | CCIX#{interaction} | IX | CCLIVE#{company}#{queue} (******) | {enqueued:017.6f}#{interaction} |
| customer's open interaction | CCOPEN#{channel}#{phone} | OPEN |  |  |
| customer | CCCUST#{customer} | CUSTOMER |  |  |
| customer by phone | CCPHONE#{company}#{phone} | CUSTOMER |  |  |
| case | CCCUST#{customer} | CASE#{case} |  |  |
| customer history entry | CCCUST#{customer} | HIST#{at}#{interaction} |  |  |
| queue figures of a day | CCSTAT#{company}#{queue} | DAY#{yyyy-mm-dd} |  |  |
| a figure counted once (TTL) | CCSTAT#{company}#{queue} | ONCE#{key} |  |  |
| queue's last published state | CCQSTATE#{company}#{queue} | STATE |  |  |
| an agent's report figures of a 15-minute interval | CCRPT#{company}#A#{agent}#{yyyy-mm} | {interval:010d} |  |  |
| the agents with report figures in a UTC month | CCRPT#{company}#M#{yyyy-mm} | {agent} |  |  |
| a queue's report figures of a 15-minute interval | CCRPT#{company}#Q#{queue} | {interval:010d} |  |  |
| agents' report figures before the per-agent rows (read by the copy only) | CCRPT#{company}#AGENTS | {interval:010d}#{agent} |  |  |
| a change counted once in reports (TTL) | CCRPT#{company}#ONCE | {interaction}#{version} or SPELL#{agent}#{state_since}#{chunk} |  |  |
| interaction's timeline entry (notes, supervisors' actions) | CCIX#{interaction} | TL#{at:017.6f}#{entry} |  |  |
| a private note's client key (the first note, returned to a retry) | CCIX#{interaction} | NOTE#{author}#{client_id} |  |  |
| an interaction's first waiting check at an offer is armed (TTL) | CCIX#{interaction} | WCHECK#{offer_no} |  |  |
| supervisor monitoring a conversation (TTL) | CCMON#{conversation} | MON#{user} |  |  |
| interaction an agent handled (search) | USER#{agent} | CCHANDLED#{answered:017.6f}#{interaction} |  |  |
| interaction a queue handled (search) | CCQ#{company}#{queue} | HANDLED#{answered:017.6f}#{interaction} |  |  |

(*) absent while the member has hidden the conversation: a sparse index.
(**) only outbound texts without a final status: the reconciler's sparse index.
(***) only while the interaction waits: a sparse index that is the queue itself.
(****) only while the provider reviews it: the registration poller's sparse index.
(*****) gsi2 (gsi2pk, sorted by gsi1sk): only on a shared line, the assignee's or everyone's while unassigned.
(******) gsi2 (gsi2pk, sorted by gsi1sk): every interaction of the queue until it ends, whoever holds it (its gsi1sk is kept while it is open; gsi1pk only while it waits).
"""

from __future__ import annotations

from chalicelib.adapters.dynamodb.keys_contact_center import (
    CC_AGENT_PREFIX,
    CC_IX_PREFIX,
    CC_QSTATE_PREFIX,
    IX_SK,
    TL_PREFIX,
)

COMPANY_SK = "COMPANY"
PROFILE_SK = "PROFILE"
META_SK = "META"
CONN_SK = "CONN"
NUMBER_SK = "NUMBER"
OWNER_SK = "OWNER"
STATE_SK = "STATE"
PMSG_SK = "PMSG"
PACE_SK = "PACE"

MSG_PREFIX = "MSG#"
CONV_PREFIX = "CONV#"
CONN_PREFIX = "CONN#"
USER_PREFIX = "USER#"
POLICY_PREFIX = "POLICY#"
AUDIT_PREFIX = "AUDIT#"
MAX_SEQ_SK = 10**12 - 1  # sequence numbers are zero-padded to 12 digits

LIVE_SHARDS = 4  # the sweeper's index is spread over a few partitions
PENDING_SHARDS = 4  # so is the reconciler's


# -- companies and users --------------------------------------------------------


def co_pk(company_id: str) -> str:
    return f"CO#{company_id}"


def policy_sk(policy_id: str) -> str:
    return f"{POLICY_PREFIX}{policy_id}"


def user_pk(user_id: str) -> str:
    return f"{USER_PREFIX}{user_id}"


def users_gsi(company_id: str) -> str:
    return f"CO#{company_id}#USERS"


def user_sort(name: str, user_id: str) -> str:
    return f"{name.lower()}#{user_id}"


def contact_sk(contact_id: str) -> str:
    return f"CONTACT#{contact_id}"


def contacts_gsi(user_id: str) -> str:
    return f"{USER_PREFIX}{user_id}#CONTACTS"


def contact_sort(folded_name: str, contact_id: str) -> str:
    return f"{folded_name}#{contact_id}"


CONTACT_PHONE_PREFIX = "CPHONE#"


def contact_phone_sk(e164: str) -> str:
    return f"{CONTACT_PHONE_PREFIX}{e164}"


HIDDEN_PREFIX = "HIDDEN#"


def hidden_sk(conversation_id: str, seq: int) -> str:
    return f"{HIDDEN_PREFIX}{conversation_id}#{seq:012d}"


# -- conversations ----------------------------------------------------------------


def conv_pk(conversation_id: str) -> str:
    return f"{CONV_PREFIX}{conversation_id}"


def msg_sk(seq: int) -> str:
    return f"{MSG_PREFIX}{seq:012d}"


def client_sk(sender: str, client_id: str) -> str:
    return f"CLIENT#{sender}#{client_id}"


def membership_sk(conversation_id: str) -> str:
    return f"{CONV_PREFIX}{conversation_id}"


def convs_gsi(user_id: str) -> str:
    return f"{USER_PREFIX}{user_id}#CONVS"


def activity_sort(activity_at: str, conversation_id: str) -> str:
    return f"{activity_at}#{conversation_id}"


def view_gsi(user_id: str, view: str) -> str:
    return f"{USER_PREFIX}{user_id}#{view.upper()}"


def activity_of(sort_key: str | None) -> str:
    return (sort_key or "").split("#", 1)[0]


def number_convs_gsi(e164: str) -> str:
    return f"NUM#{e164}#CONVS"


def pending_gsi(seq: int) -> str:
    return f"PENDING#{seq % PENDING_SHARDS}"


def pending_shard(shard: int) -> str:
    return f"PENDING#{shard}"


def pending_sort(created_at: str, conversation_id: str, seq: int) -> str:
    return f"{created_at}#{conversation_id}#{seq}"


# -- connections, presence, devices --------------------------------------------------


def conn_pk(connection_id: str) -> str:
    return f"{CONN_PREFIX}{connection_id}"


def conn_sk(connection_id: str) -> str:
    return f"{CONN_PREFIX}{connection_id}"


def live_shard(connection_id: str) -> str:
    return f"LIVE#{sum(connection_id.encode()) % LIVE_SHARDS}"


def live_pk(shard: int) -> str:
    return f"LIVE#{shard}"


def deadline_sort(deadline: int, connection_id: str) -> str:
    return f"{deadline:012d}#{connection_id}"


def before_deadline(now: int) -> str:
    """Every deadline sort key of a deadline before ``now`` is below this."""
    return f"{now:012d}#"


def watch_pk(user_id: str) -> str:
    return f"WATCH#{user_id}"


def device_sk(device_id: str) -> str:
    return f"DEVICE#{device_id}"


PUSH_SK = "PUSH"


def push_token_pk(digest: str) -> str:
    return f"PUSHTOKEN#{digest}"


def missed_sk(conversation_id: str) -> str:
    return f"MISSED#{conversation_id}"


MISSED_PREFIX = "MISSED#"
CONTACT_PREFIX = "CONTACT#"
DEVICE_PREFIX = "DEVICE#"


def typing_sk(user_id: str) -> str:
    return f"TYPING#{user_id}"


# -- SMS ------------------------------------------------------------------------------


def number_pk(e164: str) -> str:
    return f"NUM#{e164}"


def company_numbers_gsi(company_id: str) -> str:
    return f"CO#{company_id}#NUMBERS"


def opt_out_pk(business: str, external: str) -> str:
    return f"OPTOUT#{business}#{external}"


def opt_out_audit_sk(at: str, source: str) -> str:
    return f"{AUDIT_PREFIX}{at}#{source}"


def provider_message_pk(provider: str, provider_id: str) -> str:
    return f"PMSG#{provider}#{provider_id}"


def rate_pk(key: str) -> str:
    return f"RATE#{key}"


def window_sk(window: int) -> str:
    return f"W#{window}"


def usage_pk(company_id: str) -> str:
    return f"USAGE#{company_id}"


def usage_sk(day: str, user_id: str | None) -> str:
    return f"{day}#company" if user_id is None else f"{day}#user#{user_id}"


def usage_end(last_day: str) -> str:
    return f"{last_day}#~"


def pace_pk(e164: str) -> str:
    return f"PACE#{e164}"


def pace_slot_sk(text_id: str) -> str:
    return f"SLOT#{text_id}"


# -- lawful texting: policy, consent, registrations -------------------------------------

TEXTING_SK = "TEXTING"
CONSENT_SK = "CONSENT"
REG_PREFIX = "REG#"
REGLOG_PREFIX = "REGLOG#"
REG_PENDING = "REGPENDING"
REG_POLL_PK = "REGPOLL"  # one item: where the registration poller resumes


def registration_sk(registration_id: str) -> str:
    return f"{REG_PREFIX}{registration_id}"


def registration_sort(company_id: str, registration_id: str) -> str:
    return f"{company_id}#{registration_id}"


def registration_log_sk(registration_id: str, at: str, status: str) -> str:
    return f"{REGLOG_PREFIX}{registration_id}#{at}#{status}"


def registration_log_prefix(registration_id: str) -> str:
    return f"{REGLOG_PREFIX}{registration_id}#"


# -- recognising items (the stream translation) ----------------------------------------


def kind_of(pk: str, sk: str) -> str:
    """Which item a stream record's keys belong to."""
    if pk.startswith(CONV_PREFIX) and sk.startswith(MSG_PREFIX):
        return "message"
    if pk.startswith(CONV_PREFIX) and sk == META_SK:
        return "conversation"
    if pk.startswith(USER_PREFIX) and sk.startswith(CONV_PREFIX):
        return "membership"
    if pk.startswith(USER_PREFIX) and sk.startswith(HIDDEN_PREFIX):
        return "hidden_message"
    if pk.startswith(USER_PREFIX) and sk == PROFILE_SK:
        return "profile"
    if pk.startswith(CONN_PREFIX) and sk == CONN_SK:
        return "connection"
    if pk.startswith(CC_IX_PREFIX) and sk == IX_SK:
        return "cc_interaction"
    if pk.startswith(CC_AGENT_PREFIX) and sk == PROFILE_SK:
        return "cc_agent"
    if pk.startswith(CC_QSTATE_PREFIX) and sk == STATE_SK:
        return "cc_queue_state"
    if pk.startswith(CC_IX_PREFIX) and sk.startswith(TL_PREFIX):
        return "cc_timeline"
    return "other"
