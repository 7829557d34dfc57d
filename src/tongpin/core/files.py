"""What an uploaded file really is: read from its first bytes (magic numbers), never from the browser's
Content-Type, and refused unless it is an accepted type whose name says the same."""

from pathlib import PurePath

import filetype
from django.utils.translation import gettext as _

from .errors import FieldError, ValidationFailed

# mime type read from the content -> the file name extensions it may carry
ACCEPTED: dict[str, set[str]] = {
    "image/jpeg": {"jpg", "jpeg"},
    "image/png": {"png"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "audio/mpeg": {"mp3"},
    "audio/x-wav": {"wav"},
    "audio/ogg": {"ogg", "oga"},
    "audio/x-flac": {"flac"},
    "audio/mp4": {"m4a"},
    "audio/m4a": {"m4a"},
    "video/mp4": {"mp4", "m4v"},
    "video/quicktime": {"mov"},
    "video/webm": {"webm"},
    "application/pdf": {"pdf"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {"pptx"},
}
TEXT_EXTENSIONS = {"txt"}
HEAD_BYTES = 8192


def refuse(code: str, message: str, location: str = "file") -> ValidationFailed:
    return ValidationFailed(FieldError(code, message, location))


def extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is fine; anything earlier is not text.
        return error.start >= len(head) - 3
    return True


def detect(name: str, head: bytes, accepted: set[str] | None = None, location: str = "file") -> str:
    """The file's mime type, refusing anything not accepted (all of ACCEPTED unless narrowed) or disguised."""
    suffix = extension(name)
    guess = filetype.guess(head)
    if guess is None:
        if suffix in TEXT_EXTENSIONS and _looks_like_text(head):
            return "text/plain"
        raise refuse("unsupported_type", _("无法识别的文件类型，或该类型不允许上传。"), location)
    if guess.mime not in ACCEPTED or (accepted is not None and guess.mime not in accepted):
        raise refuse("unsupported_type", _("不允许上传该类型的文件（%(t)s）。") % {"t": guess.mime}, location)
    if suffix not in ACCEPTED[guess.mime]:
        raise refuse(
            "disguised_file",
            _("文件内容是 %(t)s，与扩展名“.%(e)s”不符，已拒绝。") % {"t": guess.mime, "e": suffix or "?"},
            location,
        )
    return guess.mime


SCAN_TYPES = {"application/pdf", "image/jpeg", "image/png"}


def check_upload(upload, accepted: set[str] = SCAN_TYPES, max_bytes: int = 10 * 1024 * 1024, location: str = "file"):
    """Refuse an upload that is too large or not really one of `accepted` (read from its bytes); rewind it."""
    if upload.size and upload.size > max_bytes:
        raise refuse("too_large", _("文件不能超过 %(n)d MB。") % {"n": max_bytes // (1024 * 1024)}, location)
    detect(upload.name or "", upload.read(HEAD_BYTES), accepted, location)
    upload.seek(0)
    return upload
