"""HTML to print-quality PDF with WeasyPrint (Chinese through Debian's Noto CJK fonts). WeasyPrint may read
files from the media folder only: no network, no other files."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def media_only_fetcher(url: str, *args, **kwargs):
    from weasyprint.urls import default_url_fetcher

    root = Path(settings.MEDIA_ROOT).resolve()
    if url.startswith("file://"):
        path = Path(url.removeprefix("file://")).resolve()
        if root in path.parents:
            return default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"refused to fetch {url[:80]}")


def weasyprint_html():
    """WeasyPrint's HTML class. Importing WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES; put it back,
    or every image uploaded afterwards in this process would be decoded leniently and broken files accepted."""
    from PIL import ImageFile

    strict = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = strict
    return HTML


def render_pdf(html: str) -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    document = weasyprint_html()(string=html, url_fetcher=media_only_fetcher).render()
    return document.write_pdf(), len(document.pages)
