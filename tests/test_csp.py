"""Content-Security-Policy (issue 20, item 4): the header on every answer, and templates that need no inline
script or style to work (the browser test in test_browser_csp.py checks real pages in Chromium)."""

import re
from pathlib import Path

from django.test import Client

import tongpin

from .conftest import PASSWORD

TEMPLATES = Path(tongpin.__file__).parent
PDF_ONLY = {"journal_print.html", "report_print.html"}  # rendered by WeasyPrint, never served to a browser


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


def test_every_answer_carries_the_policy(users, client_for, token_for):
    editor = client_for("editor")
    answers = [
        Client().get("/login/"),
        Client().get("/admin/login/"),
        Client().post("/login/", {"username": "editor", "password": PASSWORD}),
        editor.get("/"),
        editor.get("/stories/"),
        editor.get("/no-such-page/"),
        editor.get("/healthz"),
        Client().get("/api/v1/stories", HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}"),
    ]
    for answer in answers:
        policy = _directives(answer["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], answer
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert policy["default-src"] == ["'self'"]


def test_asset_downloads_keep_their_own_sandbox_policy(users, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tongpin.newsroom.assets import attach_asset

    from .conftest import actor, new_story

    story = new_story(users["reporter"])
    pdf = SimpleUploadedFile("说明.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    asset = attach_asset(actor(users["reporter"]), story.pk, pdf)
    answer = client_for("reporter").get(f"/api/v1/assets/{asset.key}/download")
    assert "sandbox" in answer["Content-Security-Policy"]


def test_no_template_relies_on_inline_script_handlers_or_styles():
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    inline_script = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
    found = []
    for path in TEMPLATES.rglob("templates/**/*.html"):
        if path.name in PDF_ONLY:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern, what in ((handler, "event handler"), (inline_script, "inline script"),
                              (re.compile(r'\sstyle\s*="'), "style attribute"),
                              (re.compile(r"<style", re.IGNORECASE), "style element")):  # fmt: skip
            if pattern.search(text):
                found.append(f"{path.relative_to(TEMPLATES)}: {what}")
    assert found == []
