"""The parts ``infra.stack.TextingStack`` composes, one construct each.

``data`` (tables, media bucket), ``messaging`` (topics, queues, subscriptions,
the topic key), ``auth`` (Cognito), ``app`` (the Chalice app and its wiring),
``access`` (one least-privilege role per function), ``edge`` (API access logs,
the optional WAF web ACL), ``web`` (the web client on S3 and CloudFront, with
its ``config.json``) and ``monitoring`` (alarms, dashboard).

Every part but ``monitoring`` is a grouping only: ``Part`` marks it so the
stack leaves it out of logical ids, which stay those of the resources it held
before the split (a renamed logical id would replace a deployed resource).
"""

from __future__ import annotations

from constructs import Construct


class Part(Construct):
    """A construct that groups resources without appearing in their logical ids."""
