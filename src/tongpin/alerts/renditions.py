"""An alert in each channel's form, in Chinese: crawl text, SMS, push, WeChat/Weibo post, web banner, script and
spoken audio. Handed to publishing as ready renditions (`Content.extra["renditions"]`), so the channel's
limits are still checked by its formatter."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.utils.html import escape

from tongpin.publishing.channels.short import sms_fields
from tongpin.publishing.channels.warnings import cell_limit, cell_pages, popup_limit
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
    ChannelKind.CELL_BROADCAST,
    ChannelKind.TV_POPUP,
}
# Handed to an operator's interface (publishing/transmitters/warningpush.py) with the warning's facts.
OPERATOR_KINDS = {ChannelKind.CELL_BROADCAST, ChannelKind.TV_POPUP}
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


def facts(alert: Alert, cancelling: Alert | None = None) -> dict:
    """What an operator's system needs besides the text: which warning, what, how severe, where, when."""
    subject = cancelling or alert
    references = [",".join(str(p) for p in ref) for ref in alert.references]
    start = alert.effective_at or alert.sent_at or alert.received_at
    return {
        "identifier": f"{alert.sender},{alert.identifier},{alert.sent}",
        "msg_type": alert.msg_type,
        "references": references,
        "event": subject.event,
        "level": subject.level,
        "level_code": ebm.level_code(subject),
        "severity": subject.severity,
        "area_codes": ebm.region_codes(subject),
        "area_desc": subject.area_desc,
        "start": start.isoformat() if start else None,
        "end": subject.expires_at.isoformat() if subject.expires_at else None,
        "drill": ebm.is_drill(alert),
        "sender_name": alert.sender_name,
    }


def operator_limits(channels) -> dict[str, dict]:
    """The strictest text limits among the channels of each operator kind (one rendition serves a kind)."""
    limits: dict[str, dict] = {}
    for channel in channels:
        if channel.kind == ChannelKind.CELL_BROADCAST:
            mine = limits.setdefault(channel.kind, {"chars": cell_limit(channel.settings)})
            mine["chars"] = min(mine["chars"], cell_limit(channel.settings))
        elif channel.kind == ChannelKind.TV_POPUP:
            mine = limits.setdefault(channel.kind, {"chars": popup_limit(channel.settings), "seconds": 0})
            mine["chars"] = min(mine["chars"], popup_limit(channel.settings))
            mine["seconds"] = max(mine["seconds"], int(channel.settings.get("display_seconds") or 60))
    return limits


def build(
    alert: Alert,
    kinds: set[str],
    sms_settings: dict | None = None,
    cancelling: Alert | None = None,
    limits: dict[str, dict] | None = None,
) -> dict:
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
    if kinds & OPERATOR_KINDS:
        limits = limits or {}
        given = (alert.channel_texts.get("SMS") if cancelling is None else "") or f"{prefix}{text or head}"
        known = facts(alert, cancelling)
        if ChannelKind.CELL_BROADCAST in kinds:
            short = fit(given, limits.get(ChannelKind.CELL_BROADCAST, {}).get("chars") or cell_limit({}))
            out[ChannelKind.CELL_BROADCAST] = {"text": short, "pages": cell_pages(short), **known}
        if ChannelKind.TV_POPUP in kinds:
            popup = limits.get(ChannelKind.TV_POPUP, {})
            out[ChannelKind.TV_POPUP] = {
                "title": fit(_name(cancelling or alert) if cancelling is None else "预警解除", 24),
                "text": fit(given, popup.get("chars") or popup_limit({})),
                "display_seconds": popup.get("seconds") or 60,
                **known,
            }
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
    alert: Alert,
    kinds: set[str],
    sms_settings: dict | None = None,
    cancelling: Alert | None = None,
    limits: dict[str, dict] | None = None,
) -> Content:
    return Content(
        source_type="alert",
        source_id=alert.pk,
        version=1,
        title=title(alert, cancelling)[:200],
        summary=fit(body(alert, cancelling), 300),
        body_text=body(alert, cancelling),
        byline=alert.sender_name,
        extra={"renditions": build(alert, kinds, sms_settings, cancelling, limits), "level": alert.level},
    )
