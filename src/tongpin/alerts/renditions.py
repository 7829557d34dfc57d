"""An alert in each channel's form, in Chinese: crawl text, SMS, push, WeChat/Weibo post, web banner, script and
spoken audio. Handed to publishing as ready renditions (`Content.extra["renditions"]`), so the channel's
limits are still checked by its formatter."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.utils.html import escape

from tongpin.publishing.channels.short import sms_fields
from tongpin.publishing.kinds import ChannelKind
from tongpin.publishing.plugins import Content
from tongpin.publishing.text import fit, reading_seconds

from . import ebm, tts
from .models import Alert, Level

ALERT_KINDS = {
    ChannelKind.TV,
    ChannelKind.RADIO,
    ChannelKind.EMERGENCY,
    ChannelKind.SMS,
    ChannelKind.APP,
    ChannelKind.WECHAT,
    ChannelKind.WEIBO,
    ChannelKind.WEB,
    ChannelKind.DOUYIN,
}
SPOKEN_KINDS = {ChannelKind.RADIO, ChannelKind.EMERGENCY}
PACE = 240


def level_label(alert: Alert) -> str:
    return str(Level(alert.level).label) if alert.level else ""


def _name(alert: Alert) -> str:
    event = alert.event if any("\u4e00" <= ch <= "\u9fff" for ch in alert.event) else ""
    return f"{event}{level_label(alert)}预警" if event else (f"{level_label(alert)}预警" if alert.level else "预警")


DRILL_MARK = "【演练】"


def title(alert: Alert, cancelling: Alert | None = None) -> str:
    """The rendition's title; a Test or Exercise alert's (only ever on test channels) is marked 【演练】."""
    if cancelling is not None:
        text = f"【解除】{cancelling.sender_name or ''}解除{_name(cancelling)}".strip()
    else:
        text = alert.headline or f"{alert.sender_name}发布{_name(alert)}"
    if alert.status in ("Exercise", "Test") and not text.startswith(DRILL_MARK):
        text = DRILL_MARK + text
    return text


def body(alert: Alert, cancelling: Alert | None = None) -> str:
    if cancelling is not None:
        text = alert.description or f"{_name(cancelling)}已解除。"
        return text
    return "".join(part for part in (alert.description, alert.instruction) if part)


def audio_folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "alerts" / "audio"


def spoken(alert: Alert, cancelling: Alert | None = None) -> str:
    if cancelling is None and alert.channel_texts.get("SPEAKER"):
        return alert.channel_texts["SPEAKER"]
    return f"{title(alert, cancelling)}。{body(alert, cancelling)}"


def build(alert: Alert, kinds: set[str], sms_settings: dict | None = None, cancelling: Alert | None = None) -> dict:
    """Fields per kind for the kinds asked for; radio and emergency broadcast get synthesised speech."""
    head, text = title(alert, cancelling), body(alert, cancelling)
    prefix = f"【{_name(cancelling or alert)}】" if cancelling is None else "【预警解除】"
    one_line = " ".join(f"{head}：{text}".split())
    out: dict[str, dict] = {}
    if ChannelKind.TV in kinds:
        crawl = fit(one_line, 300)
        out[ChannelKind.TV] = {
            "headline": fit(head, 40),
            "script": crawl,
            "seconds": reading_seconds(crawl, PACE),
            "crawl": True,
        }
    spoken_kinds = kinds & SPOKEN_KINDS
    if spoken_kinds:
        script = fit(spoken(alert, cancelling), 3000)
        fields = {"headline": fit(head, 40), "script": script, "seconds": reading_seconds(script, PACE)}
        name = f"{uuid.uuid4().hex}.wav"
        speech = tts.speak(script, audio_folder() / name)
        if speech is not None:
            fields.update(
                audio=name,
                audio_url=f"{settings.TONGPIN_BASE_URL}/alerts/audio/{name}",
                audio_seconds=round(speech.seconds, 1),
                tts_engine=speech.engine,
            )
        for kind in spoken_kinds:
            out[kind] = dict(fields)
        if ChannelKind.EMERGENCY in spoken_kinds:  # the national message: instruction + resources, signed on sending
            audio = audio_folder() / name if speech is not None else None
            out[ChannelKind.EMERGENCY].update(ebm.stage(alert, fields, audio, cancelling))
    if ChannelKind.SMS in kinds:
        given = alert.channel_texts.get("SMS") if cancelling is None else ""
        out[ChannelKind.SMS] = sms_fields(sms_settings or {}, given or f"{prefix}{text}")
    if ChannelKind.APP in kinds:
        out[ChannelKind.APP] = {
            "title": fit(_name(cancelling or alert) if cancelling is None else "预警解除", 20),
            "body": fit(text or head, 50),
            "link": "",
        }
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in (alert.description, alert.instruction) if p)
    if cancelling is not None:
        paragraphs = f"<p>{escape(text)}</p>"
    if ChannelKind.WECHAT in kinds:
        out[ChannelKind.WECHAT] = {
            "title": fit(head, 64),
            "author": fit(alert.sender_name, 16),
            "digest": fit(text, 120),
            "content": paragraphs or f"<p>{escape(head)}</p>",
            "content_source_url": "",
            "images": [],
        }
    if ChannelKind.WEIBO in kinds:
        tag = f"#{_name(cancelling or alert)}#"
        out[ChannelKind.WEIBO] = {"text": fit(f"{tag}{prefix}{text or head}", 2000), "hashtags": [tag], "images": []}
    if ChannelKind.WEB in kinds:
        out[ChannelKind.WEB] = {
            "title": fit(head, 80),
            "summary": fit(text, 300),
            "banner": True,
            "body_html": paragraphs or f"<p>{escape(head)}</p>",
            "images": [],
        }
    if ChannelKind.DOUYIN in kinds:
        out[ChannelKind.DOUYIN] = {"title": fit(head, 30), "caption": fit(text, 300), "hashtags": []}
    return out


def content(
    alert: Alert, kinds: set[str], sms_settings: dict | None = None, cancelling: Alert | None = None
) -> Content:
    return Content(
        source_type="alert",
        source_id=alert.pk,
        version=1,
        title=title(alert, cancelling)[:200],
        summary=fit(body(alert, cancelling), 300),
        body_text=body(alert, cancelling),
        byline=alert.sender_name,
        extra={"renditions": build(alert, kinds, sms_settings, cancelling), "level": alert.level},
    )
