"""What the CAP 1.2 specification requires in prose, which a schema cannot check."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from lxml import etree

from .parse import CAP12

NS = {"cap": CAP12}
_BAD_ID = re.compile(r"[\s,<&]")
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
_NUMBER = r"-?\d+(?:\.\d+)?"
_POINT = re.compile(rf"^({_NUMBER}),({_NUMBER})$")
_CIRCLE = re.compile(rf"^({_NUMBER}),({_NUMBER})\s+(\d+(?:\.\d+)?)$")
NEEDS_REFERENCES = {"Update", "Cancel", "Ack", "Error"}


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    location: str = ""
    severity: str = "error"  # error blocks; warning never does

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "location": self.location, "severity": self.severity}


def _t(node, path: str) -> str | None:
    found = node.find(path, NS)
    return None if found is None else (found.text or "").strip()


def _point(text: str, where: str, issues: list[Issue]) -> tuple[float, float] | None:
    match = _POINT.match(text)
    if not match:
        issues.append(Issue("bad_point", _("“%(text)s”不是“纬度,经度”格式的点。") % {"text": text[:40]}, where))
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        message = _("点 %(lat)s,%(lon)s 超出 WGS 84 的范围。") % {"lat": lat, "lon": lon}
        issues.append(Issue("point_out_of_range", message, where))
    return lat, lon


def check(element: etree._Element, source_format: str = "cap1.2") -> list[Issue]:
    issues: list[Issue] = []
    for name in ("identifier", "sender"):
        value = _t(element, f"cap:{name}") or ""
        if not value:
            issues.append(Issue("required", _("<%(name)s> 是空的。") % {"name": name}, name))
        elif _BAD_ID.search(value):
            issues.append(Issue(f"bad_{name}", _("<%(name)s> 不能含空格、逗号、< 或 &。") % {"name": name}, name))
    for node in element.iter(f"{{{CAP12}}}sent", f"{{{CAP12}}}effective", f"{{{CAP12}}}onset", f"{{{CAP12}}}expires"):
        if node.text and not _TIME.match(node.text.strip()):
            issues.append(
                Issue(
                    "bad_time",
                    _("“%(text)s”不是 CAP 时间（YYYY-MM-DDThh:mm:ss±hh:mm）。") % {"text": node.text.strip()},
                    etree.QName(node).localname,
                )
            )
    msg_type = _t(element, "cap:msgType") or ""
    references = _t(element, "cap:references")
    _check_references(references, msg_type, source_format, issues)
    scope = _t(element, "cap:scope")
    if scope == "Restricted" and not _t(element, "cap:restriction"):
        issues.append(Issue("restriction_required", _("范围为 Restricted 的消息需要 <restriction>。"), "restriction"))
    if scope == "Private" and not _t(element, "cap:addresses"):
        issues.append(Issue("addresses_required", _("范围为 Private 的消息需要 <addresses>。"), "addresses"))
    infos = element.findall("cap:info", NS)
    if msg_type in ("Alert", "Update") and not infos:
        message = _("类型为 %(type)s 的消息至少需要一个 <info>。") % {"type": msg_type}
        issues.append(Issue("info_required", message, "info"))
    for i, info in enumerate(infos):
        for j, area in enumerate(info.findall("cap:area", NS)):
            where = f"info[{i}]/area[{j}]"
            for polygon in area.findall("cap:polygon", NS):
                _check_polygon((polygon.text or "").strip(), f"{where}/polygon", issues)
            for circle in area.findall("cap:circle", NS):
                text = (circle.text or "").strip()
                match = _CIRCLE.match(text)
                if not match:
                    message = _("“%(text)s”不是“纬度,经度 半径”格式的圆。") % {"text": text[:40]}
                    issues.append(Issue("bad_circle", message, where))
                else:
                    _point(f"{match.group(1)},{match.group(2)}", f"{where}/circle", issues)
        expires, effective = _t(info, "cap:expires"), _t(info, "cap:effective") or _t(element, "cap:sent")
        if expires and effective and _TIME.match(expires) and _TIME.match(effective):
            from .model import parse_time

            if parse_time(expires) and parse_time(effective) and parse_time(expires) <= parse_time(effective):
                issues.append(
                    Issue(
                        "expires_before_effective",
                        _("<expires> 不晚于 <effective>/<sent>。"),
                        f"info[{i}]/expires",
                        "warning",
                    )
                )
    return issues


def _check_references(references: str | None, msg_type: str, source_format: str, issues: list[Issue]) -> None:
    if references is None:
        if msg_type in NEEDS_REFERENCES:
            issues.append(
                Issue(
                    "references_required",
                    _("类型为 %(type)s 的消息必须注明所引用的消息。") % {"type": msg_type},
                    "references",
                )
            )
        return
    if not references:
        if msg_type in NEEDS_REFERENCES:
            message = _("类型为 %(type)s 的消息的 <references> 是空的。") % {"type": msg_type}
            issues.append(Issue("references_empty", message, "references"))
        else:
            issues.append(Issue("references_empty", _("<references> 元素是空的。"), "references", "warning"))
        return
    for item in references.split():
        parts = item.split(",")
        sent = ",".join(parts[2:])
        if len(parts) < 3 or not parts[0] or not parts[1]:
            message = _("“%(item)s”不是“sender,identifier,sent”格式。") % {"item": item[:60]}
            issues.append(Issue("bad_references", message, "references"))
        elif not _TIME.match(sent) and not (source_format == "12379" and not sent):
            message = _("“%(item)s”：“%(sent)s”不是 CAP 时间。") % {"item": item[:60], "sent": sent}
            issues.append(Issue("bad_references", message, "references"))


def _check_polygon(text: str, where: str, issues: list[Issue]) -> None:
    pairs = text.split()
    if len(pairs) < 4:
        message = _("多边形至少需要 4 个点，这里只有 %(n)d 个。") % {"n": len(pairs)}
        issues.append(Issue("polygon_too_short", message, where))
        return
    points = [_point(pair, where, issues) for pair in pairs]
    if None not in points and points[0] != points[-1]:
        issues.append(Issue("polygon_not_closed", _("多边形的第一个点和最后一个点必须相同。"), where))
