"""Website article: the story as the station's site shows it."""

import nh3
from django.utils.translation import gettext_lazy as _

from ..kinds import ChannelKind
from ..plugins import Content, FieldSpec, Formatter, register_formatter
from ..text import fit, html_to_text

WEB_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "span", "blockquote", "h2", "h3", "h4",
    "ul", "ol", "li", "figure", "figcaption", "hr", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


@register_formatter
class WebArticle(Formatter):
    kind = ChannelKind.WEB
    fields = (
        FieldSpec("title", _("标题"), max_length=80, required=True),
        FieldSpec("summary", _("导语"), max_length=300, multiline=True),
        FieldSpec("body_html", _("正文"), max_length=50000, required=True, multiline=True, html=True),
        FieldSpec("images", _("图片"), items=True, max_items=20),
    )

    def render(self, content: Content, channel_settings: dict) -> dict:
        return {
            "title": fit(content.title, 80),
            "summary": fit(content.summary or content.body_text, 300),
            "body_html": self.clean_html(content.body_html),
            "images": [image["name"] for image in content.images],
        }

    def clean_html(self, html: str) -> str:
        return nh3.clean(
            html or "",
            tags=WEB_TAGS,
            attributes={"a": {"href"}},
            url_schemes={"http", "https"},
            link_rel="noopener noreferrer nofollow",
        )

    def measure(self, spec: FieldSpec, value: str) -> int:
        return len(html_to_text(value)) if spec.html else len(value)
