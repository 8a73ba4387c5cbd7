"""Clickable things in message text: URLs and phone numbers, as ranges.

Offsets are Python string indices (Unicode code points), ``end`` exclusive.
Phone numbers are found with phonenumbers' matcher in the company's region, so
"(415) 555-2671" is a number for a US company and "020 7946 0958" for a GB one.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

_URL = re.compile(
    r"""(?ix)
    \b(?:https?://|www\.)           # a scheme or www.
    [^\s<>"'`]+                     # then anything up to white space or quotes
    """
)
_TRAILING = ".,;:!?)]}'\""


def _urls(text: str) -> list[dict[str, Any]]:
    found = []
    for match in _URL.finditer(text):
        url = match.group(0)
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break  # a balanced paren belongs to the URL (Wikipedia-style)
            url = url[:-1]
        start = match.start()
        href = url if url.lower().startswith("http") else f"https://{url}"
        found.append({"type": "url", "start": start, "end": start + len(url), "url": href})
    return found


def _phones(text: str, region: str) -> list[dict[str, Any]]:
    found = []
    for match in phonenumbers.PhoneNumberMatcher(
        text, region, leniency=phonenumbers.Leniency.VALID
    ):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        found.append({"type": "phone", "start": match.start, "end": match.end, "e164": e164})
    return found


def extract(text: str, region: str = "US") -> list[dict[str, Any]]:
    """URLs and phone numbers in ``text``, in order; a number inside a URL is not a number."""
    urls = _urls(text)
    phones = [
        p
        for p in _phones(text, region)
        if not any(u["start"] <= p["start"] < u["end"] for u in urls)
    ]
    return sorted(urls + phones, key=lambda e: e["start"])
