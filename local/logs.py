"""Logging set-up shared by the local stack's processes (``local.stack`` and the
consumers' child, ``local.consumers``): people read stdout, logs go to stderr."""

from __future__ import annotations

import logging
import sys

NOISY = ("werkzeug", "botocore", "boto3", "urllib3", "moto", "pynamodb")


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def app_logs_to_stderr() -> None:
    """Powertools loggers write to stdout (CloudWatch on AWS); stdout here is for people."""
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                handler.setStream(sys.stderr)
