"""Logs, metrics and traces, in one place (Powertools).

- ``logger``: structured JSON logs; level from ``POWERTOOLS_LOG_LEVEL``. Every
  invocation starts with ``begin_invocation`` (the Lambda context, stale keys
  cleared); code appends correlation keys once with ``correlate``: company,
  conversation, message, provider message id. No secrets, no message bodies.
- ``count``/``measure``: CloudWatch metrics as Embedded Metric Format lines in
  the log (no API call), namespace ``Texting``, one line per figure so each can
  carry its own dimensions.
- ``segment``: X-Ray subsegments around handlers; off unless the stage turns
  tracing on (``POWERTOOLS_TRACE_DISABLED=false``) and the code runs in Lambda.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from time import perf_counter
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE = "texting"
NAMESPACE = "Texting"
CORRELATION_KEYS = (
    "company_id",
    "conversation_id",
    "message_id",
    "provider_message_id",
    "interaction_id",
)

logger = Logger(service=SERVICE)
_tracer: Tracer | None = None


def tracer() -> Tracer:
    """Made on first use (it reads the environment): off unless the stage sets
    ``POWERTOOLS_TRACE_DISABLED=false`` (Powertools alone would trace in every
    Lambda by default)."""
    global _tracer
    if _tracer is None:
        enabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").lower() == "false"
        _tracer = Tracer(service=SERVICE, disabled=not enabled)
    return _tracer


def begin_invocation(context: Any, handler: str) -> None:
    """Once per invocation: forget the last one's keys, add the Lambda context."""
    new_record()
    keys: dict[str, Any] = {"handler": handler}
    if context is not None and hasattr(context, "aws_request_id"):
        keys.update(
            function_name=getattr(context, "function_name", ""),
            function_request_id=context.aws_request_id,
            cold_start=_cold_start(),
        )
    logger.append_keys(**keys)


_warm = False


def _cold_start() -> bool:
    global _warm
    cold, _warm = not _warm, True
    return cold


def new_record() -> None:
    """A batch's next record: its correlation keys replace the previous record's."""
    logger.remove_keys(list(CORRELATION_KEYS))


def correlate(**keys: str | None) -> None:
    """Add correlation keys (company, conversation, message, provider id) to every
    log line of this invocation; empty values are skipped."""
    logger.append_keys(**{k: v for k, v in keys.items() if v})


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """One metric figure with its own dimensions (e.g. ``channel="sms"``)."""
    _emit(name, MetricUnit.Count, value, dimensions)


def measure(name: str, milliseconds: float, **dimensions: str) -> None:
    _emit(name, MetricUnit.Milliseconds, milliseconds, dimensions)


@contextmanager
def timed(name: str, **dimensions: str) -> Iterator[None]:
    """Measure the block's duration in milliseconds (also when it raises)."""
    started = perf_counter()
    try:
        yield
    finally:
        measure(name, (perf_counter() - started) * 1000, **dimensions)


def _emit(name: str, unit: MetricUnit, value: float, dimensions: dict[str, str]) -> None:
    """Never fails the work it measures: a metric that cannot be written is logged."""
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        return
    try:
        with single_metric(name=name, unit=unit, value=value, namespace=NAMESPACE) as metric:
            metric.add_dimension(name="service", value=SERVICE)
            for key, dimension in dimensions.items():
                metric.add_dimension(name=key, value=dimension or "none")
    except Exception:
        logger.exception("metric not written", extra={"metric": name})


def segment(name: str) -> AbstractContextManager[object]:
    """An X-Ray subsegment (nothing while tracing is off)."""
    current = tracer()
    return nullcontext() if current.disabled else current.provider.in_subsegment(name)
