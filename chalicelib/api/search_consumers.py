"""The search index's consumers: the table stream's indexer and the health timer.

The indexer is the stream's second reader (the outbox is the first). It writes a
whole batch in one bulk request; a write the engine keeps refusing goes to the
``search-failures`` queue for redrive, so the batch is acknowledged and one bad
document never holds the shard. Lag (record written → searchable) and failures are
metrics; ``search_health`` reports the index's state every five minutes.
"""

from __future__ import annotations

import time
from typing import Any

from chalice import Blueprint

from chalicelib import resources
from chalicelib.bootstrap import services
from chalicelib.observability import count, logger, measure

search_consumers_bp = Blueprint(__name__)
_INDEXER = resources.consumer("search_indexer")


@search_consumers_bp.on_dynamodb_record(
    stream_arn=resources.placeholder_stream_arn(_INDEXER.source),
    name="search_indexer",
    batch_size=_INDEXER.batch_size,
    starting_position="TRIM_HORIZON",  # writes are idempotent (by message id): a replay only rewrites
)
def search_indexer(event: Any) -> dict[str, Any]:
    """One stream batch → one bulk write (nothing when search is off on the stage)."""
    from chalicelib.adapters.dynamodb.search_stream import search_change

    indexer = services().search_indexer
    if indexer is None:
        return {"batchItemFailures": []}
    records = event.to_dict().get("Records", [])
    changes = [change for change in (search_change(r) for r in records) if change is not None]
    if not changes:
        return {"batchItemFailures": []}
    written = indexer.apply(changes)
    if written:
        oldest = min(
            float(r.get("dynamodb", {}).get("ApproximateCreationDateTime", time.time()))
            for r in records
        )
        measure("SearchIndexLag", max(0.0, (time.time() - oldest) * 1000))
        count("SearchDocumentsWritten", written)
    else:
        count("SearchIndexFailures", len(changes))
        logger.warning("search index writes kept for redrive", extra={"messages": len(changes)})
    return {"batchItemFailures": []}


@search_consumers_bp.schedule(
    resources.rate_expression(resources.schedule("search_health").every_seconds),
    name="search_health",
)
def search_health(event: Any) -> dict[str, Any]:
    """The index's health (1 green or yellow, 0 otherwise) and its documents, as
    metrics; with SearchIndexFailures (the indexer's) they are the alarms' inputs."""
    index = services().adapters.search_index
    if index is None:
        return {"enabled": False}
    health = index.health()
    count("SearchIndexHealthy", 1 if health.status in ("green", "yellow") else 0)
    count("SearchDocuments", health.documents)
    return {"status": health.status, "documents": health.documents}
