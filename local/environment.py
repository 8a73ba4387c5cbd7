"""Point every AWS SDK call of this process at the local moto server.

botocore (and so boto3, PynamoDB and Powertools) honours ``AWS_ENDPOINT_URL``
for every client, so setting the environment before the first client is
created is enough: the app code runs unchanged. Anything from the developer's
own AWS setup (profiles, config files, per-service endpoints, session tokens)
is removed so the local stack can never reach a real account.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

REGION = "us-east-1"

# Values that would send requests elsewhere or sign them with real credentials.
_REMOVE_PREFIXES = ("AWS_ENDPOINT_URL_",)
_REMOVE = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


def use_local_aws(
    endpoint_url: str, region: str = REGION, env: MutableMapping[str, str] | None = None
) -> None:
    """Make ``endpoint_url`` the only AWS this process talks to."""
    env = os.environ if env is None else env
    for name in list(env):
        if name in _REMOVE or name.startswith(_REMOVE_PREFIXES):
            del env[name]
    for name in ("NO_PROXY", "no_proxy"):  # loopback never goes through a proxy
        hosts = [h for h in env.get(name, "").split(",") if h]
        env[name] = ",".join(dict.fromkeys([*hosts, "127.0.0.1", "localhost"]))
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "AWS_EC2_METADATA_DISABLED": "true",
            # Ignore ~/.aws: its region, endpoints or credential processes must not leak in.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )


def use_app_settings(
    *,
    prefix: str,
    events_topic_arn: str,
    websocket_management_url: str,
    user_pool_id: str,
    client_id: str,
    jwks_url: str,
    env: MutableMapping[str, str] | None = None,
) -> None:
    """The environment ``chalicelib.settings.Settings.from_env`` reads, as on Lambda."""
    env = os.environ if env is None else env
    env.update(
        {
            "STAGE": "local",
            "RESOURCE_PREFIX": prefix,
            "EVENTS_TOPIC_ARN": events_topic_arn,
            "WEBSOCKET_MANAGEMENT_URL": websocket_management_url,
            "COGNITO_USER_POOL_ID": user_pool_id,
            "COGNITO_CLIENT_ID": client_id,
            "COGNITO_JWKS_URL": jwks_url,
            "POWERTOOLS_SERVICE_NAME": "texting",
        }
    )


def use_in_process_moto(quiet: bool = False, env: MutableMapping[str, str] | None = None) -> None:
    """For a process that runs moto in itself (``mock_aws``), as the benchmarks do:
    fake credentials and the region, no endpoint (moto intercepts the SDK's calls),
    and with ``quiet`` Powertools' metrics off and its logs at WARNING, so the
    figures a benchmark prints are not drowned."""
    env = os.environ if env is None else env
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )
    env.pop("AWS_ENDPOINT_URL", None)
    if quiet:
        env.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"})


POOL_CONNECTIONS = 64


def wide_connection_pools(size: int = POOL_CONNECTIONS) -> None:
    """Let every botocore client (PynamoDB's too) of this process keep ``size``
    connections open, not 10. A Lambda container runs one request at a time, so 10
    is plenty there; the local stack's process runs its handlers, the fan-out's
    workers and the pollers side by side over the same clients, and past 10 each
    request opens a connection to moto and throws it away ("Connection pool is
    full"). Call before the first client is made."""
    from botocore.config import Config
    from pynamodb import settings

    Config.OPTION_DEFAULTS["max_pool_connections"] = size
    settings.default_settings_dict["max_pool_connections"] = size
