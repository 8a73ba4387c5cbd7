"""The operator's account commands (``infra.admin``): invite, disable and enable
people on a deployed stage through the same service the API's admin routes call, so
an invitation, an offboarding and its effects (sessions ended, pushes removed, the
authorizer refusing within 30 s) are the same whoever starts them.

The operator acts as an admin of the person's company (``OPERATOR`` is no profile:
the invitation then names no inviter)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

from chalicelib.services.commands import InviteUser
from chalicelib.services.common import Caller

if TYPE_CHECKING:
    from chalicelib.bootstrap import Services
    from infra.admin import Stage

OPERATOR = "operator"


def services(session: boto3.session.Session, stage: Stage) -> Services:
    """The app's services on the stage's resources, with the operator's credentials."""
    from chalicelib import bootstrap
    from chalicelib.settings import Settings

    boto3.DEFAULT_SESSION = session  # the adapters' clients use the operator's profile
    return bootstrap.bootstrap(Settings.from_env(environment(stage)))


def environment(stage: Stage) -> dict[str, str]:
    """What the stage's functions are given (``infra.parts.app``), rebuilt from the
    stack's outputs: the same tables, topics, queues and bucket, the same flags."""
    from chalicelib import resources
    from infra.naming import camel, env_name

    env = {
        "AWS_REGION": stage.region,
        "STAGE": stage.config.name,
        "RESOURCE_PREFIX": stage.config.prefix,
        **stage.config.environment(),
        "MESSAGING_TABLE": stage.table_name,
        "COGNITO_USER_POOL_ID": stage.user_pool_id,
        "COGNITO_CLIENT_ID": stage.client_id,
        "WEBSOCKET_MANAGEMENT_URL": stage.websocket_management_url,
    }
    kinds = (
        (resources.TABLES, "TableName", "TABLE"),
        (resources.TOPICS, "TopicArn", "TOPIC_ARN"),
        (resources.QUEUES, "QueueUrl", "QUEUE_URL"),
        (resources.BUCKETS, "BucketName", "BUCKET"),
    )
    for declared, output, kind in kinds:
        for resource in declared:
            value = stage.outputs.get(f"{camel(resource.logical)}{output}")
            if value:
                env[env_name(resource.logical, kind)] = value
    return env


def _as_admin_of(svc: Services, user_id: str) -> Caller:
    user = svc.adapters.directory.get_user(user_id)
    if user is None:
        raise SystemExit(f"no user {user_id!r} on this stage")
    return Caller(user_id=OPERATOR, company_id=user.company_id, role="admin")


def invite(svc: Services, company_id: str, command: InviteUser) -> dict[str, Any]:
    if svc.adapters.directory.get_company(company_id) is None:
        raise SystemExit(f"no company {company_id!r} on this stage")
    caller = Caller(user_id=OPERATOR, company_id=company_id, role="admin")
    user, _ = svc.accounts.invite(caller, command)
    return user


def disable(svc: Services, user_id: str) -> dict[str, Any]:
    return svc.accounts.disable(_as_admin_of(svc, user_id), user_id)


def enable(svc: Services, user_id: str) -> dict[str, Any]:
    return svc.accounts.enable(_as_admin_of(svc, user_id), user_id)
