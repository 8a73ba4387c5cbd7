"""An in-memory user pool, held to the Cognito adapter's behaviour by
tests/adapters/test_identity_contract.py."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace

from chalicelib.domain.errors import Conflict
from chalicelib.services.ports import Identity


class MemoryIdentityProvider:
    def __init__(self) -> None:
        self.accounts: dict[str, Identity] = {}
        self.invitations: list[tuple[str, str, dict[str, str]]] = []  # (username, email, metadata)
        self.signed_out: list[str] = []
        self.revoked: list[str] = []

    def invite(self, username: str, email: str, name: str, metadata: Mapping[str, str]) -> Identity:
        if username in self.accounts:
            raise Conflict("that username is taken", code="username_taken")
        identity = Identity(str(uuid.uuid4()), username, email, "FORCE_CHANGE_PASSWORD", True)
        self.accounts[username] = identity
        self.invitations.append((username, email, dict(metadata)))
        return identity

    def find(self, username: str) -> Identity | None:
        return self.accounts.get(username)

    def username_of(self, user_id: str) -> str | None:
        return next((a.username for a in self.accounts.values() if a.user_id == user_id), None)

    def set_enabled(self, username: str, enabled: bool) -> None:
        if username in self.accounts:
            self.accounts[username] = replace(self.accounts[username], enabled=enabled)

    def sign_out_everywhere(self, username: str) -> None:
        if username in self.accounts:
            self.signed_out.append(username)

    def revoke(self, refresh_token: str) -> None:
        self.revoked.append(refresh_token)
