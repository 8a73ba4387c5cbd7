"""SNS publisher and API Gateway WebSocket sender.

Both take an optional boto3 client so tests can pass their own; otherwise the
client is created on first use, never at import time.
"""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any
from urllib.parse import quote

from chalicelib.domain.errors import ConnectionGone, PushRejected
from chalicelib.domain.model import Event

_SNS_BATCH = 10  # PublishBatch takes at most ten entries


class SnsEventPublisher:
    """Publishes events to the events topic with ``event_type`` as a message attribute
    (the subscriptions' filter policies route on it)."""

    def __init__(self, topic_arn: str, client: Any = None) -> None:
        self._topic_arn = topic_arn
        self._client = client

    def _sns(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sns")
        return self._client

    def publish(self, events: list[Event]) -> None:
        for start in range(0, len(events), _SNS_BATCH):
            batch = events[start : start + _SNS_BATCH]
            entries = [
                {
                    "Id": str(n),
                    "Message": json.dumps(e.to_dict(), separators=(",", ":")),
                    "MessageAttributes": {
                        "event_type": {"DataType": "String", "StringValue": e.type},
                        "company_id": {"DataType": "String", "StringValue": e.company_id},
                        **{
                            name: {"DataType": "String", "StringValue": value}
                            for name, value in e.attributes.items()
                        },
                    },
                }
                for n, e in enumerate(batch)
            ]
            response = self._sns().publish_batch(
                TopicArn=self._topic_arn, PublishBatchRequestEntries=entries
            )
            failed = response.get("Failed") or []
            if failed:
                raise RuntimeError(f"SNS refused {len(failed)} event(s): {failed[0].get('Code')}")


class ApiGatewayConnectionSender:
    """Posts frames through the API Gateway Management API of the WebSocket API."""

    def __init__(self, endpoint_url: str, client: Any = None) -> None:
        self._endpoint_url = endpoint_url
        self._client = client

    def _api(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            # posts run side by side on the workers' pool: one connection each
            self._client = boto3.client(
                "apigatewaymanagementapi",
                endpoint_url=self._endpoint_url,
                config=Config(max_pool_connections=32),
            )
        return self._client

    def send(self, connection_id: str, frame: dict[str, Any]) -> None:
        api = self._api()
        try:
            api.post_to_connection(
                ConnectionId=connection_id, Data=json.dumps(frame, separators=(",", ":")).encode()
            )
        except api.exceptions.GoneException as exc:
            raise ConnectionGone(f"connection {connection_id} is gone") from exc

    def close(self, connection_id: str) -> None:
        api = self._api()
        with contextlib.suppress(api.exceptions.GoneException):
            api.delete_connection(ConnectionId=connection_id)


class SnsPushGateway:
    """Push through SNS mobile push: one platform endpoint per device token.

    Platform applications (APNs, FCM) are created by the operator with the
    provider credentials; their ARNs come from configuration. Web push tokens are
    FCM web tokens and go through the FCM application.
    """

    _SNS_PLATFORM = {"apns": "APNS", "fcm": "GCM", "webpush": "GCM"}

    def __init__(self, application_arns: dict[str, str], client: Any = None) -> None:
        self._apps = application_arns
        self._client = client

    def _sns(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sns")
        return self._client

    def register(self, platform: str, token: str, user_id: str) -> str:
        app = self._apps.get(platform)
        if not app:
            return ""  # no application configured for this platform: registered, never pushed
        # No per-user attributes: SNS keeps one endpoint per token, and a token can move
        # from one user to another (the service records who owns it now).
        sns = self._sns()
        endpoint = str(
            sns.create_platform_endpoint(PlatformApplicationArn=app, Token=token)["EndpointArn"]
        )
        sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "true"})
        return endpoint

    def unregister(self, endpoint: str) -> None:
        if endpoint:
            self._sns().delete_endpoint(EndpointArn=endpoint)

    def push(self, endpoint: str, platform: str, payload: dict[str, Any], silent: bool) -> None:
        if not endpoint:
            return
        data = {k: v for k, v in payload.items() if k not in ("title", "body")}
        if platform == "apns":
            aps: dict[str, Any] = (
                {"content-available": 1}
                if silent
                else {
                    "alert": {"title": payload["title"], "body": payload["body"]},
                    "sound": "default",
                }
            )
            body = {"APNS": json.dumps({"aps": aps, **data})}
        else:
            fcm: dict[str, Any] = {"data": {k: str(v) for k, v in payload.items()}}
            if not silent:
                fcm["notification"] = {"title": payload["title"], "body": payload["body"]}
            body = {"GCM": json.dumps({"fcmV1Message": {"message": fcm}})}
        body["default"] = payload["body"]
        sns = self._sns()
        try:
            sns.publish(TargetArn=endpoint, Message=json.dumps(body), MessageStructure="json")
        except (
            sns.exceptions.EndpointDisabledException,
            sns.exceptions.NotFoundException,
            sns.exceptions.InvalidParameterException,
        ) as exc:
            raise PushRejected("the device endpoint is disabled or gone") from exc


FILENAME_META = "x-amz-meta-filename"


def encode_filename(filename: str) -> str:
    """S3 metadata travels in HTTP headers (ASCII): the name as base64url of its UTF-8
    (255 characters take at most 1,360, under S3's 2 KB of metadata)."""
    return base64.urlsafe_b64encode(filename.encode()).decode().rstrip("=")


def decode_filename(value: str) -> str:
    if not value:
        return ""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return ""  # not ours: no name rather than a wrong one


class S3MediaStore:
    """Private bucket; uploads by presigned POST, downloads by short-lived presigned GET."""

    def __init__(self, bucket: str, client: Any = None) -> None:
        self._bucket = bucket
        self._client = client

    def _s3(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client("s3", config=Config(signature_version="s3v4"))
        return self._client

    def presigned_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int, filename: str = ""
    ) -> dict[str, Any]:
        fields = {"Content-Type": content_type}
        if filename:  # pinned by the policy: the uploader cannot change it
            fields[FILENAME_META] = encode_filename(filename)
        post = self._s3().generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields=fields,
            Conditions=[
                *({name: value} for name, value in fields.items()),
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires_in,
        )
        return {"method": "POST", "url": post["url"], "fields": post["fields"]}

    def describe(self, key: str) -> dict[str, Any] | None:
        s3 = self._s3()
        try:
            head = s3.head_object(Bucket=self._bucket, Key=key)
        except s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        name = head.get("Metadata", {}).get(FILENAME_META.removeprefix("x-amz-meta-"), "")
        return {
            "content_type": head.get("ContentType", ""),
            "size": int(head["ContentLength"]),
            "filename": decode_filename(name),
        }

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._s3().put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)

    def s3_url(self, key: str) -> str:
        return f"s3://{self._bucket}/{key}"

    def copy(self, source: str, destination: str) -> None:
        self._s3().copy_object(
            Bucket=self._bucket,
            Key=destination,
            CopySource={"Bucket": self._bucket, "Key": source},
        )

    def download_url(self, key: str, expires_in: int, filename: str = "") -> str:
        params = {"Bucket": self._bucket, "Key": key}
        if filename:  # RFC 6266 / 5987: the name in UTF-8, percent-encoded
            params["ResponseContentDisposition"] = (
                f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
            )
        return str(
            self._s3().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
        )


class SqsRetryScheduler:
    """Backs off a failing message by pushing out its visibility timeout."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def delay(self, queue_arn: str, receipt_handle: str, seconds: int) -> None:
        if self._client is None:
            import boto3

            self._client = boto3.client("sqs")
        _, _, _, _, account, name = queue_arn.split(":", 5)
        url = f"{self._client.meta.endpoint_url}/{account}/{name}"
        self._client.change_message_visibility(
            QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
        )
