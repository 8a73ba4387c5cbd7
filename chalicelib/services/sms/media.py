"""Attachments: presigned uploads, pictures and files on IM and SMS messages (with
the carriers' MMS rules), links, inbound media copies."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from chalicelib.domain import sms
from chalicelib.domain.errors import FeatureDisabled, Forbidden, NotFound, ValidationError
from chalicelib.domain.media import (
    FORBIDDEN,
    MAX_MEDIA,
    MEDIA_TYPES,
    MMS_COUNTRIES,
    MMS_NUMBER_TYPES,
    MMS_TYPES,
    Attachment,
    MmsRoute,
    mms_refusal,
)
from chalicelib.domain.model import BusinessNumber, Conversation, Message
from chalicelib.observability import logger
from chalicelib.services.common import Caller
from chalicelib.services.ports import MediaFetcher, MediaStore
from chalicelib.settings import Settings

MEDIA_LINK_SECONDS = 15 * 60  # participants' download links
PROVIDER_MEDIA_SECONDS = 60 * 60  # the provider fetches outbound media within this
UPLOAD_SECONDS = 900


def mms_route(number: BusinessNumber, external_number: str) -> MmsRoute:
    """What the MMS rules need to know of a text's way out."""
    return MmsRoute(
        number=number.e164,
        number_country=number.country,
        number_type=number.type,
        capabilities=tuple(number.capabilities),
        destination_country=sms.classify_destination(external_number).country or "",
    )


def attachments_of(message: Message) -> list[Attachment]:
    return [Attachment(m.get("content_type", ""), int(m.get("size", 0))) for m in message.media]


class SmsMedia:
    """Pictures and files on messages: kept in the bucket, linked for a short while.

    An IM attachment is bounded by ``media_max_bytes`` only; an SMS (MMS) also
    follows the carriers' rules (``chalicelib.domain.media``), checked before the
    message is stored."""

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

    def _require_store(self) -> MediaStore:
        if self._media is None:
            raise FeatureDisabled("attachments are not configured", code="mms_disabled")
        return self._media

    def limits(self) -> dict[str, Any]:
        """What a message may carry, per channel (``GET /media/limits``)."""
        return {
            "im": {
                "content_types": list(MEDIA_TYPES),
                "max_bytes": self._settings.media_max_bytes,
                "max_items": MAX_MEDIA,
            },
            "sms": {
                "content_types": list(MMS_TYPES),
                "max_bytes": self._settings.mms_max_bytes,
                "max_items": MAX_MEDIA,
                "enabled": self._media is not None and self._settings.mms_enabled,
                "countries": list(MMS_COUNTRIES),
                "number_types": list(MMS_NUMBER_TYPES),
            },
        }

    def media_upload(
        self, caller: Caller, content_type: str, size: int, filename: str | None = None
    ) -> dict[str, Any]:
        """A presigned upload for a picture or file to send (expires unless sent); the
        form pins the file name, which the message then carries."""
        store = self._require_store()
        if content_type not in MEDIA_TYPES:
            raise ValidationError(
                f"media must be one of {', '.join(MEDIA_TYPES)}", code="invalid_content_type"
            )
        limit = self._settings.media_max_bytes
        if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= limit:
            raise ValidationError(f"size must be 1 to {limit} bytes", code="media_too_large")
        key = (
            f"uploads/media/{caller.company_id}/{caller.user_id}/"
            f"{int(self._epoch() * 1000)}-{uuid.uuid4().hex[:8]}.{MEDIA_TYPES[content_type]}"
        )
        return {
            "key": key,
            "upload": store.presigned_upload(
                key, content_type, limit, UPLOAD_SECONDS, filename or ""
            ),
            "max_bytes": limit,
            "filename": filename or None,
        }

    def attach(
        self,
        caller: Caller,
        conversation: Conversation,
        number: BusinessNumber | None,
        keys: list[str],
    ) -> list[dict[str, Any]]:
        """The caller's uploads as the message's attachments (copied into the
        conversation); ``number``: the business number of a text (None for an IM),
        whose MMS rules are checked before anything is copied."""
        if keys is None or keys == []:
            return []
        if number is not None and (self._media is None or not self._settings.mms_enabled):
            raise FeatureDisabled("MMS is switched off", code="mms_disabled")
        store = self._require_store()
        if not isinstance(keys, list) or len(keys) > MAX_MEDIA:
            raise ValidationError(
                f"media is a list of at most {MAX_MEDIA} uploads", code="invalid_media"
            )
        if number is not None and "mms" not in number.capabilities:  # before any read
            raise Forbidden(f"{number.e164} cannot send MMS", code="mms_not_supported")
        prefix = f"uploads/media/{caller.company_id}/{caller.user_id}/"
        found = []
        for key in keys:
            item = store.describe(key) if isinstance(key, str) and key.startswith(prefix) else None
            if (
                item is None
                or item["content_type"] not in MEDIA_TYPES
                or item["size"] > self._settings.media_max_bytes
            ):
                raise ValidationError(
                    f"{key} is not one of your uploads of a picture or file", code="invalid_media"
                )
            found.append((key, item))
        if number is not None:
            refusal = mms_refusal(
                mms_route(number, conversation.external_number),
                [Attachment(i["content_type"], i["size"]) for _, i in found],
                self._settings.mms_max_bytes,
            )
            if refusal is not None:
                error = Forbidden if refusal.kind == FORBIDDEN else ValidationError
                raise error(refusal.message, code=refusal.code)
        attached = []
        for key, item in found:
            kept = f"media/{conversation.conversation_id}/{key.rsplit('/', 1)[-1]}"
            store.copy(key, kept)  # out of the expiring uploads/ prefix
            attached.append(
                {
                    "key": kept,
                    "content_type": item["content_type"],
                    "size": item["size"],
                    "filename": item.get("filename") or None,
                }
            )
        return attached

    def media_link(self, message: Message, index: int) -> dict[str, Any]:
        if self._media is None or not 0 <= index < len(message.media) or message.deleted:
            raise NotFound("no such media", code="media_not_found")
        item = message.media[index]
        filename = item.get("filename") or ""
        return {
            "url": self._media.download_url(item["key"], MEDIA_LINK_SECONDS, filename),
            "content_type": item["content_type"],
            "size": item["size"],
            "filename": filename or None,
            "expires_in": MEDIA_LINK_SECONDS,
        }

    def mms_refusal(self, number: BusinessNumber, external_number: str, message: Message) -> str:
        """The code of the MMS rule a queued text breaks now ("" when none): its number
        may have changed while it waited."""
        if not message.media:
            return ""
        if self._media is None or not self._settings.mms_enabled:
            return "mms_disabled"
        refusal = mms_refusal(
            mms_route(number, external_number),
            attachments_of(message),
            self._settings.mms_max_bytes,
        )
        return refusal.code if refusal else ""

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
