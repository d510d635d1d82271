"""Store an uploaded file: streamed to disk, size-capped, type checked by content, atomically named."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import BinaryIO

from publicdata.errors import ValidationFailed

CHUNK = 1024 * 1024

# Magic numbers of the document types we accept; extensions alone are never trusted.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
)
_EXTENSIONS = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "application/zip": {".zip", ".xlsx", ".docx"},
    "text/plain": {".csv", ".tsv", ".txt", ".json", ".jsonl", ".geojson", ".xml", ".md"},
}


@dataclass(frozen=True)
class StoredFile:
    path: Path
    size: int
    sha256: str
    media_type: str
    original_name: str


def sniff_media_type(head: bytes) -> str | None:
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    if b"\x00" not in head and _decodes_as_text(head):
        return "text/plain"
    return None


def _decodes_as_text(head: bytes) -> bool:
    # The head may end inside a multi-byte character, so allow a short undecodable tail.
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3:
                return True
    return False


def safe_filename(name: str) -> str:
    """The last path component, without control characters; never empty."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned[:150] or "upload"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks (hashlib releases the GIL: it can run beside other work)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store_upload(
    stream: BinaryIO,
    *,
    directory: Path,
    filename: str,
    allowed_types: set[str],
    max_bytes: int,
) -> StoredFile:
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            head = b""
            while chunk := stream.read(CHUNK):
                if not head:
                    head = chunk[:4096]
                size += len(chunk)
                if size > max_bytes:
                    raise ValidationFailed(
                        f"the file is larger than {max_bytes // (1024 * 1024)} MB",
                        message_zh=f"文件超过 {max_bytes // (1024 * 1024)} MB 上限",
                        code="file_too_large",
                        status_code=413,
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise ValidationFailed("the file is empty", message_zh="文件为空", code="empty_file")
        media_type = sniff_media_type(head)
        if media_type not in allowed_types:
            raise ValidationFailed(
                "the file type is not accepted (allowed: " + ", ".join(sorted(allowed_types)) + ")",
                message_zh="不支持的文件类型",
                code="unsupported_file_type",
                details={"detected": media_type},
            )
        suffix = PurePath(safe_filename(filename)).suffix.lower()
        if suffix and suffix not in _EXTENSIONS.get(media_type, set()):
            raise ValidationFailed(
                f"the file's content ({media_type}) does not match its extension '{suffix}'",
                message_zh="文件内容与扩展名不符",
                code="file_type_mismatch",
            )
        final = directory / f"{digest.hexdigest()}{suffix or ''}"
        os.replace(temp_name, final)
        return StoredFile(final, size, digest.hexdigest(), media_type, safe_filename(filename))
    except BaseException:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        raise
