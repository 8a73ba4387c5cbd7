"""Quiet hours: automated texts to US numbers go out only between 8am and 8pm in the
recipient's time (Florida's and Oklahoma's rule for marketing texts, kept for every
US number when a company turns it on). Pure Python: the time zone comes from the
number's area code through the table below, and the US daylight-saving rule is
computed here (no time-zone database is needed in the Lambda package).

An area code that spans two zones (``219`` in Indiana, ``850`` in Florida, ``208`` in
Idaho, …) gets the narrower window: 8am where it is latest, 8pm where it is earliest.
An area code the table does not know (new overlays, non-geographic codes) gets the
narrowest window of the 48 contiguous states: 8am Pacific to 8pm Eastern.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

OPENS, CLOSES = 8, 20  # local hours: from 8:00, never at or after 20:00
US_COUNTRIES = frozenset({"US", "PR", "VI", "GU", "MP", "AS"})


@dataclass(frozen=True)
class Zone:
    """A US time zone: its standard offset from UTC and whether it keeps daylight time."""

    name: str
    standard_hours: int
    daylight_saving: bool = True

    def offset(self, moment: datetime) -> timedelta:
        """The zone's offset at ``moment`` (UTC): the US rule since 2007, daylight time
        from the second Sunday of March 2:00 standard time to the first Sunday of
        November 2:00 daylight time."""
        hours = self.standard_hours
        if self.daylight_saving:
            year = moment.year
            starts = _nth_sunday(year, 3, 2) + timedelta(hours=2 - hours)
            ends = _nth_sunday(year, 11, 1) + timedelta(hours=2 - (hours + 1))
            if starts <= moment < ends:
                hours += 1
        return timedelta(hours=hours)

    def local(self, moment: datetime) -> datetime:
        return moment + self.offset(moment)


def _nth_sunday(year: int, month: int, n: int) -> datetime:
    first = datetime(year, month, 1, tzinfo=UTC)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


ZONES = {
    z.name: z
    for z in (
        Zone("eastern", -5),
        Zone("central", -6),
        Zone("mountain", -7),
        Zone("arizona", -7, daylight_saving=False),
        Zone("pacific", -8),
        Zone("alaska", -9),
        Zone("aleutian", -10),
        Zone("hawaii", -10, daylight_saving=False),
        Zone("atlantic", -4, daylight_saving=False),
        Zone("chamorro", 10, daylight_saving=False),
        Zone("samoa", -11, daylight_saving=False),
    )
}

# Area codes by zone (NANP, US only; Canadian numbers are not held).
_BY_ZONE = {
    "eastern": """
        201 202 203 207 212 215 216 220 223 227 229 231 234 239 240 248 252 260 267 269
        272 276 283 301 302 304 305 313 315 317 321 324 326 329 330 332 336 339 347
        351 352 363 380 386 401 404 407 410 412 413 419 434 436 440 443 445 463 470 472
        475 478 484 502 508 513 516 517 518 540 551 561 567 570 571 582 585 586 603 607
        609 610 614 616 617 624 631 640 645 646 656 667 678 679 680 681 689 703 704 706
        716 717 718 724 727 728 732 734 740 743 754 757 762 765 770 771 772 774 781 786
        802 803 804 810 813 814 826 828 835 838 839 843 845 848 854 856 857 859 860 862
        863 864 865 878 904 908 910 912 914 917 919 929 934 937 941 943 947 948 954 959
        973 978 980 984 989
    """,
    "central": """
        205 210 214 217 218 224 225 228 235 251 254 256 262 274 281 309 312 314 316 318
        319 320 325 327 331 334 337 346 353 361 402 405 409 414 417 430 447 464 469 479
        483 501 504 507 512 515 531 534 539 557 563 572 573 580 601 608 612 615 618 629
        630 636 641 651 659 660 662 682 708 712 713 715 726 730 731 737 763 769 773 779
        806 815 816 817 830 832 847 861 870 872 901 903 913 918 920 936 938 940 945 952
        956 972 975 979 985
    """,
    "mountain": "303 307 385 406 435 505 575 719 720 801 915 970 983",
    "arizona": "480 520 602 623 928",
    "pacific": """
        206 209 213 253 279 310 323 341 350 360 369 408 415 424 425 442 503 509 510 530
        559 562 564 619 626 628 650 657 661 669 702 707 714 725 747 760 805 818 820 831
        840 858 909 916 925 949 951 971
    """,
    "hawaii": "808",
    "atlantic": "340 787 939",
    "chamorro": "670 671",
    "samoa": "684",
}
# Area codes that span two zones: the narrower window applies.
_SPANNING = {
    "208": ("mountain", "pacific"),
    "986": ("mountain", "pacific"),
    "219": ("eastern", "central"),
    "812": ("eastern", "central"),
    "930": ("eastern", "central"),
    "574": ("eastern", "central"),
    "270": ("central", "eastern"),
    "364": ("central", "eastern"),
    "606": ("eastern", "central"),
    "423": ("eastern", "central"),
    "931": ("central", "eastern"),
    "850": ("central", "eastern"),
    "448": ("central", "eastern"),
    "906": ("eastern", "central"),
    "308": ("central", "mountain"),
    "605": ("central", "mountain"),
    "620": ("central", "mountain"),
    "701": ("central", "mountain"),
    "785": ("central", "mountain"),
    "432": ("central", "mountain"),
    "458": ("pacific", "mountain"),
    "541": ("pacific", "mountain"),
    "775": ("pacific", "mountain"),
    "907": ("alaska", "aleutian"),
}
CONTIGUOUS = ("eastern", "pacific")  # an unknown area code: the narrowest mainland window


def _table() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for zone, codes in _BY_ZONE.items():
        for code in codes.split():
            if code.isdigit():
                table[code] = (zone,)
    table.update(_SPANNING)
    return table


AREA_ZONES = _table()


def zones_of(e164: str) -> tuple[Zone, ...]:
    """The zones a US number's area code lies in (the contiguous extremes if unknown)."""
    code = e164[2:5] if e164.startswith("+1") else ""
    return tuple(ZONES[z] for z in AREA_ZONES.get(code, CONTIGUOUS))


def open_at(moment: datetime, zones: tuple[Zone, ...]) -> bool:
    """Whether ``moment`` (UTC) is between 8am and 8pm in every one of ``zones``."""
    return all(OPENS <= z.local(moment).hour < CLOSES for z in zones)


def next_open(moment: datetime, zones: tuple[Zone, ...]) -> datetime:
    """The first moment at or after ``moment`` (UTC) that is 8am-8pm in every zone."""
    candidate = moment
    for _ in range(8):  # zones of one area code are hours apart: this settles in two
        if open_at(candidate, zones):
            return candidate
        latest = candidate
        for zone in zones:
            local = zone.local(candidate)
            if not OPENS <= local.hour < CLOSES:
                day = local if local.hour < OPENS else local + timedelta(days=1)
                opens_local = day.replace(hour=OPENS, minute=0, second=0, microsecond=0)
                opens = opens_local - zone.offset(candidate)
                # the offset may change overnight (daylight time): ask again at that hour
                opens = opens_local - zone.offset(opens)
                latest = max(latest, opens)
        candidate = latest
    return candidate


def hold_until(moment: datetime, e164: str, country: str) -> datetime | None:
    """When an automated text to ``e164`` may go out (None: now, or not a US number)."""
    if country.upper() not in US_COUNTRIES:
        return None
    zones = zones_of(e164)
    if open_at(moment, zones):
        return None
    return next_open(moment, zones)
