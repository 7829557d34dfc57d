"""HTTP responses for stored files, shared by the pages and the API: never sniffed, never scripted."""

from django.http import FileResponse, Http404, StreamingHttpResponse

from tongpin.core import audit
from tongpin.core.audit import Actor

from .export import export_rows
from .listing import StoryFilters
from .models import Asset, AssetKind

INLINE_KINDS = {AssetKind.IMAGE, AssetKind.AUDIO, AssetKind.VIDEO}


def asset_response(asset: Asset, actor: Actor, thumbnail: bool = False) -> FileResponse:
    """The asset's file (audited as a download) or its thumbnail (not: lists show hundreds of them)."""
    if thumbnail:
        if not asset.thumbnail:
            raise Http404
        field, name, content_type, inline = asset.thumbnail, "thumb.jpg", "image/jpeg", True
    else:
        field, name, content_type = asset.file, asset.original_name, asset.mime_type
        inline = asset.kind in INLINE_KINDS or asset.mime_type == "application/pdf"
        audit.record_download(actor, asset, asset.original_name, story=asset.story_id)
    response = FileResponse(field.open("rb"), content_type=content_type, as_attachment=not inline, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response


def export_response(actor: Actor, filters: StoryFilters, asked: dict) -> StreamingHttpResponse:
    """The story list as a CSV download; audited once the filters have been accepted."""
    lines = export_rows(actor.user, filters)
    audit.record(actor, "story.export", object_type="newsroom.story", changes={"filters": asked})
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="stories.csv"'
    return response
