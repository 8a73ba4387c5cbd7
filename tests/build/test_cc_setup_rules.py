"""The set-up screens' client-side checks (web/src/lib/cc_setup_rules.ts) are the API's
field tables (``api.contact_center_bodies``): the client's ``RULES`` are read here and
held to the server's rows, so a bound, pattern or choice cannot change on one side alone.
The API stays the judge (its answer is what the screens show); these checks only spare a
round trip for what is certain to be refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chalicelib.api.contact_center_bodies import CC_AGENT, CC_CANNED, CC_CHANNEL, CC_QUEUE
from chalicelib.api.fields import LIST, MAP, TEXT, TEXT_MAP, WHOLE, Body, Field

ROOT = Path(__file__).resolve().parents[2]
RULES_TS = ROOT / "web" / "src" / "lib" / "cc_setup_rules.ts"
TABLES: dict[str, Body] = {
    "queue": CC_QUEUE,
    "channel": CC_CHANNEL,
    "agent": CC_AGENT,
    "canned": CC_CANNED,
}


def projection(spec: Field) -> dict[str, Any]:
    """What the client checks of a row: its kind, whether required, and its bounds."""
    row: dict[str, Any] = {"kind": spec.kind, "code": spec.code, "required": spec.required}
    if spec.kind in (TEXT, LIST, MAP, TEXT_MAP):
        row["max_len"] = spec.max_len
    if spec.kind == TEXT:
        row["min_len"] = spec.min_len
    if spec.kind in (TEXT, MAP, TEXT_MAP):
        row["pattern"] = spec.pattern
    if spec.kind in (WHOLE, MAP):
        row["minimum"], row["maximum"] = spec.minimum, spec.maximum
    if spec.kind in (LIST, MAP, TEXT_MAP):
        row["max_items"] = spec.max_items
    if spec.kind in (TEXT, TEXT_MAP):
        row["choices"] = list(spec.choices)
    return row


def server_rules() -> dict[str, dict[str, dict[str, Any]]]:
    return {
        form: {spec.name: projection(spec) for spec in table.fields}
        for form, table in TABLES.items()
    }


def client_rules() -> dict[str, Any]:
    """The JSON between ``RULES = `` and ``; // end of RULES`` in cc_setup_rules.ts."""
    match = re.search(r"RULES: Rules = (\{.*?\}); // end of RULES", RULES_TS.read_text(), re.S)
    assert match, f"no RULES table in {RULES_TS.name}"
    found: dict[str, Any] = json.loads(match.group(1))
    return found


def test_the_set_up_screens_check_every_field_of_the_apis_tables_by_the_same_rules() -> None:
    assert client_rules() == server_rules()


def test_a_changed_bound_on_the_server_would_be_seen() -> None:
    changed = server_rules()
    changed["queue"]["priority"]["maximum"] += 1
    assert client_rules() != changed


if __name__ == "__main__":  # prints the table, to paste when a server row changes
    print(json.dumps(server_rules(), indent=2, ensure_ascii=True))
