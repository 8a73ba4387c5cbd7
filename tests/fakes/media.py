"""In-memory media store and media fetcher."""

from __future__ import annotations

import copy
from typing import Any


class MemoryMediaStore:
    """Objects in a dict; an upload form names its key and content type as S3's does."""

    bucket = "memory"

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.names: dict[str, str] = {}  # the file name an upload form pinned

    def presigned_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int, filename: str = ""
    ) -> dict[str, Any]:
        self.names[key] = filename
        return {
            "method": "POST",
            "url": "memory://upload",
            "fields": {"key": key, "Content-Type": content_type},
        }

    def describe(self, key: str) -> dict[str, Any] | None:
        stored = self.objects.get(key)
        if stored is None:
            return None
        return {  # not the bytes
            "content_type": stored["content_type"],
            "size": stored["size"],
            "filename": stored.get("filename", self.names.get(key, "")),
        }

    def copy(self, source: str, destination: str) -> None:
        # as S3's CopyObject: the metadata (the pinned file name) comes along
        self.objects[destination] = {
            **copy.deepcopy(self.objects[source]),
            "filename": self.names.get(source, self.objects[source].get("filename", "")),
        }

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = {"content_type": content_type, "size": len(data), "data": data}

    def s3_url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def download_url(self, key: str, expires_in: int, filename: str = "") -> str:
        return f"memory://{key}?expires_in={expires_in}" + (f"&name={filename}" if filename else "")


class MemoryFetcher:
    """Serves inbound media from a dict of url -> (bytes, Content-Type header)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}

    def fetch(self, url: str, max_bytes: int) -> tuple[bytes, str]:
        from chalicelib.domain.errors import ValidationError

        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValidationError("media must come over https", code="media_unavailable")
        if url not in self.files:
            raise ValidationError("the media could not be fetched", code="media_unavailable")
        data, content_type = self.files[url]
        if len(data) > max_bytes:
            raise ValidationError("the media is too large", code="media_too_large")
        return data, content_type.split(";", 1)[0].strip().lower()  # as HTTP reports it
