"""Scripts read on air: TV news (口播) and radio, with the time the reading takes."""

from django.utils.translation import gettext_lazy as _

from ..kinds import ChannelKind
from ..plugins import Content, FieldSpec, Finding, Formatter, Setting, register_formatter
from ..text import first_sentences, reading_seconds

DEFAULT_PACE = 240  # characters a minute: a steady news read in Mandarin


def _script(content: Content, limit: int) -> str:
    lead = content.summary.strip()
    body = content.body_text.strip()
    text = lead if lead and lead not in body else ""
    paragraphs = [p for p in body.split("\n") if p.strip()]
    for paragraph in paragraphs:
        if len(text) + len(paragraph) > limit:
            if not text:
                text = first_sentences(paragraph, limit)
            break
        text = f"{text}\n{paragraph}" if text else paragraph
    return text


class _Read(Formatter):
    """The script, a slot length in seconds; the estimate is shown and checked against the slot."""

    settings = (
        Setting("chars_per_minute", _("语速（字/分钟）"), kind="int", default=DEFAULT_PACE),
        Setting("slot_seconds", _("时段长度（秒）"), kind="int", default=90),
    )
    fields = (
        FieldSpec("headline", _("标题"), max_length=40, required=True),
        FieldSpec("script", _("口播稿"), max_length=3000, required=True, multiline=True),
    )
    computed = {"seconds": _("口播秒数")}

    def render(self, content: Content, channel_settings: dict) -> dict:
        pace = int(channel_settings.get("chars_per_minute") or DEFAULT_PACE)
        slot = int(channel_settings.get("slot_seconds") or 90)
        script = _script(content, limit=pace * slot // 60)
        return {"headline": content.title[:40], "script": script, "seconds": reading_seconds(script, pace)}

    def check(self, values: dict, channel_settings: dict) -> list[Finding]:
        found = super().check(values, channel_settings)
        pace = int(channel_settings.get("chars_per_minute") or DEFAULT_PACE)
        slot = int(channel_settings.get("slot_seconds") or 90)
        seconds = reading_seconds(values.get("script", ""), pace)
        values["seconds"] = seconds
        if seconds > slot:
            found.append(
                Finding(
                    "over_slot",
                    _("口播约 %(s)d 秒，超过时段 %(slot)d 秒。") % {"s": seconds, "slot": slot},
                    "script",
                    "warning",
                )
            )
        return found


@register_formatter
class TvScript(_Read):
    kind = ChannelKind.TV


@register_formatter
class RadioScript(_Read):
    """Radio reads the same script; spoken audio joins with the warning lane's speech engine."""

    kind = ChannelKind.RADIO


@register_formatter
class EmergencyBroadcast(_Read):
    """The emergency broadcasting system (应急广播): a script to read or play, with spoken audio for warnings."""

    kind = ChannelKind.EMERGENCY
