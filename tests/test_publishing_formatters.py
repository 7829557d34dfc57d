"""Formatters: each channel kind's limits, escaping and Chinese text handling."""

import pytest

from tongpin.publishing.checks import check_fields
from tongpin.publishing.plugins import FORMATTERS, Content
from tongpin.publishing.text import fit, hashtags, reading_seconds, sms_segments

pytestmark = pytest.mark.django_db  # checks include the database-backed proofreading rules

LONG = "应急管理部门今天发布防汛提示，请沿河群众注意安全。" * 200  # 5,000 characters


def content(**fields) -> Content:
    values = {
        "source_type": "story",
        "source_id": 1,
        "version": 1,
        "title": "省应急管理厅部署防汛工作",
        "summary": "今年入汛以来，全省降雨偏多。",
        "body_html": "<p>第一段。</p><p>第二段<script>alert(1)</script>。</p>",
        "body_text": "第一段。\n第二段。",
        "tags": ["防汛", "应急管理", "防汛"],
    }
    values.update(fields)
    return Content(**values)


def errors(kind: str, fields: dict, settings: dict | None = None) -> list[str]:
    return [f["code"] for f in check_fields(kind, fields, settings or {}) if f["severity"] == "error"]


def test_fit_prefers_a_sentence_end_and_never_exceeds_the_limit():
    text = "第一句话说完了。第二句话很长很长很长很长很长很长很长"
    assert fit(text, 10) == "第一句话说完了。"
    cut = fit("一二三四五六七八九十" * 3, 10)
    assert len(cut) == 10 and cut.endswith("…")
    assert fit("短", 10) == "短"


def test_sms_segments_follow_ucs2_sizes():
    assert sms_segments("字" * 70) == ["字" * 70]
    parts = sms_segments("字" * 71)
    assert [len(p) for p in parts] == [67, 4]
    assert sms_segments("") == []


def test_hashtags_styles_and_dedupe():
    assert hashtags(["防汛", "防 汛", "#应急#"], "weibo") == ["#防汛#", "#应急#"]
    assert hashtags(["防汛", "应急"], "douyin") == ["#防汛", "#应急"]


def test_reading_time_counts_spoken_characters_only():
    assert reading_seconds("一" * 240, 240) == 60
    assert reading_seconds("一，二。三！" * 40, 240) == 30
    assert reading_seconds("", 240) == 0


def test_wechat_article_keeps_its_html_subset_and_digest_limit():
    fields = FORMATTERS["wechat"].render(
        content(summary=LONG, body_html='<p onclick="x()">正文<a href="http://e.com">链</a></p><script>1</script>'), {}
    )
    assert len(fields["digest"]) <= 120
    assert "<script" not in fields["content"] and "onclick" not in fields["content"] and "<a" not in fields["content"]
    assert fields["content"].startswith("<p>正文")
    # no cover image and no default cover: refused with a reason
    assert "no_cover" in errors("wechat", fields)
    assert "no_cover" not in errors("wechat", fields, {"default_cover_media_id": "M1"})
    fields["digest"] = "摘" * 121
    assert "too_long" in errors("wechat", fields, {"default_cover_media_id": "M1"})


def test_weibo_post_fits_2000_characters_with_hashtags_in_front():
    fields = FORMATTERS["weibo"].render(content(summary="", body_text=LONG, link="https://tv.example/s/1"), {})
    assert len(fields["text"]) <= 2000
    assert fields["text"].startswith("#防汛##应急管理#【省应急管理厅部署防汛工作】")
    assert fields["text"].endswith("https://tv.example/s/1")
    assert errors("weibo", fields) == []
    fields["images"] = [f"{i}.jpg" for i in range(10)]
    assert "too_many" in errors("weibo", fields)


def test_weibo_post_names_each_topic_once():
    """A topic the reporter already wrote into the text or title is not put in front again; the others still are."""
    fields = FORMATTERS["weibo"].render(content(summary="#防汛#今年入汛以来，全省降雨偏多。"), {})
    assert fields["text"].count("#防汛#") == 1
    assert fields["text"].startswith("#应急管理#【省应急管理厅部署防汛工作】#防汛#今年入汛以来")
    titled = FORMATTERS["weibo"].render(content(title="#应急管理#省应急管理厅部署防汛工作"), {})
    assert titled["text"].count("#应急管理#") == 1 and titled["text"].count("#防汛#") == 1
    assert titled["hashtags"] == ["#防汛#", "#应急管理#"]  # every topic still listed, once


def test_weibo_post_keeps_a_topic_that_cutting_the_text_lost():
    fields = FORMATTERS["weibo"].render(content(summary=LONG + "#防汛#"), {})
    assert len(fields["text"]) <= 2000
    assert fields["text"].count("#防汛#") == 1 and fields["text"].startswith("#防汛##应急管理#【")


def test_douyin_title_is_at_most_30_characters():
    fields = FORMATTERS["douyin"].render(content(title="标" * 50), {})
    assert len(fields["title"]) <= 30 and len(fields["hashtags"]) <= 5


def test_tv_script_estimates_its_duration_and_fits_the_slot():
    body = "\n".join(["这是一段新闻口播稿，讲述防汛工作的最新进展。"] * 30)
    fields = FORMATTERS["tv"].render(content(summary="", body_text=body), {"chars_per_minute": 240, "slot_seconds": 60})
    assert fields["seconds"] <= 60 and fields["script"]
    fields["script"] = "长" * 600
    found = check_fields("tv", fields, {"chars_per_minute": 240, "slot_seconds": 60})
    assert any(f["code"] == "over_slot" and f["severity"] == "warning" for f in found)
    assert fields["seconds"] == 150


def test_app_push_limits():
    fields = FORMATTERS["app"].render(content(title="标" * 40, summary=LONG), {})
    assert len(fields["title"]) <= 20 and len(fields["body"]) <= 50
    fields["title"] = "标" * 21
    assert "too_long" in errors("app", fields)


def test_sms_is_signed_and_kept_within_the_segment_budget():
    settings = {"signature": "江西广播电视台", "max_segments": 2}
    fields = FORMATTERS["sms"].render(content(summary=LONG), settings)
    assert fields["text"].startswith("【江西广播电视台】")
    assert len(fields["text"]) <= 134 and fields["segments"] == 2
    fields["text"] = "字" * 135
    assert "too_many_segments" in errors("sms", fields, settings)


def test_web_article_keeps_links_but_not_scripts():
    fields = FORMATTERS["web"].render(
        content(body_html='<p><a href="https://gov.cn">官网</a><a href="javascript:x">坏</a></p><script>x</script>'), {}
    )
    assert 'href="https://gov.cn"' in fields["body_html"]
    assert "javascript" not in fields["body_html"] and "<script" not in fields["body_html"]


def test_journal_article_is_plain_print_html():
    fields = FORMATTERS["print"].render(content(body_html='<p style="color:red">正文<img src="x.jpg"></p>'), {})
    assert fields["body_html"] == "<p>正文</p>"


def test_proofreading_findings_reach_renditions_as_warnings():
    fields = FORMATTERS["app"].render(content(title="全省防汛形势严峻", summary="请群众做好防范，不信谣不传谣。"), {})
    fields["body"] = "各地按步就班转移群众一万人。"  # 按步就班 → 按部就班 is in the starter list
    found = check_fields("app", fields, {})
    proof = [f for f in found if f["code"].startswith("proof_")]
    assert proof and all(f["severity"] == "warning" for f in proof)
    assert any("按步就班" in f["message"] and "按部就班" in f["message"] for f in proof)
