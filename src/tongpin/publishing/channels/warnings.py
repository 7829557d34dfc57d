"""Forced-reach channels run by operators: cell broadcast / flash SMS (小区广播/闪信) and the TV pop-up (电视弹窗).

Tongpin cannot broadcast to a cell or a set-top box itself; it hands the rendition to the operator's interface
(the `warning_push` transmitter). The limits below are assumptions written down in docs/publishing.md:

- cell broadcast (3GPP TS 23.041): a page carries 82 octets — 41 characters in UCS-2 (any Chinese text), 93 in the
  GSM 7-bit alphabet — and a message has at most 15 pages; the channel sets how many pages it allows (default 4,
  164 Chinese characters);
- flash SMS (闪信, class 0): one message that pops up and is not stored, 70 UCS-2 characters;
- TV pop-up: no public standard; a title of at most 24 characters and a text of at most the channel's limit
  (default 160: four lines of 40 characters on a 1080p screen) shown for the channel's number of seconds.
"""

from __future__ import annotations

import math

from django.utils.translation import gettext_lazy as _

from ..kinds import ChannelKind
from ..plugins import Content, FieldSpec, Finding, Formatter, Setting, register_formatter
from ..text import fit

CB_PAGE_UCS2, CB_PAGE_GSM7, CB_MAX_PAGES = 41, 93, 15
FLASH_UCS2 = 70


def _gsm7(text: str) -> bool:
    return all(ord(ch) < 128 for ch in text)  # near enough: the basic GSM alphabet is mostly ASCII


def cell_pages(text: str) -> int:
    """Cell-broadcast pages the text needs (at least one)."""
    per_page = CB_PAGE_GSM7 if _gsm7(text) else CB_PAGE_UCS2
    return max(1, math.ceil(len(text) / per_page))


def cell_limit(channel_settings: dict) -> int:
    """Characters a cell-broadcast channel takes (Chinese text): one flash SMS, or its pages."""
    if channel_settings.get("mode") == "flash":
        return FLASH_UCS2
    pages = min(CB_MAX_PAGES, max(1, int(channel_settings.get("max_pages") or 4)))
    return CB_PAGE_UCS2 * pages


def popup_limit(channel_settings: dict) -> int:
    return max(20, min(1000, int(channel_settings.get("max_chars") or 160)))


@register_formatter
class CellBroadcast(Formatter):
    kind = ChannelKind.CELL_BROADCAST
    settings = (
        Setting("mode", _("形式"), kind="choice", default="cbs", choices=("cbs", "flash"),
                choice_labels=(("cbs", _("小区广播（每页 41 个汉字）")),
                               ("flash", _("闪信（70 个汉字）")))),  # fmt: skip
        Setting("max_pages", _("最多页数"), kind="int", default=4, help=_("小区广播 1–15 页")),
    )
    fields = (FieldSpec("text", _("广播内容"), required=True, multiline=True),)
    computed = {"pages": _("小区广播页数")}

    def render(self, content: Content, channel_settings: dict) -> dict:
        text = fit(f"{content.title}：{content.summary or content.body_text}", cell_limit(channel_settings))
        return {"text": text, "pages": cell_pages(text)}

    def check(self, values: dict, channel_settings: dict) -> list[Finding]:
        found = super().check(values, channel_settings)
        text = values.get("text", "")
        values["pages"] = pages = cell_pages(text)
        if channel_settings.get("mode") == "flash":
            limit = 160 if _gsm7(text) else FLASH_UCS2
            if len(text) > limit:
                message = _("闪信最多 %(n)d 字，现有 %(c)d 字。") % {"n": limit, "c": len(text)}
                found.append(Finding("too_long", message, "text"))
        else:
            allowed = min(CB_MAX_PAGES, max(1, int(channel_settings.get("max_pages") or 4)))
            if pages > allowed:
                message = _("小区广播需 %(p)d 页，超过上限 %(m)d 页（%(c)d 字）。")
                message %= {"p": pages, "m": allowed, "c": len(text)}
                found.append(Finding("too_many_pages", message, "text"))
        return found


@register_formatter
class TvPopup(Formatter):
    kind = ChannelKind.TV_POPUP
    settings = (
        Setting("max_chars", _("弹窗最多字数"), kind="int", default=160),
        Setting("display_seconds", _("显示时长（秒）"), kind="int", default=60),
    )
    fields = (
        FieldSpec("title", _("弹窗标题"), max_length=24, required=True),
        FieldSpec("text", _("弹窗内容"), required=True, multiline=True),
    )

    def render(self, content: Content, channel_settings: dict) -> dict:
        return {
            "title": fit(content.title, 24),
            "text": fit(content.summary or content.body_text or content.title, popup_limit(channel_settings)),
            "display_seconds": int(channel_settings.get("display_seconds") or 60),
        }

    def check(self, values: dict, channel_settings: dict) -> list[Finding]:
        found = super().check(values, channel_settings)
        text, limit = values.get("text", ""), popup_limit(channel_settings)
        if len(text) > limit:
            message = _("“弹窗内容”最多 %(n)d 字，现有 %(c)d 字。") % {"n": limit, "c": len(text)}
            found.append(Finding("too_long", message, "text"))
        return found
