"""Accounts: a company admin invites co-workers, offboards them and lets them back;
a person signs one device out.

Invariants:

- An account is a user-pool identity (its ``sub`` is the ``user_id``) plus a directory
  profile in exactly one company. Usernames are unique in the stage, so an invitation
  of a taken username is ``409 username_taken`` whoever holds it; it never says which
  company does.
- Offboarding writes the profile's ``enabled: false`` first: from then on the
  authorizer (whose cached allow lives at most ``AUTHORIZER_TTL_SECONDS``), every
  WebSocket connect and every frame refuse the person; then the pool refuses their
  password and refresh tokens, their devices lose their push registrations and their
  live connections close. Nothing they wrote is deleted; the lines they shared keep
  their other people; a contact-center agent is set offline, so their customers go
  back to the queue. Every step can be repeated, so a retried or half-done offboarding
  completes.
- A retried invitation never makes a second account: the same username and email in
  the same company answers the profile made the first time, and an account the pool
  made whose profile write was lost (never signed in, same email) gets its profile.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.domain.model import User
from chalicelib.observability import logger
from chalicelib.services.commands import InviteUser, SignOut
from chalicelib.services.common import Caller
from chalicelib.services.ports import DirectoryRepository, Identity, IdentityProvider

# The REST authorizer's cache of an answer: a disabled user is refused within this.
AUTHORIZER_TTL_SECONDS = 30

EndSessions = Callable[[str], int]  # user_id -> connections closed
SignOutDevice = Callable[[Caller, str], None]  # forget one device (push, connections)
TakeOffline = Callable[[User], None]  # a contact-center agent's routing status


class AccountService:
    """Invitations, offboarding and sign-out, over the user pool and the directory."""

    def __init__(
        self,
        directory: DirectoryRepository,
        identity: IdentityProvider,
        end_sessions: EndSessions,
        sign_out_device: SignOutDevice,
        take_offline: TakeOffline,
    ) -> None:
        self._directory = directory
        self._identity = identity
        self._end_sessions = end_sessions
        self._sign_out_device = sign_out_device
        self._take_offline = take_offline

    # -- who may --------------------------------------------------------------------

    def _require_admin(self, caller: Caller) -> None:
        """The caller is an admin *now*: the authorizer's cached answer may be up to
        ``AUTHORIZER_TTL_SECONDS`` old, and an admin offboarded (or demoted) in that
        window must not re-enable themselves or invite a way back in. No profile is the
        operator's own tool (``infra.admin``), which no token can reach."""
        if not caller.is_admin:
            raise Forbidden("this needs a company admin", code="admin_only")
        profile = self._directory.get_user(caller.user_id)
        if profile is not None and (not profile.enabled or not profile.is_admin):
            raise Forbidden("this needs a company admin", code="admin_only")

    def _co_worker(self, caller: Caller, user_id: str) -> User:
        user = self._directory.get_user(user_id)
        if user is None or user.company_id != caller.company_id:
            raise NotFound(f"no user {user_id} in your company", code="user_not_found")
        return user

    def _username(self, user: User) -> str | None:
        """The pool's username of a profile; one made before profiles kept it is looked
        up by its ``sub`` (and kept from then on). None: no account in the pool."""
        if user.username:
            return user.username
        found = self._identity.username_of(user.user_id)
        if found is None:
            logger.warning("profile without a user-pool account", extra={"user_id": user.user_id})
            return None
        user.username = found
        self._directory.put_user(user)
        return found

    # -- invitations ----------------------------------------------------------------

    def invite(self, caller: Caller, command: InviteUser) -> tuple[dict[str, Any], bool]:
        """(the profile, whether it is new): the invitation mail goes out once."""
        self._require_admin(caller)
        company = self._directory.get_company(caller.company_id)
        if company is None:
            raise NotFound("no such company", code="not_found")
        inviter = self._directory.get_user(caller.user_id)  # None: the operator's tool
        metadata = {"company_name": company.name}
        if inviter is not None:
            metadata["invited_by"] = inviter.name
        try:
            identity = self._identity.invite(
                command.username, command.email, command.name, metadata
            )
        except Conflict:
            identity, done = self._retried(caller, command)
            if done is not None:
                return done.to_dict(), False
        profile = User(
            user_id=identity.user_id,
            company_id=caller.company_id,
            name=command.name,
            email=command.email,
            role=command.role,
            username=identity.username,
        )
        self._directory.put_user(profile)
        logger.info(
            "user invited",
            extra={"company_id": caller.company_id, "user_id": profile.user_id},
        )
        stored = self._directory.get_user(profile.user_id) or profile
        return stored.to_dict(), True

    def _retried(self, caller: Caller, command: InviteUser) -> tuple[Identity, User | None]:
        """A taken username that is this same invitation, retried: the account (and its
        profile when that was written too); anything else is ``username_taken``."""
        taken = Conflict("that username is taken", code="username_taken")
        found = self._identity.find(command.username)
        if found is None or found.email.lower() != command.email.lower():
            raise taken
        profile = self._directory.get_user(found.user_id)
        if profile is None and found.status == "FORCE_CHANGE_PASSWORD":
            return found, None  # the pool has the account, the profile write was lost
        if profile is not None and profile.company_id == caller.company_id:
            return found, profile
        raise taken

    # -- offboarding ----------------------------------------------------------------

    def disable(self, caller: Caller, user_id: str) -> dict[str, Any]:
        self._require_admin(caller)
        user = self._co_worker(caller, user_id)
        if user.user_id == caller.user_id:
            raise Conflict("you cannot disable yourself", code="cannot_disable_self")
        after = self._directory.set_enabled(user.user_id, False) or user
        username = self._username(user)
        if username is not None:
            self._identity.set_enabled(username, False)
            self._identity.sign_out_everywhere(username)
        closed = self._end_sessions(user.user_id)
        self._take_offline(user)
        logger.info(
            "user disabled",
            extra={"company_id": caller.company_id, "user_id": user_id, "closed": closed},
        )
        return after.to_dict()

    def enable(self, caller: Caller, user_id: str) -> dict[str, Any]:
        self._require_admin(caller)
        user = self._co_worker(caller, user_id)
        if user.user_id == caller.user_id:
            raise Conflict("another admin must enable you", code="cannot_enable_self")
        username = self._username(user)
        if username is not None:
            self._identity.set_enabled(username, True)
        after = self._directory.set_enabled(user.user_id, True) or user
        logger.info("user enabled", extra={"company_id": caller.company_id, "user_id": user_id})
        return after.to_dict()

    # -- one device -----------------------------------------------------------------

    def sign_out(self, caller: Caller, command: SignOut) -> None:
        """This device only: its refresh token revoked, its push registration removed,
        its connections closed. Repeating it is harmless."""
        if command.refresh_token:
            self._identity.revoke(command.refresh_token)
        if command.device_id:
            # NotFound: nothing registered or connected from that device, nothing to end
            with contextlib.suppress(NotFound):
                self._sign_out_device(caller, command.device_id)
