import io
import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tongpin.core.models import AuditEvent
from tongpin.newsroom.models import Asset, Story, StoryStatus

from .conftest import new_story

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(width=64, height=48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def upload(client, story_id, name, content, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(
        f"/api/v1/stories/{story_id}/assets",
        {"file": SimpleUploadedFile(name, content), "caption": "说明"},
        **headers,
    )


def test_image_upload_checked_thumbnailed_and_served(users, token_for):
    story = new_story(users["reporter"])
    token = token_for("reporter")
    response = upload(Client(), story.pk, "现场.png", png(), token)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "image" and body["mime_type"] == "image/png" and (body["width"], body["height"]) == (64, 48)
    asset = Asset.objects.get()
    assert asset.file.name.startswith("assets/") and "." not in asset.file.name.rsplit("/", 1)[-1]
    assert asset.thumbnail
    download = Client().get(body["download_url"], HTTP_AUTHORIZATION=f"Bearer {token}")
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == png()
    thumb = Client().get(body["thumbnail_url"], HTTP_AUTHORIZATION=f"Bearer {token}")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert AuditEvent.objects.filter(action="asset.upload").count() == 1


def test_disguised_file_is_refused(users, token_for):
    story = new_story(users["reporter"])
    response = upload(Client(), story.pk, "photo.jpg", PDF, token_for("reporter"))
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "disguised_file"
    assert Asset.objects.count() == 0


@pytest.mark.parametrize(
    "name,content",
    [
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 64),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("notes.txt", b"\x00\x01binary"),
    ],
)
def test_unsupported_content_is_refused(users, token_for, name, content):
    story = new_story(users["reporter"])
    response = upload(Client(), story.pk, name, content, token_for("reporter"))
    assert response.status_code == 422
    assert Asset.objects.count() == 0


def test_plain_text_and_pdf_are_accepted(users, token_for):
    story = new_story(users["reporter"])
    token = token_for("reporter")
    assert upload(Client(), story.pk, "采访提纲.txt", "采访提纲\n一、…".encode(), token).status_code == 201
    pdf = upload(Client(), story.pk, "通知.pdf", PDF, token)
    assert pdf.status_code == 201 and pdf.json()["kind"] == "document"


def test_oversized_is_refused(users, token_for, settings):
    settings.TONGPIN_ASSET_LIMITS = {**settings.TONGPIN_ASSET_LIMITS, "image": 1000}
    story = new_story(users["reporter"])
    response = upload(Client(), story.pk, "big.png", png(400, 400), token_for("reporter"))
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "too_large"


def test_broken_image_and_pixel_bomb_are_refused(users, token_for, monkeypatch):
    story = new_story(users["reporter"])
    token = token_for("reporter")
    broken = png()[:60]
    assert upload(Client(), story.pk, "broken.png", broken, token).json()["errors"][0]["code"] == "broken_image"
    from tongpin.newsroom import assets

    monkeypatch.setattr(assets, "MAX_IMAGE_PIXELS", 100)
    assert upload(Client(), story.pk, "bomb.png", png(), token).json()["errors"][0]["code"] == "image_too_large"


def test_empty_file_refused(users, token_for):
    story = new_story(users["reporter"])
    response = upload(Client(), story.pk, "empty.png", b"", token_for("reporter"))
    assert response.status_code == 422


def test_only_editors_of_the_story_upload(users, token_for):
    story = new_story(users["reporter"])
    assert upload(Client(), story.pk, "a.png", png(), token_for("reporter2")).status_code == 403
    assert upload(Client(), story.pk, "a.png", png(), token_for("duty")).status_code == 403


def test_download_respects_partner_isolation(users, partners, token_for):
    own = new_story(users["reporter"], partner="em")
    other = new_story(users["reporter"], partner="zone")
    token = token_for("reporter")
    key_own = upload(Client(), own.pk, "a.png", png(), token).json()["key"]
    key_other = upload(Client(), other.pk, "b.png", png(), token).json()["key"]
    Story.objects.update(status=StoryStatus.PUBLISHED)
    liaison = token_for("liaison_em")
    assert Client().get(f"/api/v1/assets/{key_own}/download", HTTP_AUTHORIZATION=f"Bearer {liaison}").status_code == 200
    assert (
        Client().get(f"/api/v1/assets/{key_other}/download", HTTP_AUTHORIZATION=f"Bearer {liaison}").status_code == 404
    )
    web = Client()
    web.force_login(users["liaison_em"])
    assert web.get(f"/assets/{key_other}/").status_code == 404
    assert Client().get(f"/assets/{key_own}/").status_code == 302  # anonymous: to the login page


def test_delete_asset_removes_file(users, token_for, django_capture_on_commit_callbacks):
    story = new_story(users["reporter"])
    token = token_for("reporter")
    key = upload(Client(), story.pk, "a.png", png(), token).json()["key"]
    path = Asset.objects.get().file.path
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().delete(f"/api/v1/assets/{key}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 204
    assert Asset.objects.count() == 0
    assert not os.path.exists(path)
    assert AuditEvent.objects.filter(action="asset.delete").count() == 1


def test_asset_list(users, token_for):
    story = new_story(users["reporter"])
    token = token_for("reporter")
    upload(Client(), story.pk, "a.png", png(), token)
    listed = json.loads(
        Client().get(f"/api/v1/stories/{story.pk}/assets", HTTP_AUTHORIZATION=f"Bearer {token}").content
    )
    assert [a["original_name"] for a in listed] == ["a.png"]
