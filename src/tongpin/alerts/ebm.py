"""A warning as an emergency-broadcast message (应急广播消息, EBM): the instruction XML and its programme resources
(the spoken WAV and the text), staged for the emergency-broadcast transmitter, which signs and sends them.

The mapping from CAP/12379 is ours, written from the public descriptions of GY/T 385 and QX/T 433; every
assumption is listed in docs/alerts.md, "Emergency broadcasting". A province adapts names and codes through
the station profile `TONGPIN_EB_PROFILE` (a dict in the settings; defaults below).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from lxml import etree

from tongpin.publishing import ebpackage

from .models import Alert

LEVELS = {"red": 1, "orange": 2, "yellow": 3, "blue": 4}  # 红/橙/黄/蓝 → 一级…四级; 0 = unknown
DRILL_STATUSES = {"Test", "Exercise"}
PLAY, STOP = "1", "2"  # MsgType: 请播 / 停播

DEFAULT_PROFILE = {
    "resource_code": "00000000000000000000000",  # the station's 23-digit EB resource code (资源编码, GY/T 386)
    "sender_name": "",  # defaults to the alert's sender name
    "sender_code": "",  # defaults to the alert's sender
    "language": "zho",
    "default_event_type": "00000",
    "event_types": {},  # CAP event (Chinese name) → event type code, overriding the alert's eventCode
    "root": {"document": "EBD", "message": "EBM"},
}


def profile() -> dict:
    given = getattr(settings, "TONGPIN_EB_PROFILE", {}) or {}
    return {**DEFAULT_PROFILE, **given}


def message_id(alert: Alert, station: dict | None = None) -> str:
    """Stable per CAP message (renditions are built before the alert is saved, so not its row id): resource
    code + date sent + ten digits of the SHA-256 of sender, identifier and sent."""
    station = station or profile()
    sent = alert.sent_at or alert.received_at or timezone.now()
    key = hashlib.sha256(f"{alert.sender},{alert.identifier},{alert.sent}".encode()).hexdigest()
    return f"{station['resource_code']}{timezone.localtime(sent):%Y%m%d}{int(key, 16) % 10**10:010d}"


def level_code(alert: Alert) -> int:
    return LEVELS.get(alert.level, 0)


def is_drill(alert: Alert) -> bool:
    return alert.status in DRILL_STATUSES


def region_codes(alert: Alert) -> list[str]:
    """GB/T 2260 codes, padded to the 12 digits of the township level."""
    codes = []
    for item in alert.geocodes:
        code = item[1] if isinstance(item, list | tuple) else str(item)
        if code.isdigit() and len(code) <= 12:
            codes.append(code.ljust(12, "0"))
    return sorted(set(codes))


def event_type(alert: Alert, station: dict | None = None) -> str:
    station = station or profile()
    named = station["event_types"].get(alert.event)
    if named:
        return named
    try:
        root = ebpackage.parse_xml(alert.cap_xml.encode())
    except (ebpackage.PackageError, ValueError):
        return station["default_event_type"]
    for code in root.iter("{*}eventCode"):
        value = code.findtext("{*}value") or ""
        if value.strip():
            return value.strip()
    return station["default_event_type"]


def _time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _sub(parent: etree._Element, tag: str, text: str | int | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def instruction(
    alert: Alert, title: str, text: str, resources: dict[str, bytes], cancelling: Alert | None = None
) -> bytes:
    """The instruction XML (UTF-8 bytes). A Cancel is a stop message (停播) naming the cancelled alert's message;
    an Update names the message it replaces; Test/Exercise carry the drill flag."""
    station = profile()
    subject = cancelling or alert
    ebm_id = message_id(alert, station)
    root = etree.Element(station["root"]["document"], EBDVersion="1.0")
    _sub(root, "EBDID", ebm_id)
    _sub(root, "EBDType", station["root"]["message"])
    source = _sub(root, "SRC")
    _sub(source, "EBRID", station["resource_code"])
    _sub(root, "EBDTime", _time(timezone.now()))
    message = _sub(root, station["root"]["message"])
    _sub(message, "EBMID", ebm_id)
    related = cancelling or alert.previous
    if related is not None:
        _sub(_sub(message, "RelatedEBM"), "EBMID", message_id(related, station))
    basic = _sub(message, "MsgBasicInfo")
    _sub(basic, "MsgType", STOP if cancelling is not None else PLAY)
    _sub(basic, "SenderName", station["sender_name"] or alert.sender_name or alert.sender)
    _sub(basic, "SenderCode", station["sender_code"] or alert.sender)
    _sub(basic, "SentTime", _time(alert.sent_at or alert.received_at))
    _sub(basic, "EventType", event_type(subject, station))
    _sub(basic, "Severity", level_code(subject))
    _sub(basic, "StartTime", _time(alert.effective_at or alert.sent_at or alert.received_at))
    _sub(basic, "EndTime", _time(subject.expires_at))
    _sub(basic, "Drill", "1" if is_drill(alert) else "0")
    _sub(basic, "CapIdentifier", alert.identifier)
    content = _sub(message, "MsgContent")
    _sub(content, "LanguageCode", station["language"])
    _sub(content, "MsgTitle", title)
    _sub(content, "MsgDesc", text)
    _sub(content, "AreaCode", ",".join(region_codes(subject)))
    for name, data in resources.items():
        auxiliary = _sub(content, "Auxiliary")
        _sub(auxiliary, "AuxiliaryType", "audio" if name.endswith(".wav") else "text")
        _sub(auxiliary, "FileName", name)
        _sub(auxiliary, "Size", len(data))
        _sub(auxiliary, "Digest", hashlib.sha256(data).hexdigest()).set("algorithm", "SHA-256")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def stage(alert: Alert, fields: dict, audio: Path | None, cancelling: Alert | None = None) -> dict:
    """Write the instruction and resources where the transmitter reads them (MEDIA_ROOT/ebm/<id>/) and return
    the rendition fields that name them."""
    ebm_id = message_id(alert)
    folder = ebpackage.staging_folder(ebm_id)
    folder.mkdir(parents=True, exist_ok=True)
    text = fields.get("script", "")
    resources = {f"{ebm_id}.txt": text.encode()}
    if audio is not None and audio.is_file():
        shutil.copyfile(audio, folder / f"{ebm_id}.wav")
        resources[f"{ebm_id}.wav"] = (folder / f"{ebm_id}.wav").read_bytes()
    (folder / f"{ebm_id}.txt").write_bytes(resources[f"{ebm_id}.txt"])
    xml = instruction(alert, fields.get("headline", ""), text, resources, cancelling)
    (folder / ebpackage.instruction_name(ebm_id)).write_bytes(xml)
    return {
        "ebm_id": ebm_id,
        "ebm_resources": sorted(resources),
        "ebm_drill": is_drill(alert),
        "ebm_stop": cancelling is not None,
    }
