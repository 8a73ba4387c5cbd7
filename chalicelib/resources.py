"""The AWS resources the application needs, as plain data.

This module is the one source of truth for tables, indexes, topics, queues and
subscriptions: the infrastructure stack (``infra/``) deploys exactly these, the
local stack (``local/``) creates exactly these in moto, and the tests build
their moto fixtures from them. It imports nothing from AWS so it can be read
anywhere, including at Chalice import time.

Physical names are ``{prefix}-{logical name}``; the prefix is per stage
(``texting-dev``, ``texting-prod``, ``texting-local``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: str
    range_key: str


@dataclass(frozen=True)
class Table:
    logical: str
    hash_key: str
    range_key: str | None = None
    indexes: tuple[Index, ...] = ()
    stream: str | None = None  # StreamViewType, None for no stream
    ttl_attribute: str | None = None

    @property
    def attributes(self) -> list[str]:
        """Every attribute that appears in a key (table or index), in order."""
        names = [self.hash_key] + ([self.range_key] if self.range_key else [])
        for index in self.indexes:
            for key in (index.hash_key, index.range_key):
                if key not in names:
                    names.append(key)
        return names


@dataclass(frozen=True)
class Queue:
    logical: str
    visibility_timeout: int = 60
    max_receive_count: int = 5
    dead_letter: bool = True

    @property
    def dlq_logical(self) -> str:
        return f"{self.logical}-dlq"


@dataclass(frozen=True)
class Topic:
    logical: str


@dataclass(frozen=True)
class Bucket:
    """A private, encrypted bucket. Objects under ``expire_prefixes`` expire after
    ``expire_days`` (uploads never attached to a message, for example)."""

    logical: str
    expire_prefixes: tuple[str, ...] = ()
    expire_days: int = 1


@dataclass(frozen=True)
class Subscription:
    topic: str
    queue: str
    # SNS filter policy on message attributes; events carry ``event_type``.
    filter_policy: dict[str, list[str]] = field(default_factory=dict)
    raw_message_delivery: bool = True


@dataclass(frozen=True)
class Consumer:
    """A Lambda function fed by an event source, as Chalice registers it."""

    function: str  # the Chalice handler name in app.py
    source_kind: str  # "sqs" or "dynamodb-stream"
    source: str  # logical queue or table
    batch_size: int = 10


MESSAGING_TABLE = Table(
    logical="messaging",
    hash_key="pk",
    range_key="sk",
    indexes=(
        Index(name="gsi1", hash_key="gsi1pk", range_key="gsi1sk"),
        # a shared line's views ("mine", "unassigned"), sorted by the list's activity key
        Index(name="gsi2", hash_key="gsi2pk", range_key="gsi1sk"),
    ),
    stream="NEW_AND_OLD_IMAGES",
    ttl_attribute="expires_at",
)

IDEMPOTENCY_TABLE = Table(
    logical="idempotency",
    hash_key="id",
    ttl_attribute="expiration",
)

EVENTS_TOPIC = Topic(logical="events")
# AWS End User Messaging publishes two-way (inbound) texts and delivery events here.
SMS_EVENTS_TOPIC = Topic(logical="sms-events")

# Visibility timeout: six times the consumers' 60-second Lambda timeout, as AWS advises.
REALTIME_QUEUE = Queue(logical="realtime", visibility_timeout=360, max_receive_count=5)
# Texts waiting for their provider. A failed send reappears after the visibility
# timeout (the retry back-off); after max_receive_count it waits in the DLQ.
SMS_OUTBOUND_QUEUE = Queue(logical="sms-outbound", visibility_timeout=360, max_receive_count=8)
SMS_EVENTS_QUEUE = Queue(logical="sms-events", visibility_timeout=360, max_receive_count=5)
# Contact center: routing work and its timers (offer timeout, wrap-up end, idle and
# waiting checks are delayed messages). The services send to it directly.
CC_ROUTING_QUEUE = Queue(logical="cc-routing", visibility_timeout=360, max_receive_count=5)

# Search index writes the engine refused (one message per refused batch: the message
# ids), kept until an operator's redrive (docs/deploy.md); retention is SQS's longest.
SEARCH_FAILURES_QUEUE = Queue(logical="search-failures", visibility_timeout=60, dead_letter=False)

# Event types that reach connected devices (connection.opened is internal: it
# triggers the missed-messages summary for the device that just connected). The
# realtime queue's consumer is the one fan-out: for message.created it also pushes
# to devices not in front and counts the message missed for users with none live.
REALTIME_EVENT_TYPES = [
    "message.created",
    "message.updated",
    "conversation.read",
    "conversation.updated",
    "presence.changed",
    "connection.opened",
    "interaction.offered",
    "interaction.updated",
    "queue.updated",
    "interaction.timeline",  # a private note or a supervisor's action, to agent and monitors
    "interaction.message",  # a monitored conversation's text, to its monitors
    "registration.needs_updates",  # to the company's admins (lawful texting)
]

MEDIA_BUCKET = Bucket(logical="media", expire_prefixes=("uploads/",), expire_days=1)

TABLES: tuple[Table, ...] = (MESSAGING_TABLE, IDEMPOTENCY_TABLE)
BUCKETS: tuple[Bucket, ...] = (MEDIA_BUCKET,)
TOPICS: tuple[Topic, ...] = (EVENTS_TOPIC, SMS_EVENTS_TOPIC)
QUEUES: tuple[Queue, ...] = (
    REALTIME_QUEUE,
    SMS_OUTBOUND_QUEUE,
    SMS_EVENTS_QUEUE,
    CC_ROUTING_QUEUE,
    SEARCH_FAILURES_QUEUE,
)
SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(
        topic=EVENTS_TOPIC.logical,
        queue=REALTIME_QUEUE.logical,
        filter_policy={"event_type": REALTIME_EVENT_TYPES},
    ),
    Subscription(
        topic=EVENTS_TOPIC.logical,
        queue=SMS_OUTBOUND_QUEUE.logical,
        filter_policy={"event_type": ["message.created"], "sms_outbound": ["true"]},
    ),
    Subscription(topic=SMS_EVENTS_TOPIC.logical, queue=SMS_EVENTS_QUEUE.logical),
)
CONSUMERS: tuple[Consumer, ...] = (
    Consumer(
        function="outbox_stream", source_kind="dynamodb-stream", source="messaging", batch_size=100
    ),
    Consumer(function="realtime_consumer", source_kind="sqs", source="realtime", batch_size=10),
    # one text per invocation: pacing may hold a send for seconds, never a whole batch
    Consumer(function="sms_sender", source_kind="sqs", source="sms-outbound", batch_size=1),
    Consumer(function="eum_events", source_kind="sqs", source="sms-events", batch_size=10),
    Consumer(function="cc_routing", source_kind="sqs", source="cc-routing", batch_size=10),
    # the search index: the table's second stream reader (DynamoDB allows two per shard)
    Consumer(
        function="search_indexer", source_kind="dynamodb-stream", source="messaging", batch_size=100
    ),
)


@dataclass(frozen=True)
class Schedule:
    """A function Chalice runs on a timer (``@app.schedule``)."""

    function: str
    every_seconds: int


SCHEDULES: tuple[Schedule, ...] = (
    # finds WebSocket connections that vanished without a $disconnect
    Schedule(function="presence_sweeper", every_seconds=60),
    # marks texts with no final status after 72 hours as unknown
    Schedule(function="sms_reconciler", every_seconds=3600),
    # lawful texting: registrations under review, every 15 minutes (docs/sms.md)
    Schedule(function="registration_poller", every_seconds=900),
    # the search index's health, documents and kept failures as metrics (the alarm's input)
    Schedule(function="search_health", every_seconds=300),
)


def consumer(function: str) -> Consumer:
    return next(c for c in CONSUMERS if c.function == function)


def schedule(function: str) -> Schedule:
    return next(s for s in SCHEDULES if s.function == function)


def rate_expression(every_seconds: int) -> str:
    """An EventBridge rate for ``Schedule.every_seconds`` (whole minutes only)."""
    if every_seconds < 60 or every_seconds % 60:
        raise ValueError(f"schedules run every whole minute, not every {every_seconds}s")
    minutes = every_seconds // 60
    return f"rate({minutes} minute{'s' if minutes > 1 else ''})"


DEFAULT_PREFIX = "texting-local"


def physical(prefix: str, logical: str) -> str:
    return f"{prefix}-{logical}"


def placeholder_queue(logical: str) -> str:
    """The queue name given to Chalice's decorator at import time.

    Chalice needs a literal at import; the infra stack rewrites the event
    source mapping to the stage's real queue, and the local stack maps the
    handler to its queue through ``CONSUMERS``.
    """
    return physical(DEFAULT_PREFIX, logical)


def placeholder_stream_arn(logical: str) -> str:
    return (
        f"arn:aws:dynamodb:us-east-1:000000000000:table/"
        f"{physical(DEFAULT_PREFIX, logical)}/stream/placeholder"
    )
