"""File drop: each send is a JSON file written atomically into a folder under TONGPIN_OUTBOX.

The file is named by the idempotency key, so a repeated send rewrites the same file instead of adding one;
a reader never sees half a file (written to a temporary name, flushed, then renamed).
"""

import os
import tempfile
from pathlib import Path

from django.conf import settings as django_settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..plugins import Outcome, Parcel, PermanentError, Setting, TemporaryError, Transmitter, register_transmitter
from .payload import payload_bytes


def drop_folder(name: str) -> Path:
    """The folder a channel writes to, always inside the outbox root (no absolute paths, no `..`)."""
    root = Path(django_settings.TONGPIN_OUTBOX).resolve()
    folder = (root / (name or "").strip()).resolve()
    if not (name or "").strip() or folder == root or root not in folder.parents:
        raise PermanentError(_("投递目录必须是发件箱下的子目录名。"), "bad_folder")
    return folder


def write_atomically(folder: Path, filename: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / filename
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


@register_transmitter
class FileDrop(Transmitter):
    name = "file_drop"
    label = gettext_lazy("文件投递")
    supports_withdraw = True
    settings = (
        Setting("folder", gettext_lazy("目录"), required=True, help=gettext_lazy("发件箱（TONGPIN_OUTBOX）下的子目录")),
    )

    def send(self, parcel: Parcel) -> Outcome:
        folder = drop_folder(parcel.settings.get("folder", ""))
        try:
            target = write_atomically(folder, f"{parcel.idempotency_key}.json", payload_bytes(parcel))
        except OSError as error:
            raise TemporaryError(_("写入失败：%(e)s") % {"e": error.strerror or error}, "io_error") from error
        return Outcome(remote_ref=target.name)

    def withdraw(self, parcel: Parcel) -> Outcome:
        folder = drop_folder(parcel.settings.get("folder", ""))
        published = folder / parcel.remote_ref if parcel.remote_ref else None
        try:
            if published is not None and published.resolve().parent == folder:
                published.unlink(missing_ok=True)
            write_atomically(folder, f"{parcel.idempotency_key}.json", payload_bytes(parcel))
        except OSError as error:
            raise TemporaryError(_("写入失败：%(e)s") % {"e": error.strerror or error}, "io_error") from error
        return Outcome()

    def check_settings(self, values: dict) -> list[tuple[str, str]]:
        try:
            drop_folder(values.get("folder", ""))
        except PermanentError as error:
            return [("folder", error.message)]
        return []
