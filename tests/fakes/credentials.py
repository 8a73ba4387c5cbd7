"""An in-memory secret store standing in for Secrets Manager (``SecretSource``)."""

from __future__ import annotations

import json
import time
from typing import Any

from chalicelib.adapters.twilio_credentials import CredentialsUnavailable, StoredSecret


class MemorySecretSource:
    """One secret's current value, as text (the way Secrets Manager keeps it); counts
    reads, and ``failing`` makes every read fail as an unreachable store would. ``what``
    names the secret in errors, as ``SecretsManagerSource`` does ("the VAPID secret")."""

    def __init__(
        self,
        values: dict[str, Any] | None = None,
        stored_at: float | None = None,
        what: str = "Twilio",
    ):
        self.what = what
        self.reads = 0
        self.failing = False
        self._text: str | None = None
        self._stored_at = 0.0
        if values is not None:
            self.put(values, stored_at)

    def put(self, values: dict[str, Any] | str, stored_at: float | None = None) -> None:
        """A new current version (a JSON object, or raw text to store as it is)."""
        self._text = values if isinstance(values, str) else json.dumps(values)
        self._stored_at = time.time() if stored_at is None else stored_at

    def read(self) -> StoredSecret:
        self.reads += 1
        if self.failing or self._text is None:
            raise CredentialsUnavailable(f"the {self.what} secret could not be read")
        try:
            values = json.loads(self._text)
        except ValueError:
            values = None
        if not isinstance(values, dict):
            raise CredentialsUnavailable(f"the {self.what} secret is not a JSON object")
        return StoredSecret(values, self._stored_at)
