"""MMS: presigned uploads, attachments on outbound texts, links, inbound media copies."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from chalicelib.domain import sms
from chalicelib.domain.errors import FeatureDisabled, Forbidden, NotFound, ValidationError
from chalicelib.domain.model import BusinessNumber, Conversation, Message
from chalicelib.observability import logger
from chalicelib.services.common import Caller
from chalicelib.services.ports import MediaFetcher, MediaStore
from chalicelib.settings import Settings

MEDIA_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "application/pdf": "pdf",
}
MAX_MEDIA = 10
MEDIA_LINK_SECONDS = 15 * 60  # participants' download links
PROVIDER_MEDIA_SECONDS = 60 * 60  # the provider fetches outbound media within this


class SmsMedia:
    """Pictures and PDFs on texts: kept in the bucket, linked for a short while."""

    def __init__(
        self,
        media: MediaStore | None,
        fetcher: MediaFetcher | None,
        settings: Settings,
        epoch: Callable[[], float] = time.time,
    ) -> None:
        self._media = media
        self._fetcher = fetcher
        self._settings = settings
        self._epoch = epoch

    def media_upload(self, caller: Caller, content_type: str, size: int) -> dict[str, Any]:
        """A presigned upload for a picture or PDF to send (expires unless sent)."""
        if self._media is None or not self._settings.mms_enabled:
            raise FeatureDisabled("MMS is switched off", code="mms_disabled")
        if content_type not in MEDIA_TYPES:
            raise ValidationError(
                f"media must be one of {', '.join(MEDIA_TYPES)}", code="invalid_content_type"
            )
        limit = self._settings.mms_max_bytes
        if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= limit:
            raise ValidationError(f"size must be 1 to {limit} bytes", code="media_too_large")
        key = (
            f"uploads/media/{caller.company_id}/{caller.user_id}/"
            f"{int(self._epoch() * 1000)}-{uuid.uuid4().hex[:8]}.{MEDIA_TYPES[content_type]}"
        )
        return {
            "key": key,
            "upload": self._media.presigned_upload(key, content_type, limit, 900),
            "max_bytes": limit,
        }

    def attach(
        self, caller: Caller, conversation: Conversation, number: BusinessNumber, keys: list[str]
    ) -> list[dict[str, Any]]:
        if keys is None or keys == []:
            return []
        if self._media is None or not self._settings.mms_enabled:
            raise FeatureDisabled("MMS is switched off", code="mms_disabled")
        if "mms" not in number.capabilities:
            raise Forbidden(f"{number.e164} cannot send MMS", code="mms_not_supported")
        if not isinstance(keys, list) or len(keys) > MAX_MEDIA:
            raise ValidationError(
                f"media is a list of at most {MAX_MEDIA} uploads", code="invalid_media"
            )
        prefix = f"uploads/media/{caller.company_id}/{caller.user_id}/"
        attached = []
        for key in keys:
            found = (
                self._media.describe(key)
                if isinstance(key, str) and key.startswith(prefix)
                else None
            )
            if (
                found is None
                or found["content_type"] not in MEDIA_TYPES
                or found["size"] > self._settings.mms_max_bytes
            ):
                raise ValidationError(
                    f"{key} is not one of your uploads of a picture or PDF", code="invalid_media"
                )
            kept = f"media/{conversation.conversation_id}/{key.rsplit('/', 1)[-1]}"
            self._media.copy(key, kept)  # out of the expiring uploads/ prefix
            attached.append(
                {"key": kept, "content_type": found["content_type"], "size": found["size"]}
            )
        return attached

    def media_link(self, message: Message, index: int) -> dict[str, Any]:
        if self._media is None or not 0 <= index < len(message.media) or message.deleted:
            raise NotFound("no such media", code="media_not_found")
        item = message.media[index]
        return {
            "url": self._media.download_url(item["key"], MEDIA_LINK_SECONDS),
            "content_type": item["content_type"],
            "size": item["size"],
            "expires_in": MEDIA_LINK_SECONDS,
        }

    def provider_media(self, number: BusinessNumber, message: Message) -> list[str]:
        if not message.media or self._media is None:
            return []
        if number.provider == "eum":  # End User Messaging reads from S3 itself
            return [self._media.s3_url(m["key"]) for m in message.media]
        return [self._media.download_url(m["key"], PROVIDER_MEDIA_SECONDS) for m in message.media]

    def copy_inbound(self, conversation_id: str, text: sms.InboundSms) -> list[dict[str, Any]]:
        """Inbound media is copied into the bucket so it outlives the provider's copy."""
        if not text.media or self._media is None or self._fetcher is None:
            return []
        kept = []
        for n, media in enumerate(text.media[:MAX_MEDIA]):
            try:
                data, content_type = self._fetcher.fetch(media.url, self._settings.mms_max_bytes)
            except ValidationError as error:
                logger.info(
                    "inbound media skipped",
                    extra={"reason": error.code, "provider_message_id": text.provider_message_id},
                )
                continue
            content_type = media.content_type or content_type
            ext = MEDIA_TYPES.get(content_type, "bin")
            key = f"media/{conversation_id}/{text.provider}-{text.provider_message_id}-{n}.{ext}"
            self._media.put(key, data, content_type)
            kept.append({"key": key, "content_type": content_type, "size": len(data)})
        return kept
