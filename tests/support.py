"""Test helpers: a real RSA key pair and Cognito-shaped IdTokens signed with it."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.jwt_verifier import CognitoJwtVerifier
from chalicelib.api import requests
from chalicelib.bootstrap import Services, bootstrap
from chalicelib.domain.model import Company, Event, Message, User, utcnow_iso
from chalicelib.services.common import Caller
from chalicelib.services.conversations import ConversationService
from chalicelib.settings import Settings
from tests import fakes

REGION = "us-east-1"
POOL_ID = "us-east-1_TestPool"
CLIENT_ID = "test-client-id"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"


class KeyPair:
    """An RS256 signing key and its JWKS, as a Cognito user pool publishes it."""

    def __init__(self, kid: str = "test-key") -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        public_jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
        self.jwks = {"keys": [public_jwk]}

    def token(self, sub: str, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": sub,
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "token_use": "id",
            "iat": now,
            "auth_time": now,
            "exp": now + 3600,
            "jti": str(uuid.uuid4()),
            "cognito:username": sub,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


KEYS = KeyPair()


def settings(**overrides: Any) -> Settings:
    base = Settings.from_env(
        {
            "AWS_REGION": REGION,
            "RESOURCE_PREFIX": "texting-test",
            "COGNITO_USER_POOL_ID": POOL_ID,
            "COGNITO_CLIENT_ID": CLIENT_ID,
            "EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:texting-test-events",
            "WEBSOCKET_MANAGEMENT_URL": "http://127.0.0.1:9/",
        }
    )
    return Settings(**{**base.__dict__, **overrides})


def verifier(keys: KeyPair = KEYS) -> CognitoJwtVerifier:
    return CognitoJwtVerifier(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        jwks_url="https://jwks.test",
        fetcher=lambda _url: keys.jwks,
    )


class World:
    """A set of services on in-memory adapters, plus handles on the fakes.

    Time is ``now`` (epoch seconds), moved by hand; the ISO clock follows it and
    ticks a millisecond per reading so orderings are deterministic.
    """

    def clock(self) -> str:
        self._ticks += 1
        return utcnow_iso(datetime.fromtimestamp(self.now + self._ticks / 1000, UTC))

    def __init__(
        self,
        sleep: Callable[[float], None] | None = None,
        push: Any = None,
        webpush_key: Any = None,
        **setting_overrides: Any,
    ) -> None:
        self.directory_repo = fakes.MemoryDirectoryRepository()
        self.contact_repo = fakes.MemoryContactRepository()
        self.conversation_repo = fakes.MemoryConversationRepository()
        self.now = 1_800_000_000.0  # a fake epoch the tests move by hand
        self.connection_repo = fakes.MemoryConnectionRepository(epoch=lambda: self.now)
        self.presence_repo = fakes.MemoryPresenceRepository(self.directory_repo)
        self.notification_repo = fakes.MemoryNotificationRepository()
        self.push = push if push is not None else fakes.MemoryPushGateway()
        self.media = fakes.MemoryMediaStore()
        self.sms_repo = fakes.MemorySmsRepository(self.conversation_repo)
        self.compliance_repo = fakes.MemoryComplianceRepository(self.sms_repo)
        self.registration_source = fakes.FakeRegistrationSource()
        self.providers = fakes.MemoryProviders()
        self.slept: list[float] = []
        self.publisher = fakes.MemoryPublisher()
        self.sender = fakes.MemorySender()
        self.dedup = fakes.MemoryDeduplicator()
        self.held = fakes.MemoryHeldPushes()
        self.shared_lines = fakes.MemorySharedLines(self.conversation_repo)
        self._ticks = 0
        self.services: Services = bootstrap(
            settings(**setting_overrides),
            directory=self.directory_repo,
            contacts=self.contact_repo,
            conversations=self.conversation_repo,
            connections=self.connection_repo,
            publisher=self.publisher,
            sender=self.sender,
            verifier=verifier(),
            presence=self.presence_repo,
            sms=self.sms_repo,
            compliance=self.compliance_repo,
            registration_source=self.registration_source,
            sms_account=fakes.FakeSmsAccount(),
            providers=lambda name: self.providers,
            sleep=sleep or self.slept.append,
            notifications=self.notification_repo,
            push=self.push,
            webpush_key=webpush_key,
            media=self.media,
            idempotency=self.dedup,
            shared_lines=self.shared_lines,
            held_pushes=self.held,
            clock=self.clock,
            epoch=lambda: self.now,
        )


class RequestMeter:
    """Counts DynamoDB requests per thread (every botocore call that reaches moto)."""

    def __init__(self) -> None:
        self.by_thread: dict[int, Counter[str]] = {}
        self._lock = threading.Lock()

    def __call__(self, original: Any) -> Any:
        meter = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name == "dynamodb":
                with meter._lock:
                    meter.by_thread.setdefault(threading.get_ident(), Counter())[operation] += 1
            return original(client, operation, params)

        return counted

    def take(self) -> dict[int, Counter[str]]:
        with self._lock:
            taken, self.by_thread = self.by_thread, {}
        return taken


def outbox(world: World, message: Message) -> None:
    """What the table's stream does for a stored message on AWS: its ``message.created``
    event reaches the fan-out (the fakes have no stream)."""
    conversation = world.conversation_repo.get(message.conversation_id)
    assert conversation is not None
    world.services.fanout.deliver(
        Event(
            f"message.created:{message.message_id}:created",
            "message.created",
            message.company_id,
            list(conversation.members),
            message.to_dict(),
            message.conversation_id,
        )
    )


def seed_people(directory: Any) -> dict[str, User]:
    """Two companies: acme (alice admin, bob, carol) and globex (dave admin, erin, frank)."""
    directory.put_company(Company("acme", "Acme Corp", "US"))
    directory.put_company(Company("globex", "Globex", "GB"))
    people = {
        "alice": User("u-alice", "acme", "Alice Adams", "alice@acme.test", "101", "admin"),
        "bob": User("u-bob", "acme", "Bob Brown", "bob@acme.test", "102"),
        "carol": User("u-carol", "acme", "Carol Cruz", "carol@acme.test", "103"),
        "dave": User("u-dave", "globex", "Dave Dunn", "dave@globex.test", "201", "admin"),
        "erin": User("u-erin", "globex", "Erin Eng", "erin@globex.test", "202"),
        "frank": User("u-frank", "globex", "Frank Fox", "frank@globex.test", "203"),
    }
    for user in people.values():
        directory.put_user(user)
    return people


# -- requests as a client sends them: parsed at the edge, then the service -------------


def send(
    svc: ConversationService,
    caller: Caller,
    conversation_id: str,
    client_id: object,
    text: object,
    media: object = None,
) -> tuple[Message, bool]:
    body: dict[str, object] = {"client_id": client_id, "text": text}
    if media is not None:
        body["media"] = media
    return svc.send(caller, requests.send_message(body, conversation_id))


def create_im(
    svc: ConversationService,
    caller: Caller,
    members: object,
    name: object = None,
    group: object = None,
) -> tuple[dict[str, Any], bool]:
    body = {"members": members, "name": name, "group": group}
    return svc.create_im(caller, requests.create_im(body))


def read(svc: ConversationService, caller: Caller, conversation_id: str, seq: object) -> Any:
    return svc.read(caller, requests.mark_read({"seq": seq}, conversation_id))


def sync(svc: ConversationService, caller: Caller, positions: object, limit: int) -> Any:
    return svc.sync(caller, requests.sync({"conversations": positions}, limit))
