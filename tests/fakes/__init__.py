"""Fakes: in-memory twins of every port, for tests only (never in the Lambda package).

Each passes the same contract suite as the real adapter (tests/adapters), so a
service tested against them behaves the same on AWS.
"""

from tests.fakes.compliance import (
    FakeRegistrationSource,
    FakeSmsAccount,
    MemoryComplianceRepository,
)
from tests.fakes.connections import MemoryConnectionRepository, MemoryPresenceRepository
from tests.fakes.conversations import MemoryConversationRepository, MemorySharedLines
from tests.fakes.credentials import MemorySecretSource
from tests.fakes.directory import MemoryContactRepository, MemoryDirectoryRepository
from tests.fakes.events import MemoryPublisher, MemorySender
from tests.fakes.handled import MemoryHandledInteractions
from tests.fakes.idempotency import MemoryDeduplicator
from tests.fakes.identity import MemoryIdentityProvider
from tests.fakes.media import MemoryFetcher, MemoryMediaStore
from tests.fakes.notifications import (
    MemoryHeldPushes,
    MemoryNotificationRepository,
    MemoryPushGateway,
)
from tests.fakes.sms import MemoryProviders, MemorySmsRepository

__all__ = [
    "FakeRegistrationSource",
    "FakeSmsAccount",
    "MemoryComplianceRepository",
    "MemoryConnectionRepository",
    "MemoryContactRepository",
    "MemoryConversationRepository",
    "MemoryDeduplicator",
    "MemoryDirectoryRepository",
    "MemoryFetcher",
    "MemoryHandledInteractions",
    "MemoryHeldPushes",
    "MemoryIdentityProvider",
    "MemoryMediaStore",
    "MemoryNotificationRepository",
    "MemoryPresenceRepository",
    "MemoryProviders",
    "MemoryPublisher",
    "MemoryPushGateway",
    "MemorySecretSource",
    "MemorySender",
    "MemorySharedLines",
    "MemorySmsRepository",
]
