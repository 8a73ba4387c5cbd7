"""Attachments: which files a message may carry, and what carriers carry as MMS.

Pure rules (no AWS): the media service checks them before a message is stored,
and the SMS sender again before a provider is called (a number may change while
its text waits in the queue).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Every type an upload may have (IM carries them all), by its file extension.
MEDIA_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
# What Twilio and End User Messaging deliver as MMS.
MMS_TYPES = ("image/jpeg", "image/png", "image/gif", "application/pdf")
# North American carriers exchange MMS with each other only.
MMS_COUNTRIES = ("US", "CA")
MMS_NUMBER_TYPES = ("local", "mobile", "toll_free")  # long codes and toll-free; no short codes
MAX_MEDIA = 10  # attachments of one message
MAX_FILENAME = 255

FORBIDDEN = "forbidden"  # a 403: the route cannot carry it
INVALID = "invalid"  # a 400: the attachments are not what it can carry


@dataclass(frozen=True)
class Attachment:
    content_type: str
    size: int


@dataclass(frozen=True)
class MmsRefusal:
    """Why an MMS cannot go: a stable ``code``, words for people, and its ``kind``."""

    code: str
    message: str
    kind: str


@dataclass(frozen=True)
class MmsRoute:
    """The business number a text goes from, and where it goes."""

    number: str
    number_country: str
    number_type: str
    capabilities: Sequence[str]
    destination_country: str


def mms_refusal(
    route: MmsRoute, attachments: Sequence[Attachment], max_bytes: int
) -> MmsRefusal | None:
    """The first carrier rule an MMS breaks, in the documented order (docs/sms.md), or
    None when it may go."""
    if not attachments:
        return None
    if "mms" not in route.capabilities:
        return MmsRefusal("mms_not_supported", f"{route.number} cannot send MMS", FORBIDDEN)
    if (
        route.number_country not in MMS_COUNTRIES
        or route.number_type not in MMS_NUMBER_TYPES
        or route.destination_country not in MMS_COUNTRIES
    ):
        return MmsRefusal(
            "mms_not_supported_for_destination",
            "pictures and files go by text only between US and Canadian numbers, from a "
            "long code or a toll-free number; send the text without them",
            FORBIDDEN,
        )
    for item in attachments:
        if item.content_type not in MMS_TYPES:
            return MmsRefusal(
                "media_type_not_supported",
                f"{item.content_type} cannot go by text: only {', '.join(MMS_TYPES)}",
                INVALID,
            )
    total = sum(item.size for item in attachments)
    if total > max_bytes:
        return MmsRefusal(
            "media_too_large",
            f"the attachments come to {total} bytes; a text carries at most {max_bytes}",
            INVALID,
        )
    return None


def media_view(items: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """A message's attachments as clients see them: no storage key (a member fetches
    each through its media route, by index)."""
    return [
        {
            "index": n,
            "content_type": item.get("content_type", ""),
            "size": item.get("size", 0),
            "filename": item.get("filename") or None,
        }
        for n, item in enumerate(items)
    ]
