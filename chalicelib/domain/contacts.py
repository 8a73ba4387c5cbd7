"""A person's own contacts: people outside the company, with several numbers."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import phonenumbers

MAX_PHONES = 10  # numbers of one contact
MAX_LABEL = 40


@dataclass(frozen=True)
class Phone:
    """One number of a contact (E.164) and what it is (``mobile``, ``work``; "" for none)."""

    number: str
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "label": self.label or None}


@dataclass
class Contact:
    """``phones`` is never empty; ``phone`` (the first number) is what clients that
    predate several numbers read and write."""

    contact_id: str
    owner_id: str
    company_id: str
    name: str
    phones: list[Phone]
    created_at: str
    updated_at: str
    email: str = ""
    company: str = ""

    @property
    def phone(self) -> str:
        return self.phones[0].number if self.phones else ""

    @property
    def numbers(self) -> list[str]:
        return [p.number for p in self.phones]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.contact_id,
            "name": self.name,
            "phone": self.phone,
            "phones": [p.to_dict() for p in self.phones],
            "email": self.email or None,
            "company": self.company or None,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def ref(self) -> dict[str, Any]:
        """What a conversation shows of the contact it is with."""
        return {"id": self.contact_id, "name": self.name}


def fold(text: str) -> str:
    """A name as suggestions compare it: lower case, accents dropped ("Zoë" ~ "zoe")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def number_prefix(query: str, region: str) -> str | None:
    """The E.164 beginning of a number typed in part, or None when the query is not a
    number (a letter in it, or fewer than two digits): "+44 20" is "+4420"; national
    digits are in ``region`` ("(415) 55" in the US: "+141555"; "020 7" in GB:
    "+4420" + "7", the trunk 0 dropped; a North American leading 1 is the country's)."""
    if any(c.isalpha() for c in query):
        return None
    digits = "".join(c for c in query if c.isascii() and c.isdigit())
    if len(digits) < 2:
        return None
    text = query.strip()
    if text.startswith("+"):
        return f"+{digits}"
    if text.startswith("00"):
        return f"+{digits[2:]}"
    code = phonenumbers.country_code_for_region(region) or 1
    national = digits.removeprefix("1") if code == 1 else digits.lstrip("0")
    return f"+{code}{national}"
