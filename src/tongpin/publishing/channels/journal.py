"""The partner's printed journal (合作方刊物): one article per story, assembled into issues (see journal.py)."""

import nh3
from django.utils.translation import gettext_lazy as _

from ..kinds import ChannelKind
from ..plugins import Content, FieldSpec, Formatter, register_formatter
from ..text import fit, html_to_text

PRINT_TAGS = {"p", "br", "strong", "b", "em", "i", "h2", "h3", "blockquote", "ul", "ol", "li"}


@register_formatter
class JournalArticle(Formatter):
    kind = ChannelKind.PRINT
    fields = (
        FieldSpec("title", _("标题"), max_length=60, required=True),
        FieldSpec("byline", _("署名"), max_length=60),
        FieldSpec("lead", _("导语"), max_length=300, multiline=True),
        FieldSpec("body_html", _("正文"), max_length=12000, required=True, multiline=True, html=True),
        FieldSpec("images", _("图片"), items=True, max_items=2),
    )

    def render(self, content: Content, channel_settings: dict) -> dict:
        return {
            "title": fit(content.title, 60),
            "byline": content.byline,
            "lead": fit(content.summary, 300),
            "body_html": self.clean_html(content.body_html),
            "images": [image["name"] for image in content.images[:1]],
        }

    def clean_html(self, html: str) -> str:
        return nh3.clean(html or "", tags=PRINT_TAGS, attributes={})

    def measure(self, spec: FieldSpec, value: str) -> int:
        return len(html_to_text(value)) if spec.html else len(value)
