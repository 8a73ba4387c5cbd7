"""Companies and users."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.cursors import decode_cursor
from chalicelib.adapters.dynamodb.keys import (
    COMPANY_SK,
    PROFILE_SK,
    co_pk,
    user_pk,
    user_sort,
    users_gsi,
)
from chalicelib.adapters.dynamodb.mapping import (
    to_user,
)
from chalicelib.adapters.dynamodb.models import (
    GSI1_KEYS,
    CompanyItem,
    UserItem,
    conditional_failed,
    get_item,
    page_of,
)
from chalicelib.domain.model import (
    Company,
    Page,
    User,
)

# -- repositories -----------------------------------------------------------------


class DynamoDirectoryRepository:
    """Companies and users in the messaging table."""

    def get_company(self, company_id: str) -> Company | None:
        item = get_item(CompanyItem, co_pk(company_id), COMPANY_SK)
        if item is None:
            return None
        return Company(
            company_id=company_id,
            name=item.name,
            default_region=item.default_region,
            sms_enabled=item.sms_enabled is not False,
            im_enabled=item.im_enabled is not False,
            help_text=item.help_text or "",
        )

    def put_company(self, company: Company) -> None:
        CompanyItem(
            co_pk(company.company_id),
            COMPANY_SK,
            name=company.name,
            default_region=company.default_region,
            sms_enabled=company.sms_enabled,
            im_enabled=company.im_enabled,
            help_text=company.help_text,
        ).save()

    def get_user(self, user_id: str) -> User | None:
        item = get_item(UserItem, user_pk(user_id), PROFILE_SK)
        return to_user(item) if item else None

    def get_users(self, user_ids: list[str]) -> dict[str, User]:
        keys = [(user_pk(u), PROFILE_SK) for u in dict.fromkeys(user_ids)]
        if not keys:
            return {}
        return {i.user_id: to_user(i) for i in UserItem.batch_get(keys)}

    def put_user(self, user: User) -> None:
        """Create or update the profile's own fields. Presence, the photo and the
        enabled switch have writers of their own and are never reset here (an admin's
        change of a policy must not wipe a photo, nor re-enable someone offboarded in
        between); ``enabled`` is written only when the profile is new."""
        UserItem(user_pk(user.user_id), PROFILE_SK).update(
            actions=[
                UserItem.company_id.set(user.company_id),
                UserItem.user_id.set(user.user_id),
                UserItem.name.set(user.name),
                UserItem.email.set(user.email),
                UserItem.extension.set(user.extension),
                UserItem.role.set(user.role),
                UserItem.license_type.set(user.license_type),
                UserItem.numbers.set(list(user.numbers)),
                UserItem.sms_enabled.set(user.sms_enabled),
                UserItem.policy_id.set(user.policy_id),
                UserItem.username.set(user.username),
                UserItem.enabled.set(UserItem.enabled | user.enabled),
                UserItem.gsi1pk.set(users_gsi(user.company_id)),
                UserItem.gsi1sk.set(user_sort(user.name, user.user_id)),
            ]
        )

    def set_enabled(self, user_id: str, enabled: bool) -> User | None:
        """Offboard or restore one profile; None when there is no such profile."""
        item = UserItem(user_pk(user_id), PROFILE_SK)
        try:
            item.update(actions=[UserItem.enabled.set(enabled)], condition=UserItem.pk.exists())
        except UpdateError as error:
            if conditional_failed(error):
                return None
            raise
        return to_user(item)  # update() loads every attribute as stored after the change

    def list_users(self, company_id: str, limit: int, cursor: str | None) -> Page[User]:
        start = decode_cursor(cursor, "users", GSI1_KEYS, {"gsi1pk": users_gsi(company_id)})
        items = list(
            UserItem.gsi1.query(users_gsi(company_id), limit=limit + 1, last_evaluated_key=start)
        )
        page, next_cursor = page_of(items, limit, GSI1_KEYS, "users")
        return Page([to_user(i) for i in page], next_cursor)
