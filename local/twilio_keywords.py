"""Twilio's default keyword handling, for the carrier simulator, as a switch.

A Twilio account left at its default opt-out handling answers STOP, START and HELP
itself on long codes and toll-free numbers, and then refuses every text from that
number to a phone that said STOP (error 21610: "Attempt to send to unsubscribed
recipient"), a reply in the webhook's TwiML included, until the phone says START.
The app answers keywords itself (``docs/sms.md``, "Who answers STOP/HELP"), so the
simulator's default is ``app``: Twilio stays silent and keeps no opt-out list, as
on an account whose opt-out management was handed to the application.

``POST /_sim/twilio/keywords`` with ``{"handling": "twilio_default"}`` turns Twilio's
handling on (``"app"`` turns it off). The switch is the account's, like its
credentials: ``POST /_sim/reset`` keeps it and forgets the opt-out list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HANDLINGS = ("app", "twilio_default")
# Twilio's default keywords (single words, any case, spaces around ignored).
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Twilio's standard replies (they name no business: that is why the app answers).
STOP_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages "
    "from this number. Reply START to resubscribe."
)
START_REPLY = (
    "You have successfully been re-subscribed to messages from this number. "
    "Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)
HELP_REPLY = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
UNSUBSCRIBED = 21610


@dataclass
class DefaultKeywords:
    """The switch and, while Twilio's handling is on, its opt-out list
    (business number, phone)."""

    handling: str = "app"
    opted_out: set[tuple[str, str]] = field(default_factory=set)

    @property
    def on(self) -> bool:
        return self.handling == "twilio_default"

    def inbound(self, business: str, phone: str, body: str) -> str | None:
        """Twilio's own answer to a phone's text (None: Twilio says nothing); a STOP
        adds the pair to the opt-out list, a START removes it."""
        if not self.on:
            return None
        word = body.strip().upper()
        if word in STOP_WORDS:
            self.opted_out.add((business, phone))
            return STOP_REPLY
        if word in START_WORDS:
            self.opted_out.discard((business, phone))
            return START_REPLY
        if word in HELP_WORDS:
            return HELP_REPLY
        return None

    def blocked(self, business: str, phone: str) -> bool:
        """Whether Twilio refuses a text from ``business`` to ``phone`` (21610)."""
        return self.on and (business, phone) in self.opted_out

    def reset(self) -> None:
        self.opted_out.clear()
