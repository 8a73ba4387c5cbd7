"""The contact center's and the reports' keys: the rows from "CC queue" down in the table
of ``keys.py``, which is the one vocabulary (and ``docs/architecture.md`` its mirror)."""

from __future__ import annotations

import time

# -- contact center -------------------------------------------------------------------

CC_PROFILE_SK = "PROFILE"  # the same sort key as a user profile
IX_SK = "IX"
OPEN_SK = "OPEN"
CHANNEL_SK = "CHANNEL"
CUSTOMER_SK = "CUSTOMER"
CC_QUEUE_PREFIX = "CCQUEUE#"
CANNED_PREFIX = "CANNED#"
AGENT_PREFIX = "AGENT#"
IX_PREFIX = "IX#"
CASE_PREFIX = "CASE#"
HIST_PREFIX = "HIST#"
DAY_PREFIX = "DAY#"
CC_AGENT_PREFIX = "CCAGENT#"
CC_IX_PREFIX = "CCIX#"
CC_QSTATE_PREFIX = "CCQSTATE#"
TL_PREFIX = "TL#"
MON_PREFIX = "MON#"
NOTE_KEY_PREFIX = "NOTE#"


def cc_queue_sk(queue_id: str) -> str:
    return f"{CC_QUEUE_PREFIX}{queue_id}"


def canned_sk(reply_id: str) -> str:
    return f"{CANNED_PREFIX}{reply_id}"


def canned_scope_pk(company_id: str, scope: str) -> str:
    """A copy of each reply per queue it is limited to (or ``*``: every queue), sorted
    by reply id: an agent's replies are a Query per scope, merged."""
    return f"CCCANNED#{company_id}#{scope}"


def channel_pk(e164: str) -> str:
    return f"CCCHAN#{e164}"


def company_channels_gsi(company_id: str) -> str:
    return f"CO#{company_id}#CCCHANNELS"


def agent_pk(agent_id: str) -> str:
    return f"{CC_AGENT_PREFIX}{agent_id}"


def company_agents_gsi(company_id: str) -> str:
    return f"CO#{company_id}#CCAGENTS"


def agent_ix_sk(interaction_id: str) -> str:
    return f"{IX_PREFIX}{interaction_id}"


def queue_members_pk(company_id: str, queue_id: str) -> str:
    return f"CCQ#{company_id}#{queue_id}"


def queue_agent_sk(agent_id: str) -> str:
    return f"{AGENT_PREFIX}{agent_id}"


def ix_pk(interaction_id: str) -> str:
    return f"{CC_IX_PREFIX}{interaction_id}"


def waiting_gsi(company_id: str, queue_id: str) -> str:
    return f"CCWAIT#{company_id}#{queue_id}"


def waiting_sort(enqueued_at: float, interaction_id: str) -> str:
    return f"{enqueued_at:017.6f}#{interaction_id}"


def live_gsi(company_id: str, queue_id: str) -> str:
    """gsi2pk of an interaction until it ends: the queue's live list, whoever holds it."""
    return f"CCLIVE#{company_id}#{queue_id}"


def open_pk(channel: str, phone: str) -> str:
    return f"CCOPEN#{channel}#{phone}"


def customer_pk(customer_id: str) -> str:
    return f"CCCUST#{customer_id}"


def customer_phone_pk(company_id: str, phone: str) -> str:
    return f"CCPHONE#{company_id}#{phone}"


def case_sk(case_id: str) -> str:
    return f"{CASE_PREFIX}{case_id}"


def history_sk(at: str, interaction_id: str) -> str:
    return f"{HIST_PREFIX}{at}#{interaction_id}"


def waiting_check_sk(offer_no: int) -> str:
    """Under ``ix_pk``: the interaction's first waiting check at that offer is armed."""
    return f"WCHECK#{offer_no}"


def figures_pk(company_id: str, queue_id: str) -> str:
    return f"CCSTAT#{company_id}#{queue_id}"


def figures_once_sk(key: str) -> str:
    return f"ONCE#{key}"


def queue_state_pk(company_id: str, queue_id: str) -> str:
    return f"{CC_QSTATE_PREFIX}{company_id}#{queue_id}"


def day_sk(day: str) -> str:
    return f"{DAY_PREFIX}{day}"


def timeline_sk(at: float, entry_id: str) -> str:
    return f"{TL_PREFIX}{at:017.6f}#{entry_id}"


def note_key_sk(user_id: str, client_id: str) -> str:
    """A private note's client key: the author's ``client_id`` on the interaction."""
    return f"{NOTE_KEY_PREFIX}{user_id}#{client_id}"


def monitor_pk(conversation_id: str) -> str:
    return f"CCMON#{conversation_id}"


def monitor_sk(user_id: str) -> str:
    return f"{MON_PREFIX}{user_id}"


# -- search: interactions handled (an agent's, a queue's) ---------------------------------

CC_HANDLED_PREFIX = "CCHANDLED#"
HANDLED_PREFIX = "HANDLED#"


def agent_handled_sk(answered_at: float, interaction_id: str) -> str:
    return f"{CC_HANDLED_PREFIX}{answered_at:017.6f}#{interaction_id}"


def queue_handled_sk(answered_at: float, interaction_id: str) -> str:
    return f"{HANDLED_PREFIX}{answered_at:017.6f}#{interaction_id}"


# -- reports (15-minute figures, counted from the table's stream) -----------------------


def report_month(interval: int) -> str:
    """The UTC month (``yyyy-mm``) an interval starting at ``interval`` is in."""
    return time.strftime("%Y-%m", time.gmtime(interval))


def report_agent_pk(company_id: str, agent_id: str, month: str) -> str:
    """One agent's intervals of one UTC month: a supervisor reads only their agents'."""
    return f"CCRPT#{company_id}#A#{agent_id}#{month}"


def report_month_agents_pk(company_id: str, month: str) -> str:
    """The agents with figures in one UTC month (sort key: the agent's id): an admin's
    report pages over these instead of every profile of the company."""
    return f"CCRPT#{company_id}#M#{month}"


def report_spell_id(agent_id: str, since: float) -> str:
    """Stands for the interaction id in a spell's once-marker: the profile version that
    closed it (its ``state_since``), with a long spell's chunk as the version."""
    return f"SPELL#{agent_id}#{since:.6f}"


def report_old_agents_pk(company_id: str) -> str:
    """Where agents' figures were kept before they were partitioned per agent and month
    (sort key ``{interval:010d}#{agent}``): read only by the copy (``report_copy``)."""
    return f"CCRPT#{company_id}#AGENTS"


def report_queue_pk(company_id: str, queue_id: str) -> str:
    return f"CCRPT#{company_id}#Q#{queue_id}"


def report_interval_sk(interval: int) -> str:
    return f"{interval:010d}"


def report_once_pk(company_id: str) -> str:
    return f"CCRPT#{company_id}#ONCE"


def report_once_sk(interaction_id: str, version: int) -> str:
    return f"{interaction_id}#{version}"
