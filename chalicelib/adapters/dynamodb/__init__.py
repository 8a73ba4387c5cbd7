"""DynamoDB adapters: PynamoDB models over one table, and one repository module per port.

``keys`` is the table's vocabulary (every key and index value), ``models`` the
PynamoDB items, ``mapping`` the conversions to domain objects, ``stream`` the
outbox's translation of stream records into events.
"""

from __future__ import annotations

from chalicelib.adapters.dynamodb.compliance import DynamoComplianceRepository
from chalicelib.adapters.dynamodb.connections import DynamoConnectionRepository
from chalicelib.adapters.dynamodb.contact_center import DynamoContactCenterRepository
from chalicelib.adapters.dynamodb.contacts import DynamoContactRepository
from chalicelib.adapters.dynamodb.conversations import DynamoConversationRepository
from chalicelib.adapters.dynamodb.directory import DynamoDirectoryRepository
from chalicelib.adapters.dynamodb.handled import DynamoHandledInteractions
from chalicelib.adapters.dynamodb.models import bind_models
from chalicelib.adapters.dynamodb.notifications import DynamoNotificationRepository
from chalicelib.adapters.dynamodb.presence import DynamoPresenceRepository
from chalicelib.adapters.dynamodb.reports import DynamoReportStore
from chalicelib.adapters.dynamodb.sms import DynamoSmsRepository

__all__ = [
    "DynamoComplianceRepository",
    "DynamoConnectionRepository",
    "DynamoContactCenterRepository",
    "DynamoContactRepository",
    "DynamoConversationRepository",
    "DynamoDirectoryRepository",
    "DynamoHandledInteractions",
    "DynamoNotificationRepository",
    "DynamoPresenceRepository",
    "DynamoReportStore",
    "DynamoSmsRepository",
    "bind_models",
]
