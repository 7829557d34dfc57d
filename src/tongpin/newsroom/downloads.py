"""HTTP responses for stored files, shared by the pages and the API: never sniffed, never scripted."""

from django.http import FileResponse, Http404

from .models import Asset, AssetKind

INLINE_KINDS = {AssetKind.IMAGE, AssetKind.AUDIO, AssetKind.VIDEO}


def asset_response(asset: Asset, thumbnail: bool = False) -> FileResponse:
    if thumbnail:
        if not asset.thumbnail:
            raise Http404
        field, name, content_type, inline = asset.thumbnail, "thumb.jpg", "image/jpeg", True
    else:
        field, name, content_type = asset.file, asset.original_name, asset.mime_type
        inline = asset.kind in INLINE_KINDS or asset.mime_type == "application/pdf"
    response = FileResponse(field.open("rb"), content_type=content_type, as_attachment=not inline, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response
