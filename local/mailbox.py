"""The local stack's simulated mailbox: the email Cognito would send, kept instead of sent.

Contract ("Accounts and sign-in"): ``GET {simulator_url}/mail/{address}`` →
``{"items": [{"to", "subject", "text"}]}``, oldest first; an address with no mail
has an empty list; the temporary password or the code appears in ``text``.

Two halves, in two processes:

- ``Mailbox`` holds *letters*: what Cognito knows when it sends an account email
  (the trigger, the recipient, the code, the user's attributes, the client
  metadata). It lives in the moto server's process, filled by
  ``local.cognito_tap``, which sees the Cognito calls that send mail; moto serves
  it raw at ``GET /_local/mail/{address}``.
- ``register_mailbox`` adds the contract's route to the simulator: it reads the
  letters from moto and composes each one exactly as on AWS, with the stage's
  CustomMessage trigger (``chalicelib.api.cognito_messages.custom_message``),
  then fills Cognito's placeholders (``{####}``, ``{username}``) as Cognito does
  and turns the HTML into readable text.

Letters carry secrets (temporary passwords, reset codes): they are never logged.
"""

from __future__ import annotations

import html
import os
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

CODE_PLACEHOLDER = "{####}"
USERNAME_PLACEHOLDER = "{username}"
INVITATION = "CustomMessage_AdminCreateUser"
PASSWORD_RESET = "CustomMessage_ForgotPassword"
MOTO_PATH = "/_local/mail/"
MAX_LETTERS = 1000  # per address: a local tool, not an archive


@dataclass(frozen=True)
class Letter:
    """One account email as Cognito would hand it to its CustomMessage trigger."""

    to: str
    trigger: str
    code: str
    username: str
    user_attributes: dict[str, str] = field(default_factory=dict)
    client_metadata: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Letter:
        return cls(
            to=str(raw["to"]),
            trigger=str(raw["trigger"]),
            code=str(raw["code"]),
            username=str(raw["username"]),
            user_attributes={str(k): str(v) for k, v in (raw.get("user_attributes") or {}).items()},
            client_metadata={str(k): str(v) for k, v in (raw.get("client_metadata") or {}).items()},
        )


def address_key(address: str) -> str:
    """Email addresses compare without regard to case (what a person expects)."""
    return address.strip().lower()


class Mailbox:
    """Letters by recipient, oldest first; safe to use from the server's threads."""

    def __init__(self) -> None:
        self._letters: dict[str, list[Letter]] = {}
        self._lock = threading.Lock()

    def deliver(self, letter: Letter) -> None:
        with self._lock:
            box = self._letters.setdefault(address_key(letter.to), [])
            box.append(letter)
            del box[:-MAX_LETTERS]

    def letters(self, address: str) -> list[Letter]:
        with self._lock:
            return list(self._letters.get(address_key(address), []))


# -- composing, as Cognito does with the CustomMessage trigger's answer -------------------

_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/h\d)\s*/?\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_LINK = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)


def html_to_text(markup: str) -> str:
    """Readable text of the trigger's HTML: paragraphs on lines of their own, tags
    dropped, a link's address kept (once, when its text already is the address)."""

    def link(match: re.Match[str]) -> str:
        href, label = html.unescape(match.group(1)), _TAG.sub("", match.group(2))
        return label if html.unescape(label).strip() == href else f"{label} ({href})"

    text = _LINK.sub(link, markup)
    text = _BREAKS.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def compose(letter: Letter, web_url: str) -> dict[str, str]:
    """``{"to", "subject", "text"}`` of one letter, as the person would read it."""
    from chalicelib.api.cognito_messages import custom_message

    event = {
        "triggerSource": letter.trigger,
        "userName": letter.username,
        "request": {
            "codeParameter": CODE_PLACEHOLDER,
            "usernameParameter": USERNAME_PLACEHOLDER,
            "userAttributes": dict(letter.user_attributes),
            "clientMetadata": dict(letter.client_metadata),
        },
        "response": {},
    }
    response = custom_message(event, web_url=web_url)["response"]
    subject = str(response.get("emailSubject") or "Your verification code")
    # Cognito's default message when the trigger keeps it (other trigger sources).
    body = str(response.get("emailMessage") or f"Your code is {CODE_PLACEHOLDER}.")

    def fill(text: str) -> str:
        # Placeholders filled in the text, not the HTML: a password's "<" or "&" stays itself.
        return text.replace(CODE_PLACEHOLDER, letter.code).replace(
            USERNAME_PLACEHOLDER, letter.username
        )

    return {"to": letter.to, "subject": fill(subject), "text": fill(html_to_text(body))}


# -- the simulator's route ------------------------------------------------------------------


def moto_url_from_env() -> str:
    """The moto server this process talks to (``local.environment.use_local_aws``)."""
    return os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")


def web_url_for(rest_url: str) -> str:
    """The web client's address named in invitations: the stage's ``WEB_CLIENT_URL``
    when set, else the local stack's ``/app/`` beside the API."""
    from local.web import PREFIX

    return os.environ.get("WEB_CLIENT_URL") or rest_url.rstrip("/") + PREFIX


def register_mailbox(
    app: Any,
    *,
    prefix: str,
    rest_url: Callable[[], str],
    moto_url: Callable[[], str] = moto_url_from_env,
) -> None:
    """Add ``GET {prefix}/mail/{address}`` to the simulator's aiohttp ``app``.

    ``rest_url`` and ``moto_url`` are asked on each request (the stack learns
    them after the routes exist)."""
    import urllib.parse

    import aiohttp
    from aiohttp import web

    async def mail(request: web.Request) -> web.Response:
        address = request.match_info["address"].strip()
        if "@" not in address or len(address) > 254:
            return web.json_response(
                {"error": {"code": "invalid_address", "message": "an email address is expected"}},
                status=400,
            )
        url = moto_url() + MOTO_PATH + urllib.parse.quote(address_key(address), safe="@")
        try:
            async with (
                aiohttp.ClientSession(trust_env=False) as session,
                session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as answer,
            ):
                answer.raise_for_status()
                raw = await answer.json()
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return web.json_response(
                {"error": {"code": "mail_unavailable", "message": "the mailbox cannot be read"}},
                status=503,
            )
        web_url = web_url_for(rest_url())
        items = [compose(Letter.from_dict(item), web_url) for item in raw.get("items", [])]
        return web.json_response({"items": items})

    app.router.add_route("GET", f"{prefix}/mail/{{address}}", mail)
