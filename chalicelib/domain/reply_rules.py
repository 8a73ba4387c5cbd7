"""CTIA's rules for the replies to HELP, STOP and START, as plain checks of a company's
own texts (the texting policy's ``stop_reply`` / ``start_reply``, the company's
``help_text``). Pure Python.

- HELP names the business and says how to reach it: a phone number, an email
  address, a website, or ``{number}`` (the business number that was texted).
- The opt-out confirmation names the business, confirms the opt-out, and carries
  no marketing: no link at all (a link in a confirmation is how marketing rides
  along, and the company's own site has no business there either) and none of the
  usual offer words.
- The opt-in confirmation names the business and says how to opt out (STOP).

A reply names the business with ``{name}`` (replaced by the policy's sender name, or
the company's name) or with that name written out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NAME, NUMBER = "{name}", "{number}"

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[a-z]{2,}", re.IGNORECASE)
_LINK = re.compile(
    r"\bhttps?://|\bwww\.|\b[a-z0-9-]+(\.[a-z0-9-]+)*\.(com|net|org|io|co|us|biz|info|app|shop"
    r"|store|site|online|ly|me|gl|link|page)\b(/\S*)?",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<!\w)\+?\d(?:[\s().-]*\d){9,14}(?!\w)")
_CONFIRMS_OPT_OUT = re.compile(
    r"\b(unsubscribed|opted out|opt(ed)?-out|no more|no longer|(will not|won't|wont|not) "
    r"(receive|get|be sent)|removed|stopped)\b",
    re.IGNORECASE,
)
_MARKETING = re.compile(
    r"\b(sale|sales|discount|discounts|coupon|coupons|promo|promos|promotion|promotions"
    r"|offer|offers|deal|deals|free shipping|shop now|buy now|order now|limited time)\b"
    r"|\d+\s*%\s*off\b|\bpercent off\b",
    re.IGNORECASE,
)
_MENTIONS_STOP = re.compile(r"\bstop\b", re.IGNORECASE)


def names_business(text: str, names: Iterable[str]) -> bool:
    lowered = text.lower()
    return NAME in text or any(n.strip() and n.strip().lower() in lowered for n in names)


def has_contact(text: str) -> bool:
    """A way to reach the business: a phone number, an email address, a website."""
    return NUMBER in text or bool(_PHONE.search(text) or _EMAIL.search(text) or _LINK.search(text))


def problems(kind: str, text: str, names: Iterable[str]) -> list[str]:
    """What is wrong with a company's ``help`` / ``stop`` / ``start`` reply, one
    sentence each (empty: it may be used). ``names`` count as the business's name."""
    names = [n.strip() for n in names if n and n.strip()]
    shown = " or ".join([NAME, *(f'"{n}"' for n in names)])
    found: list[str] = []
    if not names_business(text, names):
        found.append(f"it does not name the business (write {shown})")
    if kind == "help" and not has_contact(text):
        found.append(
            "it does not say how to reach the business (a phone number, an email "
            f"address, a website, or {NUMBER} for the number texted)"
        )
    if kind == "stop":
        if not _CONFIRMS_OPT_OUT.search(text):
            found.append('it does not confirm the opt-out (such as "you are unsubscribed")')
        if _LINK.search(text) or _EMAIL.search(text):
            found.append("it carries a link, and an opt-out confirmation carries no marketing")
        elif offer := _MARKETING.search(text):
            found.append(
                f'it carries an offer ("{offer.group(0)}"), and an opt-out confirmation '
                "carries no marketing"
            )
    if kind == "start" and not _MENTIONS_STOP.search(text):
        found.append('it does not say how to opt out (such as "Reply STOP to unsubscribe")')
    return found


def explain(field: str, found: list[str]) -> str:
    """The 400's message: every problem at once, so one correction is enough."""
    return f"{field}: {'; '.join(found)}"
