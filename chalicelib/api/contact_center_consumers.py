"""The contact center's routing consumer: routing work and timers from its SQS queue.

Partial batch failures (Powertools): one failing message is retried alone, and
lands in the queue's DLQ after ``CC_ROUTING_QUEUE.max_receive_count`` receives.
Every handler is safe to repeat (conditional writes on the interaction's version).
"""

from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib import resources
from chalicelib.api.consumers import _batch
from chalicelib.bootstrap import services

contact_center_consumers_bp = Blueprint(__name__)

_SPEC = resources.consumer("cc_routing")


def _routing_record(record: Any) -> None:
    contact_center = services().contact_center
    if contact_center is None:
        return
    contact_center.handle(json.loads(record.body))


@contact_center_consumers_bp.on_sqs_message(
    queue=resources.placeholder_queue(_SPEC.source), name="cc_routing", batch_size=_SPEC.batch_size
)
def cc_routing(event: Any) -> Any:
    return _batch(event, _routing_record)
