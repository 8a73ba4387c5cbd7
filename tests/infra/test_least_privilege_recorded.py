"""Each function's policy grants what its code really calls on AWS, and on data no more.

moto does not enforce IAM, so a policy can lack an action every other test
exercises (the SMS sender once lacked ``s3:GetObject`` on the media it presigns
for Twilio and hands as ``s3://`` URLs to End User Messaging). Here the real
adapters run against moto while every botocore call — presigned URLs and POSTs
included, since they are signed with the caller's permissions — is recorded
and attributed to the Lambda function that made it. Each function's main path
is driven the way AWS invokes it:

| function | driven by |
|---|---|
| ``api_handler`` | ``chalice.test.Client``: start an SMS conversation, upload media, send an MMS, read its link, message an offline co-worker, administer users, read the End User Messaging sandbox |
| ``cognito`` (the REST authorizer) | API Gateway's TOKEN authorizer event |
| ``websocket_connect`` / ``_message`` / ``_disconnect`` | the app's WebSocket handlers with API Gateway events (``tests.api.test_websocket``): three devices (one API Gateway reports gone), a ping and a message |
| ``outbox_stream``, ``realtime_consumer``, ``sms_sender``, ``eum_events`` | ``local.inprocess.EventPath``: stream records and queue messages in Lambda's event shapes |
| ``presence_sweeper``, ``sms_reconciler``, ``registration_poller`` | their timer handlers with a scheduled event, 73 hours on (a stale connection, a text without final status, a campaign under review that now needs updates) |
| ``cognito_messages`` | Cognito's CustomMessage trigger event for an invitation (it calls nothing) |
| ``search_health`` | its timer on a stage without search (it calls nothing) |
| ``search_indexer`` | the table's stream records on a stage with search whose engine refuses: the batch is kept on ``search-failures`` |

Two services moto lacks answer from canned responses (End User Messaging,
the API Gateway Management API); their calls are recorded all the same. An
``sms-voice:SendMediaMessage`` also needs ``s3:GetObject`` on each
``s3://`` media URL: the service reads the object with the caller's rights.

Unsigned calls (Cognito's ``RevokeToken``, ``InitiateAuth``: the token or the
password authorises them) need no IAM grant and are not recorded. ``PENDING``
lists calls the application is known to make on a path this drive does not
reach yet; they are checked like recorded ones.

Then, on the synthesized ``dev`` template: every recorded call is allowed by the
function's role on that very resource, and every grant on a data resource
(table read/write, bucket read/write, topic publish, queue send) was used.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib import resources
from infra import permissions
from tests.infra import cfn
from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

PREFIX = "texting-test"
SHOP = "+14155550100"
CUSTOMER = "+14155552671"
CHANNEL = "+14155550180"  # a contact-center channel (End User Messaging)
CALLER = "+14155552672"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 120
# Calls into services moto does not implement: (signing name, operation) → response.
CANNED = {
    ("sms-voice", "SendTextMessage"): {"MessageId": "eum-text-1"},
    ("sms-voice", "SendMediaMessage"): {"MessageId": "eum-media-1"},
    ("sms-voice", "DescribeRegistrations"): {
        "Registrations": [
            {
                "RegistrationArn": "arn:aws:sms-voice:us-east-1:123456789012:registration/"
                "registration-1",
                "RegistrationId": "registration-1",
                "RegistrationType": "US_TEN_DLC_CAMPAIGN_REGISTRATION",
                "RegistrationStatus": "REQUIRES_UPDATES",
                "CurrentVersionNumber": 1,
                "LatestDeniedVersionNumber": 1,
                "CreatedTimestamp": "2026-01-01T00:00:00Z",
            }
        ]
    },
    ("sms-voice", "DescribeAccountAttributes"): {
        "AccountAttributes": [{"Name": "ACCOUNT_TIER", "Value": "SANDBOX"}]
    },
    ("sms-voice", "DescribeSpendLimits"): {
        "SpendLimits": [
            {
                "Name": "TEXT_MESSAGE_MONTHLY_SPEND_LIMIT",
                "EnforcedLimit": 1,
                "MaxLimit": 1,
                "Overridden": False,
            }
        ]
    },
    ("sms-voice", "DescribeVerifiedDestinationNumbers"): {"VerifiedDestinationNumbers": []},
    ("sms-voice", "DescribeRegistrationVersions"): {
        "RegistrationArn": "arn:aws:sms-voice:us-east-1:123456789012:registration/registration-1",
        "RegistrationId": "registration-1",
        "RegistrationVersions": [],
    },
    ("execute-api", "PostToConnection"): {},
    ("execute-api", "DeleteConnection"): {},
    ("execute-api", "GetConnection"): {"ConnectedAt": "2026-01-01T00:00:00Z"},
}
# DynamoDB transactions are authorised per item action.
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


@dataclass(frozen=True)
class Call:
    """One IAM action on one resource: ``kind`` is table, bucket, topic, queue, secret, ..."""

    action: str
    kind: str
    name: str  # logical name (chalicelib.resources), secret name, or "" where none applies


# Calls the application is known to make on a path this drive does not reach (none).
PENDING: dict[str, set[Call]] = {}


class Recorder:
    """Attributes every botocore call to the function running (``None``: test set-up)."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.calls: dict[str, set[Call]] = {}

    @contextlib.contextmanager
    def running(self, function: str) -> Iterator[None]:
        self.calls.setdefault(function, set())  # driven, even if it calls nothing
        previous, self.current = self.current, function
        try:
            yield
        finally:
            self.current = previous

    def record(self, service: str, operation: str, params: dict[str, Any]) -> None:
        if self.current is None:
            return
        self.calls.setdefault(self.current, set()).update(_calls(service, operation, params))


def _logical(physical: str) -> str:
    return physical.removeprefix(f"{PREFIX}-")


def _calls(service: str, operation: str, params: dict[str, Any]) -> set[Call]:
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            found = set()
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                found.add(
                    Call(f"dynamodb:{TRANSACT_ACTIONS[kind]}", "table", _logical(body["TableName"]))
                )
            return found
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return {
                Call(f"dynamodb:{operation}", "table", _logical(t)) for t in params["RequestItems"]
            }
        if "TableName" in params:
            return {Call(f"dynamodb:{operation}", "table", _logical(params["TableName"]))}
        return {Call(f"dynamodb:{operation}", "stream", "")}
    if service == "s3":
        found = set()
        # HeadObject is authorised by s3:GetObject; CopyObject writes the copy, reads the source.
        action = {"HeadObject": "GetObject", "CopyObject": "PutObject"}.get(operation, operation)
        found.add(Call(f"s3:{action}", "bucket", _logical(params["Bucket"])))
        if operation == "CopyObject":
            source = params["CopySource"]
            bucket = source["Bucket"] if isinstance(source, dict) else source.split("/")[0]
            found.add(Call("s3:GetObject", "bucket", _logical(bucket)))
        return found
    if service == "sns":
        operation = {"PublishBatch": "Publish"}.get(operation, operation)  # one IAM action
        if "TopicArn" in params:
            return {Call(f"sns:{operation}", "topic", _logical(params["TopicArn"].split(":")[-1]))}
        return {Call(f"sns:{operation}", "push", "")}
    if service == "sqs":
        return {Call(f"sqs:{operation}", "queue", _logical(params["QueueUrl"].split("/")[-1]))}
    if service == "secretsmanager":
        return {Call(f"secretsmanager:{operation}", "secret", params["SecretId"])}
    if service == "execute-api":
        return {Call("execute-api:ManageConnections", "connections", "")}
    if service == "cognito-idp" and "UserPoolId" in params:
        return {Call(f"cognito-idp:{operation}", "user-pool", "")}
    if service == "sms-voice":
        found = {Call(f"sms-voice:{operation}", "sms", "")}
        for url in params.get("MediaUrls", []):
            bucket = url.removeprefix("s3://").split("/")[0]
            found.add(Call("s3:GetObject", "bucket", _logical(bucket)))
        return found
    return {Call(f"{service}:{operation}", "other", "")}


def install_recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Record every botocore call (presigns included); answer the CANNED ones locally."""
    from botocore.client import BaseClient

    recorder = Recorder()
    emit, make = BaseClient._emit_api_params, BaseClient._make_api_call

    def emit_api_params(client: Any, api_params: Any, operation_model: Any, context: Any) -> Any:
        # Every call and every presigned URL/POST passes here with its final parameters.
        params = emit(client, api_params, operation_model, context)
        if operation_model.auth_type == "none":
            return params  # unsigned: IAM does not authorise it
        operation = operation_model.name
        if context.get("is_presign_request") and operation == "CreateBucket":
            operation = "PutObject"  # botocore signs a presigned POST with CreateBucket's model
        recorder.record(client.meta.service_model.signing_name, operation, params)
        return params

    def make_api_call(client: Any, operation_name: str, api_params: Any) -> Any:
        service = client.meta.service_model.signing_name
        canned = CANNED.get((service, operation_name))
        if operation_name == "PostToConnection" and api_params["ConnectionId"].startswith("gone-"):
            recorder.record(service, operation_name, api_params)
            error = {"Error": {"Code": "GoneException", "Message": "gone"}}
            raise client.exceptions.GoneException(error, operation_name)
        if canned is None:
            return make(client, operation_name, api_params)
        recorder.record(service, operation_name, api_params)
        return dict(canned)

    monkeypatch.setattr(BaseClient, "_emit_api_params", emit_api_params)
    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
    return recorder


def _body(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


@pytest.fixture(scope="module")
def recorded() -> dict[str, set[Call]]:
    """Drive every function once under moto; the calls each made."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        calls = _drive(install_recorder(monkeypatch), monkeypatch)
    for function, pending in PENDING.items():
        calls[function] = calls.get(function, set()) | pending
    return calls


def _drive(recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> dict[str, set[Call]]:
    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib import bootstrap
    from chalicelib.adapters import dynamodb
    from chalicelib.domain.model import BusinessNumber, Device, utcnow_iso
    from local import lambda_events
    from local.inprocess import EventPath
    from local.motoserver import patch_moto
    from local.provision import provision
    from tests.api.test_websocket import ws_event
    from tests.support import KEYS, seed_people, settings, verifier

    patch_moto()
    with mock_aws(), contextlib.ExitStack() as cleanup:
        session = boto3.session.Session(region_name="us-east-1")
        provided = provision(session, PREFIX)
        # as the stack sets it on every function (infra/parts/app.py)
        monkeypatch.setenv("CC_ROUTING_QUEUE_URL", provided["queues"]["cc-routing"])
        secret = "texting/test/twilio"
        session.client("secretsmanager").create_secret(
            Name=secret,
            SecretString=json.dumps({"account_sid": "AC" + "0" * 32, "auth_token": "fixture"}),
        )
        s3 = session.client("s3")
        s3.create_bucket(Bucket=f"{PREFIX}-media")
        cognito_idp = session.client("cognito-idp")
        pool = cognito_idp.create_user_pool(PoolName=f"{PREFIX}-users")["UserPool"]["Id"]
        pool_client = cognito_idp.create_user_pool_client(UserPoolId=pool, ClientName="web")
        services = bootstrap.bootstrap(
            settings(
                cognito_user_pool_id=pool,
                cognito_client_id=pool_client["UserPoolClient"]["ClientId"],
                media_bucket=f"{PREFIX}-media",
                sms_default_provider="eum",
                twilio_secret_name=secret,
                # as Settings.from_env reads the variables the stack sets
                cc_routing_queue_url=provided["queues"]["cc-routing"],
                realtime_queue_url=provided["queues"]["realtime"],
            ),
            verifier=verifier(),
        )
        bootstrap.use(services)
        cleanup.callback(bootstrap.use, None)
        dynamodb.bind_models(f"{PREFIX}-messaging", "us-east-1")
        people = seed_people(dynamodb.DynamoDirectoryRepository())
        dynamodb.DynamoSmsRepository().put_number(
            BusinessNumber(SHOP, "acme", provider="eum", users=["u-alice", "u-bob"])
        )  # a shared line: its conversations can have an assignee
        # bob's phone, registered as on a stage without push applications (no endpoint)
        dynamodb.DynamoNotificationRepository().put_device(
            Device(
                "u-bob",
                "bob-phone",
                "apns",
                "a" * 64,
                utcnow_iso(),
            )
        )
        alice = people["alice"]
        alice.numbers = [SHOP]
        dynamodb.DynamoDirectoryRepository().put_user(alice)
        headers = {
            "Authorization": f"Bearer {KEYS.token(alice.user_id)}",
            "Content-Type": "application/json",
        }

        # Lambda's event source mappings and timers call the consumers: attribute them.
        for function in {c.function for c in resources.CONSUMERS} | {
            s.function for s in resources.SCHEDULES
        }:
            module = _consumer_module(function)
            monkeypatch.setattr(
                module, function, _attributed(function, getattr(module, function), recorder)
            )

        with Client(app, stage_name="local") as client:

            def call(method: str, path: str, body: Any = None) -> Any:
                payload = json.dumps(body).encode() if body is not None else b""
                return client.http.request(method, path, headers=headers, body=payload)

            with recorder.running("api_handler"):
                started = call("POST", "/conversations", {"type": "sms", "to": CUSTOMER})
                assert started.status_code in (200, 201), started.body
                conversation = _body(started)["id"]
                # alice owns it: bob's push for her text waits (a delayed message)
                assigned = call("PATCH", f"/conversations/{conversation}", {"assignee": "u-alice"})
                assert assigned.status_code == 200, assigned.body
                upload = _body(call("POST", "/media", {"content_type": "image/png", "size": 128}))
            s3.put_object(
                Bucket=f"{PREFIX}-media", Key=upload["key"], Body=PNG, ContentType="image/png"
            )
            with recorder.running("api_handler"):
                sent = call(
                    "POST",
                    f"/conversations/{conversation}/messages",
                    {"client_id": "m1", "text": "", "media": [upload["key"]]},
                )
                assert sent.status_code == 202, sent.body
                message = _body(sent)["id"]
                link = call("GET", f"/conversations/{conversation}/messages/{message}/media/0")
                assert link.status_code == 200, link.body
                # An instant message to bob, who is offline: a missed-message record.
                im = _body(call("POST", "/conversations", {"members": ["u-bob"]}))["id"]
                said = call(
                    "POST", f"/conversations/{im}/messages", {"client_id": "m2", "text": "hi"}
                )
                assert said.status_code in (200, 201, 202), said.body
                # user administration on the stage's pool: an invitation and its retry,
                # an offboarding and its undoing, and a profile older than usernames
                invite = {"username": "dana", "email": "dana@acme.test", "name": "Dana"}
                for _ in range(2):
                    invited = call("POST", "/admin/users", invite)
                    assert invited.status_code in (200, 201), invited.body
                dana = _body(invited)["user_id"]
                for path in ("disable", "enable"):
                    changed = call("POST", f"/admin/users/{dana}/{path}")
                    assert changed.status_code == 200, changed.body
                legacy = call("POST", "/admin/users/u-carol/disable")
                assert legacy.status_code == 200, legacy.body
                # the End User Messaging sandbox on the admin page
                standing = call("GET", "/admin/sms-account")
                assert _body(standing)["tier"] == "SANDBOX", standing.body

        from app import ws_connect, ws_disconnect, ws_message
        from chalicelib.api.auth import cognito

        with recorder.running("cognito"):  # API Gateway's TOKEN authorizer event
            answer = cognito(
                {
                    "type": "TOKEN",
                    "authorizationToken": f"Bearer {KEYS.token(alice.user_id)}",
                    "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/local/GET/me",
                },
                lambda_events.lambda_context("cognito"),
            )
            assert answer["principalId"] == alice.user_id, answer

        from chalicelib.api.cognito_messages import cognito_messages

        with recorder.running("cognito_messages"):  # Cognito's CustomMessage trigger event
            invitation = cognito_messages(
                {
                    "triggerSource": "CustomMessage_AdminCreateUser",
                    "userName": "dave",
                    "request": {
                        "codeParameter": "{####}",
                        "usernameParameter": "{username}",
                        "userAttributes": {"email": "dave@acme.example"},
                        "clientMetadata": {"company_name": "Acme Plumbing"},
                    },
                    "response": {},
                },
                lambda_events.lambda_context("cognito_messages"),
            )
            assert "{####}" in invitation["response"]["emailMessage"], invitation

        token = KEYS.token(alice.user_id)
        connection, gone, stale = (
            f"{kind}-{uuid.uuid4().hex[:8]}" for kind in ("conn", "gone", "stale")
        )
        with recorder.running("websocket_connect"):
            for device in (connection, gone, stale):  # gone: API Gateway answers 410 to it
                ws_connect(ws_event("$connect", device, query={"token": token}), None)
        with recorder.running("websocket_message"):
            for frame in (
                {"action": "ping"},
                {"action": "send", "conversation_id": im, "client_id": "m3", "text": "via ws"},
            ):
                ws_message(ws_event("$default", connection, body=json.dumps(frame)), None)

        events = EventPath.for_prefix(PREFIX)
        _run_all(events)  # outbox → realtime (devices and push), sms-outbound → sms_sender

        # End User Messaging publishes an inbound text to the sms-events topic.
        topic = next(
            t["TopicArn"]
            for t in session.client("sns").list_topics()["Topics"]
            if t["TopicArn"].endswith(f"{PREFIX}-sms-events")
        )
        session.client("sns").publish(
            TopicArn=topic,
            Message=json.dumps(
                {
                    "originationNumber": CUSTOMER,
                    "destinationNumber": SHOP,
                    "messageBody": "hello back",
                    "inboundMessageId": f"in-{uuid.uuid4().hex}",
                    "messageKeyword": "",
                    "previousPublishedMessageId": "",
                }
            ),
        )
        _run_all(events)

        # The contact center: bob is the agent of a channel; a customer texts it through
        # End User Messaging (eum_events queues routing), cc_routing offers it, bob
        # takes and ends it through the API (events, routing work), wrap-up ends on
        # its timer in cc_routing (the transcript goes to the media bucket).
        from chalicelib.domain.contact_center import AgentProfile, Channel, Queue

        center = services.contact_center
        assert center is not None
        dynamodb.DynamoSmsRepository().put_number(
            BusinessNumber(CHANNEL, "acme", provider="eum", users=["u-bob"])
        )
        center.repo.put_queue(Queue("q-help", "acme", "Help", skills={"help": 1}))
        center.repo.put_channel(Channel(CHANNEL, "acme", "q-help"))
        center.repo.put_agent(AgentProfile("u-bob", "acme", skills={"help": 3}, queues=["q-help"]))
        bob = {**headers, "Authorization": f"Bearer {KEYS.token('u-bob')}"}
        with Client(app, stage_name="local") as client, recorder.running("api_handler"):
            ready = client.http.request(
                "PUT", "/agent/status", headers=bob, body=b'{"status": "available"}'
            )
            assert ready.status_code == 200, ready.body
        session.client("sns").publish(
            TopicArn=topic,
            Message=json.dumps(
                {
                    "originationNumber": CALLER,
                    "destinationNumber": CHANNEL,
                    "messageBody": "my sink is leaking",
                    "inboundMessageId": f"in-{uuid.uuid4().hex}",
                    "messageKeyword": "",
                    "previousPublishedMessageId": "",
                }
            ),
        )
        _run_all(events)
        with Client(app, stage_name="local") as client, recorder.running("api_handler"):
            offered = _body(client.http.request("GET", "/interactions", headers=bob))["items"]
            assert [i["state"] for i in offered] == ["offered"], offered
            path = f"/interactions/{offered[0]['id']}"
            assert client.http.request("POST", f"{path}/accept", headers=bob).status_code == 200
            ended = client.http.request("POST", f"{path}/end", headers=bob, body=b"{}")
            assert _body(ended)["state"] == "wrap_up", ended.body
        _run_all(events)
        with recorder.running("websocket_disconnect"):
            ws_disconnect(ws_event("$disconnect", connection), None)
        # The timers, three days on: alice's connection is stale, the text has no final status.
        later = time.time() + 73 * 3600
        bootstrap.use(
            bootstrap.bootstrap(
                settings(
                    media_bucket=f"{PREFIX}-media",
                    twilio_secret_name=secret,
                    cc_routing_queue_url=provided["queues"]["cc-routing"],
                ),
                verifier=verifier(),
                clock=lambda: utcnow_iso(datetime.fromtimestamp(later, UTC)),
                epoch=lambda: later,
            )
        )
        from chalicelib.api import contact_center_consumers

        _, routing_arn = events.queues[resources.CC_ROUTING_QUEUE.logical]
        wrap_up_end = {  # the wrap-up timer as Lambda delivers it once its delay is over
            "MessageId": str(uuid.uuid4()),
            "ReceiptHandle": "timer",
            "Body": json.dumps({"kind": "wrap_up_end", "interaction_id": offered[0]["id"]}),
            "Attributes": {"ApproximateReceiveCount": "1"},
        }
        handled = contact_center_consumers.cc_routing(
            lambda_events.sqs_event([wrap_up_end], routing_arn, "us-east-1"),
            lambda_events.lambda_context("cc_routing"),
        )
        assert not handled.get("batchItemFailures"), handled
        # A 10DLC campaign under review at End User Messaging, for the registration poller.
        from chalicelib.domain.compliance import PENDING, Registration

        dynamodb.DynamoComplianceRepository().save_registration(
            Registration(
                "reg-1",
                "acme",
                "campaign",
                "eum",
                status=PENDING,
                provider_id="registration-1",
                provider_status="REVIEWING",
                numbers=[SHOP],
            )
        )
        for timer in resources.SCHEDULES:
            getattr(_consumer_module(timer.function), timer.function)(
                {
                    "version": "0",
                    "id": str(uuid.uuid4()),
                    "detail-type": "Scheduled Event",
                    "source": "aws.events",
                    "account": "123456789012",
                    "time": "2026-01-01T00:00:00Z",
                    "region": "us-east-1",
                    "resources": [],
                    "detail": {},
                },
                lambda_events.lambda_context(timer.function),
            )
        _drive_search_indexer(session, provided, events, monkeypatch)
        return recorder.calls


def _drive_search_indexer(
    session: Any, provided: Any, events: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The indexer on a stage with search, its engine refusing every write: the batch is
    kept on the search-failures queue. (Its OpenSearch requests go over HTTP, signed,
    and the domain's access policy authorises them: tests/infra/test_search_domain.py.)"""
    from chalicelib import bootstrap
    from chalicelib.api import search_consumers
    from chalicelib.domain.search import SearchPage
    from chalicelib.services.search_ports import IndexHealth, SearchUnavailable
    from local import lambda_events
    from tests.support import settings, verifier

    class Refusing:
        def write(self, documents: Any, deletions: Any) -> None:
            raise SearchUnavailable("the engine refused the write")

        def search(self, request: Any) -> SearchPage:
            raise SearchUnavailable("the engine is down")

        def refresh(self) -> None:
            return None

        def health(self) -> IndexHealth:
            return IndexHealth("unreachable", 0, "")

    monkeypatch.setenv("SEARCH_FAILURES_QUEUE_URL", provided["queues"]["search-failures"])
    bootstrap.use(
        bootstrap.bootstrap(
            settings(search_enabled=True, search_endpoint="https://search.invalid"),
            verifier=verifier(),
            sleep=lambda _: None,
            search_index=Refusing(),
        )
    )
    streams = session.client("dynamodbstreams")
    (shard, *_) = streams.describe_stream(StreamArn=events.stream_arn)["StreamDescription"][
        "Shards"
    ]
    iterator = streams.get_shard_iterator(
        StreamArn=events.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    event = lambda_events.stream_event(records, events.stream_arn, "us-east-1")
    answer = search_consumers.search_indexer(event, lambda_events.lambda_context("search_indexer"))
    assert answer == {"batchItemFailures": []}, answer
    kept = session.client("sqs").receive_message(QueueUrl=provided["queues"]["search-failures"])
    assert kept.get("Messages"), "the refused batch is kept for redrive"


def _run_all(events: Any) -> None:
    """Lambda's event source mappings until nothing moves: the stream, then every queue."""
    while events.run_outbox() + sum(_run_queue(events, q) for q in events.queues):
        pass


def _run_queue(events: Any, logical: str) -> int:
    """One queue's messages to its consumer, with the attributes Lambda sends (receive count)."""
    import boto3

    from local import lambda_events

    consumer = next(
        (c for c in resources.CONSUMERS if c.source_kind == "sqs" and c.source == logical), None
    )
    if consumer is None:
        return 0
    url, arn = events.queues[logical]
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])
    if messages:
        event = lambda_events.sqs_event(messages, arn, "us-east-1")
        result = getattr(_consumer_module(consumer.function), consumer.function)(
            event, lambda_events.lambda_context(consumer.function)
        )
        assert not result.get("batchItemFailures"), (consumer.function, result)
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages)


def _consumer_module(function: str) -> Any:
    """The module whose blueprint registers a consumer (the contact center has its own)."""
    from chalicelib.api import compliance, consumers, contact_center_consumers, search_consumers

    modules = (consumers, contact_center_consumers, compliance, search_consumers)
    return next(m for m in modules if hasattr(m, function))


def _attributed(name: str, handler: Any, recorder: Recorder) -> Any:
    """The same handler, its calls attributed to the function ``name``."""

    def run(event: Any, context: Any) -> Any:
        with recorder.running(name):
            return handler(event, context)

    return run


def _grants(stage: Synthesized, function: str) -> list[dict[str, Any]]:
    role = cfn.function_role(stage.template, stage.stack.functions[function].logical_id)
    return cfn.role_statements(stage.template, role)


def _logical_ids(stage: Synthesized) -> dict[tuple[str, str], str]:
    """(kind, logical name) → the CloudFormation logical id of that data resource."""
    found = {}
    for kind, resource_type, key in (
        ("table", "AWS::DynamoDB::Table", "TableName"),
        ("topic", "AWS::SNS::Topic", "TopicName"),
        ("queue", "AWS::SQS::Queue", "QueueName"),
    ):
        for logical_id, body in cfn.of_type(stage.template, resource_type).items():
            name = body["Properties"].get(key, "")
            if isinstance(name, str) and name.startswith(f"{stage.config.prefix}-"):
                found[(kind, name.removeprefix(f"{stage.config.prefix}-"))] = logical_id
    # the media bucket (the web client's bucket is no function's: tests/infra/test_web_client.py)
    (bucket,) = [
        logical_id
        for logical_id in cfn.of_type(stage.template, "AWS::S3::Bucket")
        if logical_id.startswith("MediaBucket")
    ]
    found[("bucket", resources.MEDIA_BUCKET.logical)] = bucket
    (pool,) = cfn.of_type(stage.template, "AWS::Cognito::UserPool")
    found[("user-pool", "")] = pool
    return found


def _allows(statement: dict[str, Any], call: Call, ids: dict[tuple[str, str], str]) -> bool:
    if call.action not in cfn.as_list(statement["Action"]):
        return False
    text = json.dumps(statement["Resource"])
    if call.kind in ("table", "topic", "queue", "bucket"):
        return ids[(call.kind, call.name)] in cfn.refs(statement["Resource"])
    if call.kind == "secret":
        return f"secret:{call.name}-??????" in text
    if call.kind == "connections":
        return "WebsocketAPI" in cfn.refs(statement["Resource"]) and "@connections/*" in text
    if call.kind == "sms" and call.action in permissions.SMS_ACCOUNT_ACTIONS:
        return statement["Resource"] == "*"  # account-wide: IAM names no resource
    if call.kind == "sms":
        return ":sms-voice:" in text
    if call.kind == "user-pool":
        return ids[("user-pool", "")] in cfn.refs(statement["Resource"])
    return False


def _on_data(
    statement: dict[str, Any], ids: dict[tuple[str, str], str]
) -> set[tuple[str, str, str]]:
    """What a grant allows on the application's data: (kind, logical name, read|write|publish|send)."""
    actions = set(cfn.as_list(statement["Action"]))
    targets = cfn.refs(statement["Resource"])
    found = set()
    for (kind, name), logical_id in ids.items():
        if logical_id not in targets:
            continue
        if kind == "table" and actions & set(permissions.TABLE_READ_ACTIONS):
            found.add((kind, name, "read"))
            if actions & set(permissions.TABLE_WRITE_ACTIONS):
                found.add((kind, name, "write"))
        elif kind == "bucket":
            found |= {(kind, name, {"s3:GetObject": "read"}.get(a, "write")) for a in actions}
        elif kind == "topic":
            found.add((kind, name, "publish"))
        elif kind == "queue" and actions == set(permissions.QUEUE_SEND_ACTIONS):
            found.add((kind, name, "send"))
        elif kind == "user-pool":
            found.add((kind, name, "admin"))
    return found


def _for_event_source(statement: dict[str, Any]) -> bool:
    """Grants the Lambda service uses for the function's event source mapping, not its code:
    polling its queue or stream, parking a failed stream record on its failure queue."""
    sid = str(statement.get("Sid", ""))
    return sid == "StreamFailures" or sid.startswith(("Consume", "Read", "List"))


def _used(calls: set[Call]) -> set[tuple[str, str, str]]:
    used = set()
    for call in calls:
        if call.kind == "table":
            write = call.action.removeprefix("dynamodb:") in {
                a.removeprefix("dynamodb:") for a in permissions.TABLE_WRITE_ACTIONS
            }
            used.add(("table", call.name, "write" if write else "read"))
            # permissions.py has no write-only level: a table written is a table read-write
            used.add(("table", call.name, "read"))
        elif call.kind == "bucket":
            used.add(("bucket", call.name, "read" if call.action == "s3:GetObject" else "write"))
        elif call.kind == "topic":
            used.add(("topic", call.name, "publish"))
        elif call.kind == "queue" and call.action == "sqs:SendMessage":
            used.add(("queue", call.name, "send"))
        elif call.kind == "user-pool":
            used.add(("user-pool", call.name, "admin"))
    return used


def test_every_function_was_driven(recorded: dict[str, set[Call]]) -> None:
    assert set(recorded) == set(permissions.FUNCTIONS)


def test_every_call_a_function_makes_is_granted_on_its_resource(
    synthesized: dict[str, Synthesized], recorded: dict[str, set[Call]]
) -> None:
    stage = synthesized["dev"]
    ids = _logical_ids(stage)
    missing = [
        f"{function}: {call.action} on {call.kind} {call.name}".rstrip()
        for function, calls in sorted(recorded.items())
        for call in sorted(calls, key=str)
        if not any(_allows(s, call, ids) for s in _grants(stage, function))
    ]
    assert not missing, "not granted:\n" + "\n".join(missing)


def test_no_function_is_granted_data_access_it_does_not_use(
    synthesized: dict[str, Synthesized], recorded: dict[str, set[Call]]
) -> None:
    stage = synthesized["dev"]
    ids = _logical_ids(stage)
    unused = []
    for function, calls in sorted(recorded.items()):
        granted = set().union(
            *(_on_data(s, ids) for s in _grants(stage, function) if not _for_event_source(s))
        )
        for grant in sorted(granted - _used(calls)):
            unused.append(f"{function}: {grant[2]} on {grant[0]} {grant[1]}")
    assert not unused, "granted but never used:\n" + "\n".join(unused)


def test_the_sms_sender_may_read_the_media_it_hands_to_providers(
    recorded: dict[str, set[Call]],
) -> None:
    assert Call("s3:GetObject", "bucket", "media") in recorded["sms_sender"]
    assert Call("sms-voice:SendMediaMessage", "sms", "") in recorded["sms_sender"]
