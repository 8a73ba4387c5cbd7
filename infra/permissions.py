"""What each Lambda function may touch: the input to its least-privilege IAM policy.

Functions are named as Chalice names them (``api_handler``, the authorizer's
name, ``websocket_connect`` …, a consumer's ``name=``). The stack refuses to
synthesize a function that has no entry here, so a new handler cannot ship
with a guessed (or wildcard) policy: whoever adds one states what it uses.

A consumer's own event source (its queue, or its table's stream and failure
queue) is granted from ``chalicelib.resources.CONSUMERS`` and needs no entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

TableAccess = Literal["read", "read-write"]
BucketAccess = Literal["read", "write", "read-write"]
PushAccess = Literal["register", "send"]

# PynamoDB and Powertools use exactly these; transactions are authorised per
# item action (plus ConditionCheckItem), so no Transact* action exists in IAM.
TABLE_READ_ACTIONS: tuple[str, ...] = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)
TABLE_WRITE_ACTIONS: tuple[str, ...] = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
# Lambda's event source mapping polls the stream with these.
STREAM_READ_ACTIONS: tuple[str, ...] = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
)
STREAM_LIST_ACTIONS: tuple[str, ...] = ("dynamodb:ListStreams",)
QUEUE_CONSUME_ACTIONS: tuple[str, ...] = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    # a consumer backs off a retryable failure by delaying its own message
    "sqs:ChangeMessageVisibility",
)
QUEUE_SEND_ACTIONS: tuple[str, ...] = ("sqs:SendMessage",)
TOPIC_PUBLISH_ACTIONS: tuple[str, ...] = ("sns:Publish",)  # also covers PublishBatch
BUCKET_ACTIONS: dict[str, tuple[str, ...]] = {
    "read": ("s3:GetObject",),
    "write": ("s3:PutObject",),
    "read-write": ("s3:GetObject", "s3:PutObject"),
}
SECRET_READ_ACTIONS: tuple[str, ...] = ("secretsmanager:GetSecretValue",)
# SSM String parameters: configuration that is not secret (the VAPID public key).
PARAMETER_READ_ACTIONS: tuple[str, ...] = ("ssm:GetParameter",)
# SNS mobile push: endpoints are created under the operator's platform applications.
PUSH_REGISTER_ACTIONS: tuple[str, ...] = ("sns:CreatePlatformEndpoint",)
# on endpoints: delete one at logout, re-enable one when its token is registered again
PUSH_UNREGISTER_ACTIONS: tuple[str, ...] = ("sns:DeleteEndpoint", "sns:SetEndpointAttributes")
PUSH_SEND_ACTIONS: tuple[str, ...] = ("sns:Publish",)
MANAGE_CONNECTIONS_ACTIONS: tuple[str, ...] = ("execute-api:ManageConnections",)
SEND_SMS_ACTIONS: tuple[str, ...] = ("sms-voice:SendTextMessage", "sms-voice:SendMediaMessage")
READ_REGISTRATIONS_ACTIONS: tuple[str, ...] = (
    "sms-voice:DescribeRegistrations",
    "sms-voice:DescribeRegistrationVersions",
)
# The End User Messaging sandbox on the admin page: the account's tier and spend limits
# are account-wide and IAM names no resource for them (these two actions accept only
# "*", the one exception the least-privilege test allows besides X-Ray); the verified
# destination numbers are resources of their own.
SMS_ACCOUNT_ACTIONS: tuple[str, ...] = (
    "sms-voice:DescribeAccountAttributes",
    "sms-voice:DescribeSpendLimits",
)
VERIFIED_DESTINATIONS_ACTIONS: tuple[str, ...] = ("sms-voice:DescribeVerifiedDestinationNumbers",)
# Admins invite, disable and re-enable users and sign them out everywhere, on the
# stage's user pool; a retried invitation reads the account it made (AdminGetUser), a
# profile made before usernames were kept is found by its sub (ListUsers). (Revoking a
# refresh token, RevokeToken, is an unsigned call that the token itself authorises:
# IAM has nothing to grant for it.)
USER_ADMIN_ACTIONS: tuple[str, ...] = (
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminEnableUser",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminUserGlobalSignOut",
    "cognito-idp:ListUsers",
)
LOG_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")
# X-Ray tracing (stage flag ``tracing``); these actions accept no resource but "*".
TRACE_ACTIONS: tuple[str, ...] = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


@dataclass(frozen=True)
class Access:
    """The data a function reads or writes, by logical name (chalicelib.resources)."""

    tables: Mapping[str, TableAccess] = field(default_factory=dict)
    publish: tuple[str, ...] = ()  # topics
    send: tuple[str, ...] = ()  # queues
    buckets: Mapping[str, BucketAccess] = field(default_factory=dict)
    # Secrets by name ("twilio", "vapid"); the stage config names each secret.
    secrets: tuple[str, ...] = ()
    # SSM parameters by name ("vapid-public"); the stage config names each parameter.
    parameters: tuple[str, ...] = ()
    # Post to / drop WebSocket connections through the API's @connections.
    manage_connections: bool = False
    # Send texts through AWS End User Messaging from the account's numbers and pools.
    send_sms: bool = False
    # Read End User Messaging registrations (the registration poller).
    read_registrations: bool = False
    # Read the End User Messaging sandbox: tier, spend limits, verified destinations.
    read_sms_account: bool = False
    # SNS mobile push: register/unregister device endpoints, send to them.
    push: frozenset[PushAccess] = frozenset()
    # Administer the stage's Cognito users (USER_ADMIN_ACTIONS on the user pool).
    manage_users: bool = False


FUNCTIONS: dict[str, Access] = {
    # REST: every route. Twilio webhooks check signatures with the auth token;
    # media (photos, MMS) is uploaded and read through URLs presigned by this
    # function's role; devices register for push; logout closes connections.
    # Contact center: agents' actions queue routing work (and its timers); an inbound
    # text to a channel queues routing. Its events come from the stream (the outbox).
    # Admins invite, disable, enable and sign out users in the Cognito pool.
    # The admin page shows the End User Messaging sandbox (GET /admin/sms-account).
    # GET /push/key and a browser's registration read the VAPID public key's parameter
    # (never the private key's secret: only the function that pushes signs).
    "api_handler": Access(
        tables={"messaging": "read-write"},
        buckets={"media": "read-write"},
        secrets=("twilio",),
        parameters=("vapid-public",),
        manage_connections=True,
        push=frozenset({"register"}),
        send=("cc-routing",),
        manage_users=True,
        read_sms_account=True,
    ),
    # The REST authorizer resolves the token's user.
    "cognito": Access(tables={"messaging": "read"}),
    "websocket_connect": Access(tables={"messaging": "read-write"}),
    "websocket_disconnect": Access(tables={"messaging": "read-write"}),
    # Replies (acks, errors) go back over the caller's own connection.
    "websocket_message": Access(tables={"messaging": "read-write"}, manage_connections=True),
    # Stream → events: reads the conversation for recipients (and, for a contact-center
    # offer, the customer record of the screen pop), publishes to SNS; counts the
    # contact center's report figures (a once-marker and counters in one transaction).
    "outbox_stream": Access(tables={"messaging": "read-write"}, publish=("events",)),
    # SQS → devices: idempotency records, connection lookups, drops gone connections;
    # for a new message also missed-message records and mobile push to devices not in
    # front (publish to their endpoints only), and Web Push to browsers, signed with the
    # VAPID key from its secret (posted to the browsers' push services, not AWS).
    # On a shared line the others' pushes wait on its own queue (a delayed message).
    "realtime_consumer": Access(
        tables={"messaging": "read-write", "idempotency": "read-write"},
        manage_connections=True,
        push=frozenset({"send"}),
        secrets=("vapid",),
        send=("realtime",),
    ),
    # Timer: drops connections that vanished without $disconnect, updates presence.
    "presence_sweeper": Access(tables={"messaging": "read-write"}),
    # Timer: texts with no final status after 72 hours become "unknown".
    "sms_reconciler": Access(tables={"messaging": "read-write"}),
    # SMS queue: hands queued texts to the number's provider (Twilio's API with the
    # auth token from the secret), records statuses; runs each send once.
    # MMS: media is presigned for Twilio (signed with this role) or handed to End User
    # Messaging as s3:// URLs (read with this role), so it reads the media bucket.
    # The send claim in the table guards against sending twice (no idempotency table).
    "sms_sender": Access(
        tables={"messaging": "read-write"},
        buckets={"media": "read"},
        secrets=("twilio",),
        send_sms=True,
    ),
    # SQS fed by the End User Messaging topic: inbound texts and delivery events.
    # An inbound text to a contact-center channel queues routing work.
    # The app answers keywords itself (self-managed opt-outs): replies go out from here.
    "eum_events": Access(tables={"messaging": "read-write"}, send=("cc-routing",), send_sms=True),
    # Timer: registrations under review, asked of End User Messaging or Twilio (with the
    # secret); each change recorded and copied onto the numbers it covers.
    "registration_poller": Access(
        tables={"messaging": "read-write"}, secrets=("twilio",), read_registrations=True
    ),
    # Contact-center routing queue: offers, timers (offer timeout, wrap-up end, idle and
    # waiting checks, queue-update flushes as delayed messages), transcripts filed to
    # the media bucket. Its events come from the stream (the outbox).
    "cc_routing": Access(
        tables={"messaging": "read-write"},
        send=("cc-routing",),
        buckets={"media": "write"},
    ),
    # Stream → search index: indexes the stream's images (no table read; the operator's
    # redrive reads the table), keeps refused writes on the search-failures queue. Its
    # OpenSearch access (write) comes with the domain (infra/parts/search.py).
    "search_indexer": Access(send=("search-failures",)),
    # Timer: the index's health as metrics (the engine only).
    "search_health": Access(),
    # Cognito's CustomMessage trigger: composes the invitation and reset mails from the
    # event alone (the web client's address comes from its environment); no AWS calls.
    "cognito_messages": Access(),
}


class UndeclaredFunction(Exception):
    """A Lambda function in the Chalice app has no entry in ``FUNCTIONS``."""


def access_for(function: str, declared: Mapping[str, Access] | None = None) -> Access:
    """The declared access of one function; refuses to guess for an undeclared one."""
    declared = FUNCTIONS if declared is None else declared
    try:
        return declared[function]
    except KeyError:
        raise UndeclaredFunction(
            f"Lambda function {function!r} has no entry in infra/permissions.py FUNCTIONS: "
            "declare the tables, topics, queues, buckets and secrets it uses."
        ) from None
