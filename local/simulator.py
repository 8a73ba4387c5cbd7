"""The local carrier simulator: external phones, and a Twilio-compatible Messages API.

Mounted on the local gateway's port under ``/_sim`` (contract.md, "Local
carrier simulator"). It plays both sides of the carrier:

- external phones: ``POST /_sim/phones/{e164}/send`` texts a business number,
  which reaches the app as Twilio's inbound webhook (form-encoded, signed with
  ``X-Twilio-Signature``, exactly as Twilio signs); ``GET
  /_sim/phones/{e164}/inbox`` is what that phone received, oldest first.
- Twilio: ``POST /_sim/twilio/2010-04-01/Accounts/{sid}/Messages.json`` with
  the account's basic auth accepts a message (``201``, Twilio's JSON, ``SM`` +
  32 hex), honours ``I-Twilio-Idempotency-Token``, delivers to the phone's
  inbox, then posts signed status callbacks (``sent``, ``delivered``) to the
  message's ``StatusCallback``. ``GET .../Messages/{MessageSid}.json`` reads
  one back.

Failure modes, per destination phone, on demand: ``POST
/_sim/phones/{e164}/mode`` with ``{"mode": ..., "count": n, "delay_seconds":
s}`` (``count``: how many sends to that phone the mode applies to, default
until changed; ``delay_seconds``: for ``late`` and ``timeout``):

============================  ====================================================
``deliver``                   inbox, then ``sent``, ``delivered`` (the default)
``undelivered`` / ``failed``  no inbox; ``sent``, ``undelivered`` (ErrorCode 30003)
                              / ``failed`` (ErrorCode 30008)
``rate_limit``                the API answers 429 (Twilio error 20429), Retry-After
``server_error``              the API answers 500 (20500)
``timeout``                   the API holds the request (10 s at most), then 504;
                              nothing is accepted
``late``                      inbox at once, callbacks after the delay
``out_of_order``              ``delivered`` before ``sent``
``duplicate_callbacks``       every callback twice (same idempotency token)
============================  ====================================================

Twilio's default keyword handling is a switch (``local.twilio_keywords``): ``POST
/_sim/twilio/keywords`` with ``{"handling": "twilio_default"}`` makes the simulated
account answer STOP/START/HELP itself and refuse texts to a phone that said STOP
(error 21610, the webhook's TwiML reply included); ``"app"`` (the default) leaves
keywords to the app.

``GET /_sim/messages`` lists everything accepted (and the API calls refused, for
tests that check retries); ``POST /_sim/reset`` forgets everything (but the
credentials, which are the account's, not the traffic's).

Credentials rotate as Twilio's do, on demand: ``POST /_sim/twilio/credentials``
with ``{"action": ...}``:

=============================  ===================================================
``create_secondary_token``     a secondary auth token (answered); the API accepts
                               it and the primary, webhooks are still signed with
                               the primary
``promote_secondary_token``    the secondary becomes the auth token: webhooks are
                               signed with it, the old one is refused (401)
``create_api_key``             an API key (``sid`` ``SK...`` and ``secret``,
                               answered) the API accepts as basic auth
``revoke_api_key`` + ``sid``   that key is refused (401) from now on
=============================  ===================================================

Refused credentials answer 401 (Twilio error 20003) and are listed with the
refused calls (mode ``unauthorized``); each accepted message records which
credential authenticated it (``auth``: the account or the key SID).

Webhooks and callbacks go to loopback hosts only: the simulator never posts
anywhere else, whatever URL a message names. The auth token and signatures are
never logged.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import hmac
import logging
import mimetypes
import re
import secrets
import urllib.parse
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from chalicelib.adapters.twilio import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, twilio_signature
from chalicelib.domain import sms
from local.mailbox import register_mailbox
from local.push_service import PushService, register_push_service
from local.twilio_keywords import HANDLINGS, UNSUBSCRIBED, DefaultKeywords

log = logging.getLogger("local.simulator")

API_VERSION = "2010-04-01"
INBOUND_PATH = "/webhooks/twilio/sms"
MODES = frozenset(
    {
        "deliver",
        "undelivered",
        "failed",
        "rate_limit",
        "server_error",
        "timeout",
        "late",
        "out_of_order",
        "duplicate_callbacks",
    }
)
ACTIONS = (
    "create_secondary_token",
    "promote_secondary_token",
    "create_api_key",
    "revoke_api_key",
)
MAX_HANG_SECONDS = 10.0
MAX_LATE_SECONDS = 30.0
MAX_BODY = 1600  # Twilio's limit for a concatenated message
MAX_MEDIA = 10
WEBHOOK_TIMEOUT_SECONDS = 30.0
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
ERROR_UNREACHABLE, ERROR_UNKNOWN = "30003", "30008"

_E164 = re.compile(r"\+[1-9]\d{6,14}")


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _rfc2822(moment: datetime) -> str:
    return email.utils.format_datetime(moment)  # Twilio's date format


def _sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def _phone(raw: str) -> str:
    """A phone number from a path segment; a ``+`` that became a space is put back."""
    raw = raw.strip()
    return raw if raw.startswith("+") else "+" + raw


def twilio_error(status: int, code: int, message: str) -> web.Response:
    """An error in the shape the Twilio REST API answers."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)


def sim_error(status: int, code: str, message: str) -> web.Response:
    """An error of the simulator's own routes, in the contract's error shape."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@dataclass
class Mode:
    name: str = "deliver"
    remaining: int | None = None  # None: until changed
    delay: float | None = None


@dataclass
class SimMessage:
    """One message the simulator carried, in either direction."""

    sid: str
    direction: str  # outbound-api (business -> phone), inbound (phone -> business), outbound-reply
    from_: str
    to: str
    body: str
    media_urls: list[str]
    created_at: datetime
    account_sid: str
    status: str = "queued"
    mode: str = "deliver"
    status_callback: str = ""
    messaging_service_sid: str = ""
    idempotency_token: str = ""
    auth: str = ""  # the account SID or API key SID the request authenticated with
    error_code: str | None = None
    webhooks: list[dict[str, Any]] = field(default_factory=list)

    def twilio_json(self) -> dict[str, Any]:
        """The Messages API resource, as Twilio returns it."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": _rfc2822(self.created_at),
            "date_updated": _rfc2822(self.created_at),
            "date_sent": None,
            "direction": self.direction,
            "error_code": int(self.error_code) if self.error_code else None,
            "error_message": None,
            "from": self.from_ or None,
            "messaging_service_sid": self.messaging_service_sid or None,
            "num_media": str(len(self.media_urls)),
            "num_segments": str(sms.segments(self.body).segments),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": self.to,
            "uri": f"{uri}.json",
        }

    def to_dict(self) -> dict[str, Any]:
        """For ``GET /_sim/messages``: everything, including the webhooks it caused."""
        return {
            "sid": self.sid,
            "direction": self.direction,
            "from": self.from_,
            "to": self.to,
            "text": self.body,
            "media_urls": list(self.media_urls),
            "status": self.status,
            "mode": self.mode,
            "error_code": self.error_code,
            "status_callback": self.status_callback,
            "idempotency_token": self.idempotency_token,
            "auth": self.auth,
            "created_at": _iso(self.created_at),
            "webhooks": [dict(w) for w in self.webhooks],
        }


class CarrierSimulator:
    """State and handlers of the simulator; ``register_simulator`` mounts them.

    ``webhook_base_url`` is the app's public base URL (the gateway's
    ``rest_url``); it may be set after construction, once the port is known.
    """

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        webhook_base_url: str,
        inbound_path: str = INBOUND_PATH,
        callback_delay: float = 0.05,
        late_delay: float = 3.0,
        hang_seconds: float = MAX_HANG_SECONDS,
        retry_after_seconds: int = 1,
    ) -> None:
        self.account_sid = account_sid
        self._auth_token = auth_token  # primary: signs webhooks
        self._secondary_token = ""
        self._api_keys: dict[str, str] = {}  # SK sid -> secret
        self.webhook_base_url = webhook_base_url
        self.inbound_path = inbound_path
        self.callback_delay = callback_delay
        self.late_delay = min(late_delay, MAX_LATE_SECONDS)
        self.hang_seconds = min(hang_seconds, MAX_HANG_SECONDS)
        self.retry_after_seconds = retry_after_seconds
        self.messages: list[SimMessage] = []
        self.refused: list[dict[str, Any]] = []
        self.inboxes: dict[str, list[dict[str, Any]]] = {}
        self.modes: dict[str, Mode] = {}
        self.keywords = DefaultKeywords()  # Twilio's own STOP/START/HELP handling (a switch)
        self.push = PushService()  # the browsers' side: Web Push (local.push_service)
        self._by_sid: dict[str, SimMessage] = {}
        self._by_token: dict[tuple[str, str], str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle --------------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS),
                trust_env=False,  # loopback only: never through a proxy
            )
        return self._session

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self, _app: web.Application | None = None) -> None:
        """Stop pending deliveries and close the HTTP client (an ``on_cleanup`` hook)."""
        await self._cancel_tasks()
        if self._session is not None:
            await self._session.close()

    def reset(self) -> None:
        self.messages.clear()
        self.refused.clear()
        self.inboxes.clear()
        self.modes.clear()
        self.keywords.reset()
        self.push.reset()
        self._by_sid.clear()
        self._by_token.clear()

    # -- webhooks to the app ------------------------------------------------------------

    async def _post_signed(
        self, url: str, params: list[tuple[str, str]], token: str
    ) -> dict[str, Any]:
        """POST a form to the app as Twilio does; returns what happened, for the record."""
        record: dict[str, Any] = {"url": url, "params": dict(params), "sent_at": _iso(_now())}
        host = urllib.parse.urlsplit(url).hostname
        if host not in LOOPBACK:
            record["error"] = "refused: the simulator only posts to loopback hosts"
            log.warning("not posting a webhook to a non-loopback host %s", host)
            return record
        form: dict[str, list[str]] = {}
        for name, value in params:
            form.setdefault(name, []).append(value)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            SIGNATURE_HEADER: twilio_signature(url, form, self._auth_token),
            IDEMPOTENCY_HEADER: token,
            "User-Agent": "TwilioProxy/1.1",
            "Accept": "*/*",
        }
        data = urllib.parse.urlencode(params).encode()
        try:
            async with self._http().post(url, data=data, headers=headers) as response:
                record["response_status"] = response.status
                record["response_content_type"] = response.content_type
                record["response_body"] = await response.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError) as error:
            record["error"] = type(error).__name__
            log.warning(
                "webhook %s failed: %s", urllib.parse.urlsplit(url).path, type(error).__name__
            )
        return record

    def _status_params(self, message: SimMessage, status: str) -> list[tuple[str, str]]:
        params = [
            ("AccountSid", message.account_sid),
            ("ApiVersion", API_VERSION),
            ("From", message.from_),
            ("MessageSid", message.sid),
            ("MessageStatus", status),
            ("SmsSid", message.sid),
            ("SmsStatus", status),
            ("To", message.to),
        ]
        if message.messaging_service_sid:
            params.append(("MessagingServiceSid", message.messaging_service_sid))
        if status == "undelivered":
            params.append(("ErrorCode", ERROR_UNREACHABLE))
        elif status == "failed":
            params.append(("ErrorCode", ERROR_UNKNOWN))
        return params

    async def _callback(self, message: SimMessage, status: str, times: int = 1) -> None:
        if not message.status_callback:
            return
        params = self._status_params(message, status)
        token = uuid.uuid4().hex  # one per callback; a duplicate repeats it, as Twilio's retries do
        for _ in range(times):
            record = await self._post_signed(message.status_callback, params, token)
            record["status"] = status
            message.webhooks.append(record)

    async def _carry(self, message: SimMessage, mode: Mode) -> None:
        """What happens to an accepted message after the API answered."""
        await asyncio.sleep(self.callback_delay)
        if mode.name in ("undelivered", "failed"):
            message.status = mode.name
            message.error_code = ERROR_UNREACHABLE if mode.name == "undelivered" else ERROR_UNKNOWN
            if mode.name == "undelivered":
                await self._callback(message, "sent")
            await self._callback(message, mode.name)
            return
        self._deliver_to_phone(message)
        message.status = "delivered"
        if mode.name == "late":
            await asyncio.sleep(min(mode.delay or self.late_delay, MAX_LATE_SECONDS))
        order = ["delivered", "sent"] if mode.name == "out_of_order" else ["sent", "delivered"]
        times = 2 if mode.name == "duplicate_callbacks" else 1
        for status in order:
            await self._callback(message, status, times)

    def _deliver_to_phone(self, message: SimMessage) -> None:
        self.inboxes.setdefault(message.to, []).append(
            {
                "from": message.from_,
                "text": message.body,
                "media_urls": list(message.media_urls),
                "sid": message.sid,
                "received_at": _iso(_now()),
            }
        )

    def _consume_mode(self, phone: str) -> Mode:
        mode = self.modes.get(phone)
        if mode is None:
            return Mode()
        current = Mode(mode.name, None, mode.delay)
        if mode.remaining is not None:
            mode.remaining -= 1
            if mode.remaining <= 0:
                del self.modes[phone]
        return current

    # -- Twilio Messages API ------------------------------------------------------------

    def _authorised(self, request: web.Request) -> str:
        """Who the basic auth proves the caller is (the account or an API key's SID);
        "" for credentials Twilio would refuse."""
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return ""
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        if hmac.compare_digest(user.encode(), self.account_sid.encode()):
            tokens = [t for t in (self._auth_token, self._secondary_token) if t]
        else:
            tokens = [self._api_keys[user]] if user in self._api_keys else []
        matched = False
        for token in tokens:
            matched |= hmac.compare_digest(password.encode(), token.encode())
        return user if matched else ""

    def _check_account(self, request: web.Request) -> web.Response | str:
        """The refusal to answer, or who the caller authenticated as."""
        user = self._authorised(request)
        if not user:
            self.refused.append({"mode": "unauthorized", "at": _iso(_now())})
            return twilio_error(401, 20003, "Authenticate")
        if request.match_info["account_sid"] != self.account_sid:
            return twilio_error(404, 20404, "The requested resource was not found")
        return user

    async def create_message(self, request: web.Request) -> web.Response:
        user = self._check_account(request)
        if isinstance(user, web.Response):
            return user
        form = await request.post()
        to = str(form.get("To") or "")
        from_ = str(form.get("From") or "")
        service = str(form.get("MessagingServiceSid") or "")
        body = str(form.get("Body") or "")
        media = [str(url) for url in form.getall("MediaUrl", [])]
        invalid = self._invalid_message(to, from_, service, body, media)
        if invalid is not None:
            return invalid
        token = request.headers.get(IDEMPOTENCY_HEADER, "")
        if token and (self.account_sid, token) in self._by_token:
            # The same request again: the same message, and no second delivery.
            return web.json_response(
                self._by_sid[self._by_token[self.account_sid, token]].twilio_json(), status=201
            )
        if self.keywords.blocked(from_ or service, to):
            self.refused.append(
                {"to": to, "from": from_ or service, "mode": "opted_out", "at": _iso(_now())}
            )
            return twilio_error(400, UNSUBSCRIBED, "Attempt to send to unsubscribed recipient")
        mode = self._consume_mode(to)
        if mode.name in ("rate_limit", "server_error", "timeout"):
            return await self._refuse(mode, to, from_ or service)
        message = SimMessage(
            sid=_sid("SM"),
            direction="outbound-api",
            from_=from_,
            to=to,
            body=body,
            media_urls=media,
            created_at=_now(),
            account_sid=self.account_sid,
            mode=mode.name,
            status_callback=str(form.get("StatusCallback") or ""),
            messaging_service_sid=service,
            idempotency_token=token,
            auth=user,
        )
        self.messages.append(message)
        self._by_sid[message.sid] = message
        if token:
            self._by_token[self.account_sid, token] = message.sid
        log.info("accepted %s to %s (%s)", message.sid, to, mode.name)
        self._spawn(self._carry(message, mode))
        return web.json_response(message.twilio_json(), status=201)

    def _invalid_message(
        self, to: str, from_: str, service: str, body: str, media: list[str]
    ) -> web.Response | None:
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not _E164.fullmatch(to):
            return twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not from_ and not service:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if from_ and not _E164.fullmatch(from_):
            return twilio_error(400, 21212, f"Invalid From Number: {from_}")
        if not body and not media:
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            return twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if len(media) > MAX_MEDIA:
            return twilio_error(400, 21623, "Number of media files exceeds allowed limit.")
        return None

    async def _refuse(self, mode: Mode, to: str, from_: str) -> web.Response:
        self.refused.append({"to": to, "from": from_, "mode": mode.name, "at": _iso(_now())})
        log.info("refused a send to %s (%s)", to, mode.name)
        if mode.name == "rate_limit":
            response = twilio_error(429, 20429, "Too Many Requests")
            response.headers["Retry-After"] = str(self.retry_after_seconds)
            return response
        if mode.name == "timeout":
            await asyncio.sleep(min(mode.delay or self.hang_seconds, MAX_HANG_SECONDS))
            return twilio_error(504, 20504, "Gateway Timeout")
        return twilio_error(500, 20500, "Internal Server Error")

    async def get_message(self, request: web.Request) -> web.Response:
        refused = self._check_account(request)
        if isinstance(refused, web.Response):
            return refused
        message = self._by_sid.get(request.match_info["message_sid"])
        if message is None:
            return twilio_error(404, 20404, "The requested resource was not found")
        return web.json_response(message.twilio_json())

    # -- credentials ------------------------------------------------------------------------

    async def credentials(self, request: web.Request) -> web.Response:
        """Rotate the account's credentials as an operator does in Twilio's console."""
        try:
            payload = await request.json()
        except (ValueError, UnicodeDecodeError):
            return sim_error(400, "invalid_json", "the body must be a JSON object")
        action = payload.get("action") if isinstance(payload, dict) else None
        if action == "create_secondary_token":
            self._secondary_token = secrets.token_hex(16)
            return web.json_response({"secondary_auth_token": self._secondary_token})
        if action == "promote_secondary_token":
            if not self._secondary_token:
                return sim_error(409, "no_secondary_token", "create a secondary token first")
            self._auth_token, self._secondary_token = self._secondary_token, ""
            log.info("the secondary auth token is now the auth token")
            return web.json_response({"auth_token": self._auth_token})
        if action == "create_api_key":
            sid, secret = _sid("SK"), secrets.token_hex(16)
            self._api_keys[sid] = secret
            return web.json_response({"sid": sid, "secret": secret}, status=201)
        if action == "revoke_api_key":
            if self._api_keys.pop(str(payload.get("sid") or ""), None) is None:
                return sim_error(404, "not_found", "no such API key")
            return web.json_response({"revoked": payload["sid"]})
        return sim_error(400, "invalid_action", f"action is one of {', '.join(ACTIONS)}")

    async def keyword_handling(self, request: web.Request) -> web.Response:
        """Switch Twilio's default STOP/START/HELP handling on (``twilio_default``) or off."""
        try:
            payload = await request.json()
        except (ValueError, UnicodeDecodeError):
            return sim_error(400, "invalid_json", "the body must be a JSON object")
        handling = payload.get("handling") if isinstance(payload, dict) else None
        if handling not in HANDLINGS:
            return sim_error(400, "invalid_handling", f"handling is one of {', '.join(HANDLINGS)}")
        self.keywords.handling = str(handling)
        if not self.keywords.on:
            self.keywords.reset()
        return web.json_response({"handling": self.keywords.handling})

    # -- external phones ------------------------------------------------------------------

    async def phone_send(self, request: web.Request) -> web.Response:
        phone = _phone(request.match_info["e164"])
        try:
            payload = await request.json()
        except (ValueError, UnicodeDecodeError):
            return sim_error(400, "invalid_json", "the body must be a JSON object")
        if not isinstance(payload, dict):
            return sim_error(400, "invalid_json", "the body must be a JSON object")
        to = payload.get("to")
        text = payload.get("text", "")
        media = payload.get("media_urls") or []
        if not _E164.fullmatch(phone):
            return sim_error(400, "invalid_phone", f"'{phone}' is not an E.164 number")
        if not isinstance(to, str) or not _E164.fullmatch(to):
            return sim_error(400, "invalid_phone", "'to' must be a business number in E.164")
        if not isinstance(text, str) or not (
            isinstance(media, list) and all(isinstance(u, str) for u in media)
        ):
            return sim_error(
                400, "invalid_request", "'text' is a string, 'media_urls' a list of URLs"
            )
        if not text and not media:
            return sim_error(400, "invalid_request", "a message needs text or media")
        if len(media) > MAX_MEDIA:
            return sim_error(400, "invalid_request", f"at most {MAX_MEDIA} media per message")
        message = SimMessage(
            sid=_sid("MM" if media else "SM"),
            direction="inbound",
            from_=phone,
            to=to,
            body=text,
            media_urls=list(media),
            created_at=_now(),
            account_sid=self.account_sid,
            status="received",
        )
        self.messages.append(message)
        self._by_sid[message.sid] = message
        answer = self.keywords.inbound(to, phone, text)
        if answer is not None:  # Twilio's own reply, before the app hears of the text
            self._reply(message, answer, [])
        url = self.webhook_base_url.rstrip("/") + self.inbound_path
        record = await self._post_signed(url, self._inbound_params(message), uuid.uuid4().hex)
        message.webhooks.append(record)
        log.info("%s texted %s: %s -> %s", phone, to, message.sid, record.get("response_status"))
        self._reply_from_twiml(message, record)
        return web.json_response(
            {
                "sid": message.sid,
                "webhook_status": record.get("response_status"),
                "webhook_error": record.get("error"),
            },
            status=201,
        )

    def _inbound_params(self, message: SimMessage) -> list[tuple[str, str]]:
        """The inbound webhook's form, as Twilio sends it (blank location fields included)."""
        from_country = sms.classify_destination(message.from_).country or ""
        to_country = sms.classify_destination(message.to).country or ""
        params = [
            ("ToCountry", to_country),
            ("ToState", ""),
            ("SmsMessageSid", message.sid),
            ("NumMedia", str(len(message.media_urls))),
            ("ToCity", ""),
            ("FromZip", ""),
            ("SmsSid", message.sid),
            ("FromState", ""),
            ("SmsStatus", "received"),
            ("FromCity", ""),
            ("Body", message.body),
            ("FromCountry", from_country),
            ("To", message.to),
            ("ToZip", ""),
            ("NumSegments", str(sms.segments(message.body).segments)),
            ("MessageSid", message.sid),
            ("AccountSid", message.account_sid),
            ("From", message.from_),
            ("ApiVersion", API_VERSION),
        ]
        for n, url in enumerate(message.media_urls):
            content_type = mimetypes.guess_type(urllib.parse.urlsplit(url).path)[0]
            params += [
                (f"MediaContentType{n}", content_type or "application/octet-stream"),
                (f"MediaUrl{n}", url),
            ]
        return params

    def _reply_from_twiml(self, inbound: SimMessage, record: dict[str, Any]) -> None:
        """A TwiML ``<Message>`` in the webhook's answer is texted back, as Twilio does."""
        body = str(record.get("response_body") or "").strip()
        if not body.startswith("<") or not 200 <= int(record.get("response_status") or 0) < 300:
            return
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            return
        for element in root.iter("Message"):
            body_element = element.find("Body")
            text = (body_element.text if body_element is not None else element.text) or ""
            media = [(m.text or "").strip() for m in element.iter("Media") if m.text]
            if self.keywords.blocked(inbound.to, inbound.from_):
                self.refused.append(
                    {
                        "to": inbound.from_,
                        "from": inbound.to,
                        "mode": "opted_out",
                        "text": text.strip(),
                        "at": _iso(_now()),
                    }
                )
                continue
            self._reply(inbound, text.strip(), media)

    def _reply(self, inbound: SimMessage, text: str, media: list[str]) -> None:
        """A text back to the phone that sent ``inbound``, delivered at once."""
        reply = SimMessage(
            sid=_sid("SM"),
            direction="outbound-reply",
            from_=inbound.to,
            to=inbound.from_,
            body=text,
            media_urls=media,
            created_at=_now(),
            account_sid=self.account_sid,
            status="delivered",
        )
        self.messages.append(reply)
        self._by_sid[reply.sid] = reply
        self._deliver_to_phone(reply)

    async def phone_inbox(self, request: web.Request) -> web.Response:
        phone = _phone(request.match_info["e164"])
        return web.json_response(list(self.inboxes.get(phone, [])))

    async def phone_mode(self, request: web.Request) -> web.Response:
        phone = _phone(request.match_info["e164"])
        try:
            payload = await request.json()
        except (ValueError, UnicodeDecodeError):
            return sim_error(400, "invalid_json", "the body must be a JSON object")
        if not isinstance(payload, dict) or payload.get("mode") not in MODES:
            return sim_error(400, "invalid_mode", f"mode is one of {', '.join(sorted(MODES))}")
        count = payload.get("count")
        delay = payload.get("delay_seconds")
        if count is not None and (
            not isinstance(count, int) or isinstance(count, bool) or count < 1
        ):
            return sim_error(400, "invalid_request", "count is a positive integer")
        if delay is not None and (not isinstance(delay, int | float) or delay < 0):
            return sim_error(400, "invalid_request", "delay_seconds is a non-negative number")
        if payload["mode"] == "deliver" and count is None:
            self.modes.pop(phone, None)
        else:
            self.modes[phone] = Mode(
                payload["mode"], count, float(delay) if delay is not None else None
            )
        return web.json_response({"phone": phone, "mode": payload["mode"], "count": count})

    # -- debugging ------------------------------------------------------------------------

    async def list_messages(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"items": [m.to_dict() for m in self.messages], "refused": list(self.refused)}
        )

    async def reset_all(self, request: web.Request) -> web.Response:
        await self._cancel_tasks()
        self.reset()
        return web.json_response({"reset": True})


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def register_simulator(
    app: web.Application,
    *,
    account_sid: str,
    auth_token: str,
    webhook_base_url: str,
    prefix: str = "/_sim",
    **options: Any,
) -> CarrierSimulator:
    """Add the simulator's routes under ``prefix`` to ``app``; returns its state.

    ``options`` go to ``CarrierSimulator`` (``callback_delay``, ``late_delay``,
    ``hang_seconds``, ``retry_after_seconds``, ``inbound_path``). The routes are
    more specific than any catch-all (``/_sim{tail:.*}``, ``/{tail:.*}``) and
    aiohttp resolves the longest path prefix first, so they may be added after
    those.
    """
    sim = CarrierSimulator(
        account_sid=account_sid,
        auth_token=auth_token,
        webhook_base_url=webhook_base_url,
        **options,
    )
    api = f"{prefix}/twilio/{API_VERSION}/Accounts/{{account_sid}}"
    routes: list[tuple[str, str, Handler]] = [
        ("POST", f"{prefix}/phones/{{e164}}/send", sim.phone_send),
        ("GET", f"{prefix}/phones/{{e164}}/inbox", sim.phone_inbox),
        ("POST", f"{prefix}/phones/{{e164}}/mode", sim.phone_mode),
        ("POST", f"{api}/Messages.json", sim.create_message),
        ("GET", f"{api}/Messages/{{message_sid}}.json", sim.get_message),
        ("POST", f"{prefix}/twilio/credentials", sim.credentials),
        ("POST", f"{prefix}/twilio/keywords", sim.keyword_handling),
        ("GET", f"{prefix}/messages", sim.list_messages),
        ("POST", f"{prefix}/reset", sim.reset_all),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    # GET {prefix}/mail/{address}: the email Cognito sent (local.mailbox)
    register_mailbox(app, prefix=prefix, rest_url=lambda: sim.webhook_base_url)
    # {prefix}/push/{name}: the Web Push service (local.push_service)
    register_push_service(app, sim.push, prefix=prefix)
    app.on_cleanup.append(sim.close)
    return sim
