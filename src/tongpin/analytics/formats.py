"""Import formats: one per platform export, each a list of columns with the headers it is known by (the
platform's Chinese header first, then English aliases). `template()` gives the file people fill in."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import Platform


@dataclass(frozen=True)
class Column:
    field: str
    headers: tuple[str, ...]
    required: bool = True
    example: str = ""


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    platform: str | None  # None: the row names the platform (accounts) or the account decides
    columns: tuple[Column, ...]
    kind: str = "articles"  # or "accounts"

    def header_map(self, headers: list[str]) -> dict[str, int]:
        """field -> column index, matching headers case- and space-insensitively."""
        wanted = {h.strip().lower(): c.field for c in self.columns for h in c.headers}
        return {wanted[h.strip().lower()]: i for i, h in enumerate(headers) if h and h.strip().lower() in wanted}


def _article_columns(reads: str, extra: tuple[Column, ...]) -> tuple[Column, ...]:
    return (
        Column("account", ("账号", "公众号", "account"), example="清远高新区"),
        Column("title", ("标题", "内容", "title"), required=False, example="高新区产业博览会开幕"),
        Column("url", ("链接", "url"), required=False, example="https://mp.weixin.qq.com/s/abc"),
        Column("published_at", ("发布时间", "published_at"), example="2026-11-16 08:30"),
        Column("position", ("位置", "position"), required=False, example="1"),
        Column("reads", (reads, "reads"), example="10万+"),
        *extra,
        Column("observed_on", ("数据日期", "统计日期", "observed_on"), example="2026-11-23"),
    )


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "wechat",
            _("微信公众号文章数据"),
            Platform.WECHAT,
            _article_columns(
                "阅读数",
                (
                    Column("likes", ("点赞数", "likes"), example="356"),
                    Column("wows", ("在看数", "wows"), example="120"),
                    Column("shares", ("分享数", "转发数", "shares"), example="890"),
                    Column("comments", ("评论数", "留言数", "comments"), required=False, example="45"),
                ),
            ),
        ),
        Format(
            "weibo",
            _("微博博文数据"),
            Platform.WEIBO,
            _article_columns(
                "阅读数",
                (
                    Column("shares", ("转发数", "shares"), example="88"),
                    Column("comments", ("评论数", "comments"), example="35"),
                    Column("likes", ("点赞数", "likes"), example="420"),
                ),
            ),
        ),
        Format(
            "douyin",
            _("抖音视频数据"),
            Platform.DOUYIN,
            _article_columns(
                "播放量",
                (
                    Column("likes", ("点赞数", "likes"), example="2300"),
                    Column("comments", ("评论数", "comments"), example="140"),
                    Column("shares", ("分享数", "shares"), example="310"),
                ),
            ),
        ),
        Format(
            "accounts",
            _("账号粉丝数"),
            None,
            (
                Column("account", ("账号", "account"), example="清远高新区"),
                Column("platform", ("平台", "platform"), example="wechat"),
                Column("day", ("日期", "day"), example="2026-11-23"),
                Column("followers", ("粉丝数", "followers"), example="52310"),
            ),
            kind="accounts",
        ),
    )
}


def template_rows(fmt: Format) -> list[list[str]]:
    return [[c.headers[0] for c in fmt.columns], [c.example for c in fmt.columns]]
