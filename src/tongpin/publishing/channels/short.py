"""Short messages: app push notifications and SMS."""

from django.utils.translation import gettext_lazy as _

from ..kinds import ChannelKind
from ..plugins import Content, FieldSpec, Finding, Formatter, Setting, register_formatter
from ..text import fit, sms_segments


@register_formatter
class AppPush(Formatter):
    kind = ChannelKind.APP
    fields = (
        FieldSpec("title", _("推送标题"), max_length=20, required=True),
        FieldSpec("body", _("推送内容"), max_length=50, required=True, multiline=True),
        FieldSpec("link", _("打开链接"), max_length=500, url=True),
    )

    def render(self, content: Content, channel_settings: dict) -> dict:
        return {
            "title": fit(content.title, 20),
            "body": fit(content.summary or content.body_text, 50),
            "link": content.link,
        }


def sms_fields(channel_settings: dict, text: str) -> dict:
    """`text` signed 【station】 and cut to fit the channel's number of parts (other sources use this too)."""
    name = (channel_settings.get("signature") or "").strip("【】 ")
    signature = f"【{name}】" if name else ""
    parts = max(1, int(channel_settings.get("max_segments") or 3))
    budget = (70 if parts == 1 else 67 * parts) - len(signature)
    signed = signature + fit(text, budget)
    return {"text": signed, "segments": len(sms_segments(signed))}


@register_formatter
class Sms(Formatter):
    """An SMS signed 【station】; long text goes out as concatenated parts (70 characters, or 67 per part)."""

    kind = ChannelKind.SMS
    settings = (
        Setting("signature", _("短信签名"), default="", help=_("例如：江西广播电视台")),
        Setting("max_segments", _("最多条数"), kind="int", default=3),
    )
    fields = (FieldSpec("text", _("短信内容"), required=True, multiline=True),)
    computed = {"segments": _("短信条数")}

    def render(self, content: Content, channel_settings: dict) -> dict:
        return sms_fields(channel_settings, f"{content.title}：{content.summary or content.body_text}")

    def check(self, values: dict, channel_settings: dict) -> list[Finding]:
        found = super().check(values, channel_settings)
        text = values.get("text", "")
        parts = len(sms_segments(text))
        values["segments"] = parts
        allowed = max(1, int(channel_settings.get("max_segments") or 3))
        if parts > allowed:
            found.append(
                Finding(
                    "too_many_segments",
                    _("短信共 %(n)d 条，超过上限 %(max)d 条（%(c)d 字）。")
                    % {"n": parts, "max": allowed, "c": len(text)},
                    "text",
                )
            )
        return found
