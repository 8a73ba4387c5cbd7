"""Event consumers: the outbox (table stream → SNS) and the fan-out (SQS → devices, push).

All report partial batch failures (Powertools BatchProcessor), so one bad
record is retried alone; the fan-out posts each event's frames once per event id.
"""

from __future__ import annotations

import json
import random
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib import resources
from chalicelib.bootstrap import services
from chalicelib.domain.errors import ValidationError
from chalicelib.domain.model import Event
from chalicelib.domain.shared_lines import HELD
from chalicelib.observability import logger, new_record

if TYPE_CHECKING:
    from chalicelib.services.realtime import FanoutResult

consumers_bp = Blueprint(__name__)


def _queue_consumer(function: str) -> Any:
    """Register an SQS consumer as ``resources.CONSUMERS`` declares it (the infra and
    local stacks wire the real queue; Chalice needs a literal at import)."""
    spec = resources.consumer(function)
    return consumers_bp.on_sqs_message(
        queue=resources.placeholder_queue(spec.source), name=function, batch_size=spec.batch_size
    )


def _timer(function: str) -> Any:
    """Register a ``@schedule`` at the rate ``resources.SCHEDULES`` declares."""
    spec = resources.schedule(function)
    return consumers_bp.schedule(resources.rate_expression(spec.every_seconds), name=function)


RECORD_THREADS = 10  # an SQS batch's most records; their per-recipient work goes to worker_pool()
_records: ThreadPoolExecutor | None = None


def _record_pool() -> ThreadPoolExecutor:
    """The records of one batch run here, side by side: a pool of their own, since each
    record waits on work it submits to ``worker_pool()`` (nested waits on one pool can
    deadlock). Made on first use, one per container."""
    global _records
    if _records is None:
        _records = ThreadPoolExecutor(max_workers=RECORD_THREADS, thread_name_prefix="record")
    return _records


def _batch(
    event: Any,
    record_handler: Any,
    stream: bool = False,
    lane: Callable[[Any], str] | None = None,
) -> Any:
    """Powertools' partial batch response (imported on first use, not at cold start).

    A record that fails is logged with its id here, once for every consumer, and
    reported back so only it is retried. With ``lane`` (an SQS consumer whose records
    of different lanes may take effect in any order), every lane of the batch starts
    at once and runs its own records in the batch's order; Powertools then collects
    the outcomes in order, so the response is the same as one record after another.
    """
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    def logged(record: Any) -> Any:
        if lane is None:
            new_record()  # side by side, the keys are cleared once for the whole batch
        try:
            return record_handler(record)
        except Exception:
            record_id = record.event_id if stream else record.message_id
            logger.exception(
                f"{record_handler.__name__} failed; it will be retried",
                extra={"record_id": record_id},
            )
            raise

    handler = logged if lane is None else _started(event, logged, lane)
    kind = EventType.DynamoDBStreams if stream else EventType.SQS
    return process_partial_response(
        event=event.to_dict(),
        record_handler=handler,
        # A batch whose every record is to be retried (a paced text, a provider's 429)
        # answers batchItemFailures, not an error: a function error is a bug, and it
        # rolls a release back (the function's error alarm is CodeDeploy's).
        processor=BatchProcessor(event_type=kind, raise_on_entire_batch_failure=False),
        context=event.context,
    )


def _started(event: Any, handler: Any, lane: Callable[[Any], str]) -> Any:
    """Starts every lane of the SQS batch on the records' pool (each lane's records one
    after another); returns a handler that waits for one record's own outcome."""
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    new_record()
    lanes: dict[str, list[tuple[Any, Future[Any]]]] = {}
    outcomes: dict[str, deque[Future[Any]]] = {}
    for raw in event.to_dict().get("Records", []):
        record = SQSRecord(raw)
        try:
            key = lane(record)
        except Exception:  # unreadable: a lane of its own, where the handler fails it
            key = f"record:{record.message_id}"
        outcome: Future[Any] = Future()
        lanes.setdefault(key, []).append((record, outcome))
        outcomes.setdefault(record.message_id, deque()).append(outcome)

    def run(records: list[tuple[Any, Future[Any]]]) -> None:
        for record, outcome in records:
            try:
                outcome.set_result(handler(record))
            except Exception as error:
                outcome.set_exception(error)

    for records in lanes.values():
        _record_pool().submit(run, records)

    def collected(record: Any) -> Any:
        return outcomes[record.message_id].popleft().result()

    return collected


def _outbox_record(record: Any) -> None:
    svc = services()
    from chalicelib.adapters.dynamodb.stream import events_from_record

    events = events_from_record(record.raw_event, svc.adapters.conversations.get)
    change = None
    if svc.contact_center is not None:  # interactions, agents' status, queue states
        from chalicelib.adapters.dynamodb.contact_center_state import decode

        change = decode(record.raw_event)
        if change is not None:
            events += svc.contact_center.events.from_change(change.kind, change.old, change.new)
        svc.contact_center.events.with_agent_status(events)
        events += svc.contact_center.events.for_monitors(events)  # supervisors' transcripts
    from chalicelib.adapters.dynamodb.compliance import registration_change

    registration = registration_change(record.raw_event)
    if registration is not None:  # admins are told when one needs updates
        events += svc.registrations.events_for_change(*registration)
    svc.outbox.publish(events)
    if change is not None and change.kind == "interaction" and svc.reports is not None:
        # the reports' figures (once per change: a retried record adds nothing again)
        svc.reports.count(change.old, change.new, _written_at(record.raw_event))
    if change is not None and change.kind == "agent" and svc.reports is not None:
        # the spell the agent's old profile stood for (once per profile version)
        svc.reports.count_agent(change.old, change.new)


def _written_at(raw: dict[str, Any]) -> float:
    """When the stream record's change was written (Lambda's epoch seconds)."""
    return float(raw.get("dynamodb", {}).get("ApproximateCreationDateTime") or time.time())


@consumers_bp.on_dynamodb_record(
    stream_arn=resources.placeholder_stream_arn(resources.consumer("outbox_stream").source),
    name="outbox_stream",
    batch_size=resources.consumer("outbox_stream").batch_size,
    starting_position="TRIM_HORIZON",
)
def outbox_stream(event: Any) -> Any:
    return _batch(event, _outbox_record, stream=True)


def unwrap(body: str) -> Any:
    """An SQS body is the published message itself (raw delivery) or an SNS envelope."""
    raw = json.loads(body)
    if isinstance(raw, dict) and raw.get("Type") == "Notification" and "Message" in raw:
        raw = json.loads(raw["Message"])
    return raw


def parse_queued_event(body: str) -> Event:
    return Event.from_dict(unwrap(body))


def _conversation_lane(record: Any) -> str:
    """Events of one conversation keep their order within a batch (a group's update
    after its creation, a missed count's last seq); other conversations' run side by
    side. Events of no conversation (presence, queue updates) share one lane."""
    return str(parse_queued_event(record.body).conversation_id or "")


def _realtime_record(record: Any) -> None:
    """One event to devices; for a new message, also push or "missed" per recipient.

    A batch's records run side by side, one lane per conversation. The frames go out
    once per event id; a missed count and a push have their own once-keys, so a
    redelivery after a failed push neither re-posts frames nor pushes twice, and
    pushes and missed counts run even when a post failed. The notifications reuse
    the connections the fan-out just read.
    """
    svc = services()
    event = parse_queued_event(record.body)
    once = svc.adapters.idempotency.run_once
    if event.type == HELD:  # pushes held for a shared line's assignee: no frames
        svc.notifications.on_held(event, once)
        return
    seen: list[FanoutResult] = []

    def deliver() -> int:
        seen.append(svc.fanout.deliver(event))
        return seen[-1].delivered

    try:
        once(f"fanout:{event.event_id}", deliver)
    finally:
        # pushes and missed counts do not wait for the frames: a device whose posts
        # keep failing must not cost every recipient their push (the retry of the
        # frames finds these done by their own once-keys)
        if event.type == "message.created":
            svc.notifications.on_message(event, once, seen[-1].live if seen else None)


@_queue_consumer("realtime_consumer")
def realtime_consumer(event: Any) -> Any:
    """The one consumer of the events topic's device-bound events (see resources)."""
    services().adapters.idempotency.register_lambda_context(event.context)
    return _batch(event, _realtime_record, lane=_conversation_lane)


@_timer("presence_sweeper")
def presence_sweeper(event: Any) -> dict[str, int]:
    """Connections that vanished without a $disconnect go offline within a minute."""
    return {"swept": services().connections.sweep()}


def _sms_record(record: Any) -> None:
    from chalicelib.domain.sms import ProviderRetryable
    from chalicelib.services.sms import requeue_delay

    svc = services()
    event = parse_queued_event(record.body)
    receives = int(record.attributes.approximate_receive_count or 1)
    final = receives >= resources.SMS_OUTBOUND_QUEUE.max_receive_count
    try:
        svc.sms_sender.deliver(event.data, final_attempt=final)
    except ProviderRetryable as trouble:  # back off: this message comes back later
        delay = requeue_delay(trouble, receives, random.random)
        svc.adapters.retries.delay(record.event_source_arn, record.receipt_handle, delay)
        logger.info(
            "sms send will be retried",
            extra={"message_id": record.message_id, "retry_in": delay, "receives": receives},
        )
        raise


@_queue_consumer("sms_sender")
def sms_sender(event: Any) -> Any:
    """Hands queued texts to their provider; a retryable failure goes back to the queue."""
    return _batch(event, _sms_record)


@_timer("sms_reconciler")
def sms_reconciler(event: Any) -> dict[str, int]:
    """Texts still without a final status after 72 hours become ``unknown``."""
    return {"unknown": services().sms_sender.reconcile()}


def _eum_record(record: Any) -> None:
    """One AWS End User Messaging event: an inbound text, or a delivery report."""
    from chalicelib.adapters import eum

    svc = services()
    try:
        raw = unwrap(record.body)
        if isinstance(raw, dict) and "inboundMessageId" in raw:
            # The app answers keywords itself: the number has self-managed opt-outs on
            # (infra/admin.py eum-numbers), so End User Messaging stays silent. An
            # opt-out or opt-in records its confirmation as owed in the same write;
            # it is sent and settled here (claimed only for such a text: an ordinary
            # one costs no extra request), so a retry of this event sends it if this
            # attempt could not, and never twice.
            text = eum.parse_inbound(raw)
            provider = svc.adapters.providers("eum")
            received = svc.carrier.receive(text, reply_owed=True)
            if received.reply:  # HELP: nothing changed, nothing owed
                provider.send(
                    from_=text.to,
                    to=text.from_,
                    body=received.reply,
                    idempotency_key=f"reply-{text.provider_message_id}",
                )
            if received.reply_owed:
                svc.carrier.send_owed_reply(text.to, text.from_, provider)
            return
        update = eum.parse_delivery_event(raw)
        if update is not None:
            svc.carrier.status(update)
    except ValidationError as error:  # malformed: acknowledge and log, never retry forever
        logger.info(
            "sms event ignored", extra={"reason": error.code, "message_id": record.message_id}
        )


@_queue_consumer("eum_events")
def eum_events(event: Any) -> Any:
    """AWS End User Messaging two-way texts and delivery events (its SNS topic → SQS)."""
    return _batch(event, _eum_record)
