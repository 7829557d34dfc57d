"""Assets (素材): an upload is accepted only when its content is what its name says, within size limits.

The type is read from the bytes (magic numbers), never from the browser's Content-Type; images are fully
decoded once (which catches truncated files and decompression bombs) and get a thumbnail.
"""

import hashlib
import io
import uuid
import warnings
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from tongpin.core import audit, files, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from tongpin.core.models import User

from .models import Asset, AssetKind, Story
from .stories import can_edit, get_story, lock_for_change, record_change

# what a detected mime type is filed as; text/plain files are documents
KIND_OF = {"image": AssetKind.IMAGE, "audio": AssetKind.AUDIO, "video": AssetKind.VIDEO}
MAX_IMAGE_PIXELS = 64_000_000
THUMBNAIL_SIZE = (480, 480)



@dataclass(frozen=True)
class Detected:
    mime_type: str
    kind: str


def _refuse(code: str, message: str) -> ValidationFailed:
    return ValidationFailed(FieldError(code, message, "file"))


def detect(name: str, head: bytes) -> Detected:
    """What the file really is (tongpin.core.files), and the kind of asset it makes."""
    mime = files.detect(name, head)
    return Detected(mime, KIND_OF.get(mime.split("/")[0], AssetKind.DOCUMENT))


def _image_facts(data: bytes) -> tuple[int, int, bytes]:
    """Decode the image fully; return width, height and a JPEG thumbnail."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _refuse(
                        "image_too_large",
                        _("图片像素过多（上限 %(n)d 万像素）。") % {"n": MAX_IMAGE_PIXELS // 10_000},
                    )
                image.draft("RGB", THUMBNAIL_SIZE)
                image.load()
                thumb = image.convert("RGB")
                thumb.thumbnail(THUMBNAIL_SIZE)
                out = io.BytesIO()
                thumb.save(out, "JPEG", quality=82)
                return width, height, out.getvalue()
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ) as error:
            raise _refuse("broken_image", _("图片文件已损坏或无法解码。")) from error


def _digest_and_size(upload: UploadedFile) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def attach_asset(actor: Actor, story_id: int, upload: UploadedFile, caption: str = "") -> Asset:
    story = get_story(actor.user, story_id)
    if not (roles.can(actor.user, roles.ASSET_UPLOAD) and can_edit(actor.user, story)):
        raise Forbidden(FieldError("forbidden", _("您没有为这篇稿件上传素材的权限。")))
    name = PurePath((upload.name or "file").replace("\\", "/")).name[:255] or "file"
    if len(caption) > 200:
        raise ValidationFailed(FieldError("too_long", _("说明不能超过 200 个字。"), "caption"))
    head = upload.read(files.HEAD_BYTES)
    upload.seek(0)
    if not head:
        raise _refuse("empty_file", _("文件是空的。"))
    detected = detect(name, head)
    limit = settings.TONGPIN_ASSET_LIMITS[detected.kind]
    if upload.size is not None and upload.size > limit:
        raise _refuse("too_large", _("文件过大：此类文件上限为 %(mb)d MB。") % {"mb": limit // (1024 * 1024)})
    sha256, size = _digest_and_size(upload)
    if size > limit:
        raise _refuse("too_large", _("文件过大：此类文件上限为 %(mb)d MB。") % {"mb": limit // (1024 * 1024)})
    asset = Asset(
        story=story,
        kind=detected.kind,
        mime_type=detected.mime_type,
        original_name=name,
        size=size,
        sha256=sha256,
        caption=caption.strip(),
        uploaded_by=actor.user,
    )
    thumbnail = None
    if detected.kind == AssetKind.IMAGE:
        asset.width, asset.height, thumbnail = _image_facts(upload.read())
        upload.seek(0)
    with transaction.atomic():
        # What goes out with an approved story changes only through review: a new revision, as for the text.
        locked = lock_for_change(story.pk)
        asset.file.save(name, upload, save=False)
        if thumbnail:
            asset.thumbnail.save("thumb.jpg", ContentFile(thumbnail), save=False)
        try:
            asset.save()
            audit.record(
                actor,
                "asset.upload",
                asset,
                {"story": story.pk, "kind": asset.kind, "size": size, "sha256": sha256},
            )
            record_change(actor, locked, "story.asset_add", {"asset": name, "sha256": sha256}, note=_("添加素材"))
        except Exception:
            _remove_files(asset)
            raise
    return asset


def _remove_files(asset: Asset) -> None:
    for field in (asset.file, asset.thumbnail):
        if field:
            field.delete(save=False)


def get_asset(user: User, key: str) -> Asset:
    """The asset if its story is visible to the user; NotFound otherwise."""
    try:
        asset = Asset.objects.select_related("story").filter(key=uuid.UUID(str(key))).first()
    except ValueError:
        asset = None
    if asset is None or not _story_visible(user, asset.story):
        raise NotFound(FieldError("asset_not_found", _("素材不存在或无权查看。")))
    return asset


def _story_visible(user: User, story: Story) -> bool:
    try:
        get_story(user, story.pk)
    except NotFound:
        return False
    return True


def delete_asset(actor: Actor, key: str) -> None:
    asset = get_asset(actor.user, key)
    if not can_edit(actor.user, asset.story):
        raise Forbidden(FieldError("forbidden", _("您没有删除这个素材的权限。")))
    with transaction.atomic():
        locked = lock_for_change(asset.story_id)
        audit.record(actor, "asset.delete", asset, {"story": asset.story_id, "sha256": asset.sha256})
        asset.delete()
        record_change(
            actor, locked, "story.asset_remove", {"asset": asset.original_name, "sha256": asset.sha256},
            note=_("删除素材"),
        )
        transaction.on_commit(lambda: _remove_files(asset))
