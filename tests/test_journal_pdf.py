"""The printed journal with a picture, and the PDF fetcher's refusals (no SSRF or file reads through story HTML)."""

import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tongpin.core.pdf import media_file, render_pdf
from tongpin.newsroom.assets import attach_asset
from tongpin.newsroom.models import Story, StoryStatus
from tongpin.newsroom.publish import publish_story
from tongpin.publishing import journal
from tongpin.publishing.models import JournalIssue

from .conftest import actor, new_story
from .publishing_support import drain, make_channel

pytestmark = pytest.mark.django_db


def _png(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(out, "PNG")
    return out.getvalue()


def _image_count(pdf: bytes) -> int:
    """Distinct pictures in the PDF (WeasyPrint may list one picture in the resources of every page)."""
    from pypdf import PdfReader

    return len({image.data for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images})


def test_a_journal_issue_carries_the_story_picture(users, partners):
    channel = make_channel(users["admin"], "print", "journal", slug="em-journal", partner="em")
    story = new_story(users["reporter"], partner="em", title="防汛演练现场", body_html="<p>演练正文。</p>")
    # The picture is attached before the review: one added after approval sends the story back to review.
    attach_asset(actor(users["reporter"]), story.pk, SimpleUploadedFile("现场 照片.png", _png()), caption="演练现场")
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.APPROVED)
    publish_story(actor(users["desk"]), story.pk, [channel.pk])
    drain()
    rendition = channel.renditions.get()
    assert rendition.fields["images"], "the journal rendition should choose the picture"

    issue = journal.create_issue(actor(users["desk"]), channel, "第1期", "应急管理通讯", "2026-12-01", [rendition.pk])

    issue = JournalIssue.objects.get(pk=issue.pk)
    pdf = issue.pdf.read()
    assert pdf.startswith(b"%PDF") and _image_count(pdf) == 1


def test_the_fetcher_serves_media_files_only(settings, tmp_path, caplog):
    settings.MEDIA_ROOT = tmp_path / "media"
    picture = settings.MEDIA_ROOT / "assets" / "图 1.png"
    picture.parent.mkdir(parents=True)
    picture.write_bytes(_png())
    outside = tmp_path / "secret.png"
    outside.write_bytes(_png((0, 0, 255)))
    (settings.MEDIA_ROOT / "link.png").symlink_to(outside)

    assert media_file(picture.as_uri()) == picture.resolve()
    refused = [
        outside.as_uri(),
        (settings.MEDIA_ROOT / "link.png").as_uri(),  # a link out of the media folder
        (settings.MEDIA_ROOT / "assets" / ".." / ".." / "secret.png").as_uri(),
        picture.as_uri().replace("file://", "file://evil.example", 1),  # a media path on another host
        "http://127.0.0.1:9/latest/meta-data",
        "https://example.com/a.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://127.0.0.1/x.png",
    ]
    for url in refused:
        with pytest.raises(ValueError):
            media_file(url)

    # Rendered: the media picture is drawn, every other source is left out (and logged), nothing crashes.
    html = f'<img src="{picture.as_uri()}">' + "".join(f'<img src="{url}">' for url in refused)
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        pdf, pages = render_pdf(html)
    assert pages == 1 and _image_count(pdf) == 1
    messages = [record.getMessage() for record in caplog.records]
    for url in refused:
        assert any(f"'{url}'" in m and "refused to fetch" in m for m in messages), url
