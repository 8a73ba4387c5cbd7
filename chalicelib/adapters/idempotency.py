"""Run a piece of work once per key, across retries and redeliveries.

The real adapter is Powertools' idempotency utility over the idempotency table
(INPROGRESS → COMPLETED records with expiry, so a crash mid-way lets a retry in
once the in-progress record expires). Its fake is in tests/fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class PowertoolsDeduplicator:
    """Powertools idempotency over the idempotency table (implements ``Deduplicator``)."""

    def __init__(self, table_name: str, ttl_seconds: int, client: Any = None) -> None:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
        )

        self._store = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
        self._config = IdempotencyConfig(
            event_key_jmespath="key",
            expires_after_seconds=ttl_seconds,
            raise_on_no_idempotency_key=True,
        )
        from aws_lambda_powertools.utilities.idempotency import idempotent_function

        # Only ``claim`` is hashed into the idempotency key; the work travels as an
        # argument (not instance state) so concurrent callers never see each other's.
        @idempotent_function(
            data_keyword_argument="claim", persistence_store=self._store, config=self._config
        )
        def _once(claim: dict[str, str], work: Callable[[], Any]) -> Any:
            return work()

        self._once = _once

    def register_lambda_context(self, context: Any) -> None:
        """Lets an in-progress record expire with the invocation that wrote it."""
        if context is not None and hasattr(context, "get_remaining_time_in_millis"):
            self._config.register_lambda_context(context)

    def run_once(self, key: str, work: Callable[[], Any]) -> Any:
        return self._once(claim={"key": key}, work=work)
