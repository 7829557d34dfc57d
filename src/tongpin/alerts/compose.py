"""The duty officer's CAP composer: a form's fields written as a CAP 1.2 message, then sent through the same
intake as any other sender's (same validation, policy and audit)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, ValidationFailed

from .cap.model import read
from .cap.parse import CAP12, RejectedDocument, parse_document, sub
from .cap.profiles import adcode_problem
from .intake import Received, receive
from .lane_config import clean_polygons
from .models import LEVEL_RANK, Alert, Coverage, Level
from .renditions import ALERT_KINDS

SEVERITY = {"red": "Extreme", "orange": "Severe", "yellow": "Moderate", "blue": "Minor"}
STATUSES = ("Actual", "Exercise", "Test", "System", "Draft")
CATEGORIES = ("Met", "Geo", "Safety", "Fire", "Health", "Env", "Transport", "Infra", "Rescue", "Security", "Other")


@dataclass
class Draft:
    event: str
    level: str
    headline: str
    description: str
    instruction: str = ""
    area_desc: str = ""
    area_codes: list[str] = field(default_factory=list)
    polygons: list = field(default_factory=list)  # rings of [lat, lon], as `lane_config.parse_polygons` reads them
    category: str = "Met"
    urgency: str = "Immediate"
    certainty: str = "Likely"
    status: str = "Actual"
    msg_type: str = "Alert"
    references: list[int] = field(default_factory=list)  # ids of earlier alerts (Update, Cancel)
    expires_hours: int = 24
    sender_name: str = ""


def cap_time(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def sender_id() -> str:
    return settings.TONGPIN_CAP_SENDER


def build(draft: Draft, now: datetime | None = None) -> bytes:
    now = now or timezone.now()
    errors = []
    if draft.level not in Level.values:
        errors.append(FieldError("invalid_level", _("请选择预警级别。"), "level"))
    if draft.status not in STATUSES:  # the composer offers no default: 正式 must be chosen, like the level
        errors.append(FieldError("invalid_status", _("请选择性质：正式、演练或测试。"), "status"))
    if not draft.event.strip() or not draft.headline.strip():
        errors.append(FieldError("required", _("请填写事件和标题。"), "headline"))
    if draft.msg_type in ("Update", "Cancel") and not draft.references:
        errors.append(FieldError("references_required", _("更新或解除需要选择原预警。"), "references"))
    if not 1 <= draft.expires_hours <= 240:
        errors.append(FieldError("out_of_range", _("有效时长应在 1–240 小时之间。"), "expires_hours"))
    polygons, polygon_errors = clean_polygons(draft.polygons)
    errors.extend(polygon_errors)
    # The profile's rule for area codes, whatever profile the intake runs: a hand-written warning is ours.
    errors += [FieldError(*problem, "area_codes") for problem in map(adcode_problem, draft.area_codes) if problem]
    if errors:
        raise ValidationFailed(errors)

    alert = etree.Element(f"{{{CAP12}}}alert", nsmap={None: CAP12})
    sub(alert, "identifier", f"tongpin-{uuid.uuid4().hex}")
    sub(alert, "sender", sender_id())
    sub(alert, "sent", cap_time(now))
    sub(alert, "status", draft.status)
    sub(alert, "msgType", draft.msg_type)
    sub(alert, "scope", "Public")
    if draft.references:
        earlier = Alert.objects.filter(pk__in=draft.references)
        sub(alert, "references", " ".join(f"{a.sender},{a.identifier},{a.sent}" for a in earlier))
    info = sub(alert, "info")
    sub(info, "language", "zh-CN")
    sub(info, "category", draft.category if draft.category in CATEGORIES else "Other")
    sub(info, "event", draft.event.strip())
    sub(info, "urgency", draft.urgency)
    sub(info, "severity", SEVERITY.get(draft.level, "Unknown"))
    sub(info, "certainty", draft.certainty)
    sub(info, "effective", cap_time(now))
    sub(info, "expires", cap_time(now + timedelta(hours=draft.expires_hours)))
    if draft.sender_name:
        sub(info, "senderName", draft.sender_name)
    sub(info, "headline", draft.headline.strip())
    sub(info, "description", draft.description.strip())
    if draft.instruction.strip():
        sub(info, "instruction", draft.instruction.strip())
    parameter = sub(info, "parameter")
    sub(parameter, "valueName", "level")
    sub(parameter, "value", draft.level)
    area = sub(info, "area")
    sub(area, "areaDesc", draft.area_desc.strip() or "—")
    for ring in polygons:
        sub(area, "polygon", " ".join(f"{lat:g},{lon:g}" for lat, lon in ring))
    for code in draft.area_codes:
        geocode = sub(area, "geocode")
        sub(geocode, "valueName", "GB/T 2260")
        sub(geocode, "value", code)
    return etree.tostring(alert, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def public_reach() -> dict[str, int]:
    """Per level, how many public channels an actual, public warning of that level could reach at most (those
    whose coverage carries the level, wherever their area): what the composer names before it sends."""
    coverages = Coverage.objects.filter(
        channel__is_active=True, channel__for_tests=False, channel__kind__in=ALERT_KINDS
    ).values_list("channel_id", "min_level")
    reach = {level: set() for level in Level.values}
    for channel_id, min_level in coverages:
        for level in Level.values:
            if LEVEL_RANK[level] >= LEVEL_RANK[min_level]:
                reach[level].add(channel_id)
    return {level: len(channels) for level, channels in reach.items()}


def issue(actor: Actor, draft: Draft) -> Received:
    return receive(actor, build(draft))[0]


# -- an Update or Cancel written from the alert it follows ----------------------------------------------


def prefill(original: Alert, msg_type: str, now: datetime | None = None) -> dict[str, str]:
    """The composer's fields (as the form posts them) for an Update or Cancel of `original`: its sender name,
    event, level, texts and the very same area, so nothing is retyped at 3 a.m. and no area code drifts."""
    fields = {
        "msg_type": msg_type,
        "reference": str(original.pk),
        "sender_name": original.sender_name or original.sender,
        "event": original.event,
        "level": original.level,
        "urgency": original.urgency,
        "certainty": original.certainty,
        "status": original.status,
        "category": _category(original),
        "headline": original.headline,
        "description": original.description,
        "instruction": original.instruction,
        "area_desc": original.area_desc,
        "area_codes": ", ".join(code for _name, code in original.geocodes),
        "polygons": "\n".join(" ".join(f"{lat:g},{lon:g}" for lat, lon in ring) for ring in original.polygons),
        "expires_hours": str(_hours_left(original, now or timezone.now())),
    }
    if msg_type == "Cancel":
        # Message text, not page text: the CAP's info block is zh-CN whatever language the officer reads.
        fields["headline"] = f"解除：{original.headline or original.event}"
        fields["description"] = f"原预警“{original.headline or original.event}”现予解除。"
        fields["instruction"] = ""
    return fields


def _hours_left(original: Alert, now: datetime) -> int:
    """Whole hours until the original expires (at least 1, at most 240); 24 when it named no expiry."""
    if original.expires_at is None:
        return 24
    return min(240, max(1, math.ceil((original.expires_at - now).total_seconds() / 3600)))


def _category(original: Alert) -> str:
    """The original's first CAP category, read back from its stored CAP (the alert row does not keep it)."""
    try:
        info = read(parse_document(original.cap_xml.encode())[0].element).preferred_info()
    except (RejectedDocument, IndexError, ValueError):
        return "Met"
    first = info.categories[0] if info and info.categories else ""
    return first if first in CATEGORIES else "Other"
