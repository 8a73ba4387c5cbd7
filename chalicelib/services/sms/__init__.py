"""Texting external numbers, in parts that do not call each other in a circle.

- ``texting``: who may text, from which number, to where; starting an SMS
  conversation; preview; usage reports.
- ``media``: MMS uploads, attachments, links, inbound media copies.
- ``policy``: the outbound and inbound channel policies the message log calls
  (eligibility, destination, opt-out, segments, rate limits, usage).
- ``sender``: the outbound pipeline (pacing, claim-before-send, retries, reconciler).
- ``quiet``: quiet hours (automated texts wait for 8am-8pm in the recipient's time).
- ``carrier``: carrier webhooks (inbound texts, keywords, delivery status).
"""

from chalicelib.services.sms.carrier import CarrierWebhooks
from chalicelib.services.sms.media import SmsMedia
from chalicelib.services.sms.policy import OutboundSmsPolicy
from chalicelib.services.sms.quiet import QuietHours
from chalicelib.services.sms.sender import PacingDelay, SmsSender, requeue_delay, retry_delay
from chalicelib.services.sms.texting import Providers, SmsService

__all__ = [
    "CarrierWebhooks",
    "OutboundSmsPolicy",
    "PacingDelay",
    "Providers",
    "QuietHours",
    "SmsMedia",
    "SmsSender",
    "SmsService",
    "requeue_delay",
    "retry_delay",
]
