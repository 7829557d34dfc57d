"""WeChat official account article (微信公众号图文).

WeChat keeps a subset of HTML: no scripts, forms, frames or outside links, and pictures only from its own
servers, so body images are left out here (the cover goes up as permanent material).
"""

import nh3
from django.utils.translation import gettext_lazy as _

from ..kinds import ChannelKind
from ..plugins import Content, FieldSpec, Finding, Formatter, Setting, register_formatter
from ..text import fit, html_to_text

WECHAT_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "span", "section", "blockquote",
    "h2", "h3", "h4", "ul", "ol", "li", "figure", "figcaption", "hr",
}  # fmt: skip
CONTENT_LIMIT = 20000  # characters of text WeChat accepts in one article


def wechat_html(html: str) -> str:
    return nh3.clean(
        html or "",
        tags=WECHAT_TAGS,
        attributes={},
        clean_content_tags={"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"},
        strip_comments=True,
    ).strip()


@register_formatter
class WeChatArticle(Formatter):
    kind = ChannelKind.WECHAT
    fields = (
        FieldSpec("title", _("标题"), max_length=64, required=True),
        FieldSpec("author", _("作者"), max_length=16),
        FieldSpec("digest", _("摘要"), max_length=120, multiline=True),
        FieldSpec("content", _("正文"), max_length=CONTENT_LIMIT, required=True, multiline=True, html=True),
        FieldSpec("content_source_url", _("原文链接"), max_length=500, url=True),
        FieldSpec("images", _("封面图"), items=True, max_items=1),
    )
    settings = (
        Setting("default_author", _("默认作者"), help=_("稿件没有署名时使用")),
        Setting("default_cover_media_id", _("默认封面素材 media_id"), help=_("稿件没有图片时使用的封面")),
    )

    def render(self, content: Content, channel_settings: dict) -> dict:
        digest_source = content.summary or content.body_text
        return {
            "title": fit(content.title, 64),
            "author": fit(content.byline or channel_settings.get("default_author", ""), 16),
            "digest": fit(digest_source, 120),
            "content": wechat_html(content.body_html),
            "content_source_url": content.link,
            "images": [image["name"] for image in content.images[:1]],
        }

    def measure(self, spec: FieldSpec, value: str) -> int:
        return len(html_to_text(value)) if spec.html else len(value)

    def check(self, values: dict, channel_settings: dict) -> list[Finding]:
        found = super().check(values, channel_settings)
        content = values.get("content") or ""
        if content and wechat_html(content) != content.strip():
            found.append(
                Finding("unsupported_html", _("正文含微信不支持的标签或属性，发送前会被去掉。"), "content", "warning")
            )
        if not values.get("images") and not channel_settings.get("default_cover_media_id"):
            found.append(Finding("no_cover", _("没有封面图：微信图文必须有封面。"), "images"))
        return found
