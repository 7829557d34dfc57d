"""Social platforms: Weibo posts and Douyin short-video copy."""

from django.utils.translation import gettext_lazy as _

from ..kinds import ChannelKind
from ..plugins import Content, FieldSpec, Formatter, register_formatter
from ..text import fit, hashtags

WEIBO_LIMIT = 2000


@register_formatter
class WeiboPost(Formatter):
    """One post: 【title】, the story's text and a link, topic hashtags in front, up to nine pictures."""

    kind = ChannelKind.WEIBO
    fields = (
        FieldSpec("text", _("正文"), max_length=WEIBO_LIMIT, required=True, multiline=True),
        FieldSpec("hashtags", _("话题"), items=True, max_items=10),
        FieldSpec("images", _("配图"), items=True, max_items=9),
    )

    def render(self, content: Content, channel_settings: dict) -> dict:
        tags = hashtags(content.tags, "weibo")
        tail = f" {content.link}" if content.link else ""
        body = content.summary or content.body_text
        # Reporters often write a topic (#防汛#) into the title or text themselves: a tag whose topic is already
        # in the post is not put in front a second time, unless cutting the text to fit lost it.
        front: list[str] = []
        while True:
            head = "".join(front) + f"【{content.title}】"
            text = head + fit(body, max(WEIBO_LIMIT - len(head) - len(tail), 0)) + tail
            missing = [tag for tag in tags if tag not in text]
            if not missing:
                break
            front = [tag for tag in tags if tag in front or tag in missing]
        return {
            "text": text,
            "hashtags": tags,
            "images": [image["name"] for image in content.images[:9]],
        }


@register_formatter
class DouyinCopy(Formatter):
    """Copy for a short video: a title of at most 30 characters, a caption, five hashtags."""

    kind = ChannelKind.DOUYIN
    fields = (
        FieldSpec("title", _("视频标题"), max_length=30, required=True),
        FieldSpec("caption", _("文案"), max_length=1000, multiline=True),
        FieldSpec("hashtags", _("话题"), items=True, max_items=5),
    )

    def render(self, content: Content, channel_settings: dict) -> dict:
        return {
            "title": fit(content.title, 30),
            "caption": fit(content.summary or content.body_text, 300),
            "hashtags": hashtags(content.tags, "douyin", limit=5),
        }
