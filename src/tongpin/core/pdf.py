"""HTML to print-quality PDF with WeasyPrint (Chinese through Debian's Noto CJK fonts). WeasyPrint may read
files from the media folder only: no network, no other files (story HTML must not reach anything else).

Written for WeasyPrint's URLFetcher API (68 and later; `default_url_fetcher` is gone in 70). The versions it is
tested with are the bounds in pyproject.toml.
"""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings


@functools.cache
def _fetcher_class():
    weasyprint_html()  # imports WeasyPrint the careful way first (see there)
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class MediaOnlyFetcher(URLFetcher):
        """Serves `file:` URLs of files inside MEDIA_ROOT and refuses everything else (other files, links out of the
        folder, http(s), ftp, data: URLs). It reads the file itself rather than through urllib's handlers, so
        nothing but the checked path is ever opened. WeasyPrint logs a refusal and leaves the resource out."""

        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            path = media_file(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})

    return MediaOnlyFetcher


def media_file(url: str) -> Path:
    """The file inside MEDIA_ROOT that a `file:` URL names; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise ValueError(f"refused to fetch {url[:80]}")
    root = Path(settings.MEDIA_ROOT).resolve()
    path = Path(url2pathname(parts.path)).resolve()
    if root not in path.parents or not path.is_file():
        raise ValueError(f"refused to fetch {url[:80]}")
    return path


def media_only_fetcher():
    """A new fetcher for one rendering (WeasyPrint keeps per-request state on it)."""
    return _fetcher_class()(timeout=5, allowed_protocols={"file"}, allow_redirects=False)


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
    document = weasyprint_html()(string=html, url_fetcher=media_only_fetcher()).render()
    return document.write_pdf(), len(document.pages)
