"""User-supplied addresses (issue 20, item 4): only http(s) URLs are stored or put in an href."""

import datetime as dt

import pytest
from django.utils import timezone

from tongpin.analytics import imports
from tongpin.analytics.models import Account, Article, ImportStatus
from tongpin.core.errors import ValidationFailed
from tongpin.core.weblinks import is_web_url
from tongpin.publishing.models import Rendition

from .conftest import actor
from .publishing_support import approved_story, make_channel

HOSTILE = ["javascript:alert(document.cookie)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:x",
           "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "//evil.example/x",
           'https://x.example/"onmouseover="alert(1)']  # fmt: skip


def test_only_http_and_https_urls_pass():
    assert is_web_url("https://mp.weixin.qq.com/s/abc") and is_web_url("http://receiver:8080/hook")
    assert not any(is_web_url(value) for value in HOSTILE)


def test_an_imported_javascript_link_is_refused_and_an_old_one_is_not_rendered(users, client_for):
    Account.objects.create(name="清远发布", platform="wechat")
    header = "账号,标题,链接,发布时间,位置,阅读数,点赞数,在看数,分享数,评论数,数据日期\n"
    row = "清远发布,冬季防火提示,{url},2026-11-17 09:00,1,5600,60,20,80,5,2026-11-23"
    data = (header + row.format(url="javascript:alert(document.cookie)") + "\n").encode()
    refused = imports.run_import(actor(users["editor"]), "wechat", "wx.csv", data)
    assert refused.status != ImportStatus.IMPORTED and not Article.objects.exists()
    assert "http" in str(refused.errors[0])
    # a link stored before the rule (or by any other path) still never becomes an href
    account = Account.objects.get()
    Article.objects.create(account=account, key="old", title="旧文章", url="javascript:alert(1)",
                           published_at=timezone.now(), day=dt.date(2026, 11, 17))  # fmt: skip
    page = client_for("editor").get(f"/analytics/accounts/{account.pk}/").content.decode()
    assert "旧文章" in page and "javascript:" not in page


def test_channel_urls_and_rendition_links_must_be_web_urls(users):
    for url in HOSTILE:
        with pytest.raises(ValidationFailed):
            make_channel(users["admin"], "app", "webhook", slug="hostile", url=url, secret="k")
    from tongpin.newsroom.publish import publish_story
    from tongpin.publishing import services

    channel = make_channel(users["admin"], "app", "file_drop", folder="app")
    story = approved_story(users["reporter"])
    publication = publish_story(actor(users["desk"]), story.pk, [channel.pk], release_now=False)
    rendition = Rendition.objects.get(publication=publication)
    edited = services.edit_rendition(actor(users["editor"]), rendition.pk,
                                     {**rendition.fields, "link": "javascript:alert(1)"})  # fmt: skip
    assert any(f["code"] == "invalid_url" and f["severity"] == "error" for f in edited.findings)
