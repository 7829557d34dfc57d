"""What the CAP 1.2 specification requires in prose, which a schema cannot check."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
        issues.append(Issue("bad_point", f"'{text[:40]}' is not a 'latitude,longitude' pair", where))
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        issues.append(Issue("point_out_of_range", f"point {lat},{lon} is outside the WGS 84 range", where))
    return lat, lon


def check(element: etree._Element, source_format: str = "cap1.2") -> list[Issue]:
    issues: list[Issue] = []
    for name in ("identifier", "sender"):
        value = _t(element, f"cap:{name}") or ""
        if not value:
            issues.append(Issue("required", f"<{name}> is empty", name))
        elif _BAD_ID.search(value):
            issues.append(Issue(f"bad_{name}", f"<{name}> must not contain spaces, commas, '<' or '&'", name))
    for node in element.iter(f"{{{CAP12}}}sent", f"{{{CAP12}}}effective", f"{{{CAP12}}}onset", f"{{{CAP12}}}expires"):
        if node.text and not _TIME.match(node.text.strip()):
            issues.append(
                Issue(
                    "bad_time",
                    f"'{node.text.strip()}' is not a CAP time (YYYY-MM-DDThh:mm:ss±hh:mm)",
                    etree.QName(node).localname,
                )
            )
    msg_type = _t(element, "cap:msgType") or ""
    references = _t(element, "cap:references")
    _check_references(references, msg_type, source_format, issues)
    scope = _t(element, "cap:scope")
    if scope == "Restricted" and not _t(element, "cap:restriction"):
        issues.append(Issue("restriction_required", "a Restricted message needs <restriction>", "restriction"))
    if scope == "Private" and not _t(element, "cap:addresses"):
        issues.append(Issue("addresses_required", "a Private message needs <addresses>", "addresses"))
    infos = element.findall("cap:info", NS)
    if msg_type in ("Alert", "Update") and not infos:
        issues.append(Issue("info_required", f"an {msg_type} message needs at least one <info>", "info"))
    for i, info in enumerate(infos):
        for j, area in enumerate(info.findall("cap:area", NS)):
            where = f"info[{i}]/area[{j}]"
            for polygon in area.findall("cap:polygon", NS):
                _check_polygon((polygon.text or "").strip(), f"{where}/polygon", issues)
            for circle in area.findall("cap:circle", NS):
                text = (circle.text or "").strip()
                match = _CIRCLE.match(text)
                if not match:
                    issues.append(Issue("bad_circle", f"'{text[:40]}' is not 'latitude,longitude radius'", where))
                else:
                    _point(f"{match.group(1)},{match.group(2)}", f"{where}/circle", issues)
        expires, effective = _t(info, "cap:expires"), _t(info, "cap:effective") or _t(element, "cap:sent")
        if expires and effective and _TIME.match(expires) and _TIME.match(effective):
            from .model import parse_time

            if parse_time(expires) and parse_time(effective) and parse_time(expires) <= parse_time(effective):
                issues.append(
                    Issue(
                        "expires_before_effective",
                        "<expires> is not after <effective>/<sent>",
                        f"info[{i}]/expires",
                        "warning",
                    )
                )
    return issues


def _check_references(references: str | None, msg_type: str, source_format: str, issues: list[Issue]) -> None:
    if references is None:
        if msg_type in NEEDS_REFERENCES:
            issues.append(
                Issue("references_required", f"an {msg_type} message must name what it refers to", "references")
            )
        return
    if not references:
        if msg_type in NEEDS_REFERENCES:
            issues.append(Issue("references_empty", f"an {msg_type} message has an empty <references>", "references"))
        else:
            issues.append(Issue("references_empty", "empty <references> element", "references", "warning"))
        return
    for item in references.split():
        parts = item.split(",")
        sent = ",".join(parts[2:])
        if len(parts) < 3 or not parts[0] or not parts[1]:
            issues.append(Issue("bad_references", f"'{item[:60]}' is not 'sender,identifier,sent'", "references"))
        elif not _TIME.match(sent) and not (source_format == "12379" and not sent):
            issues.append(Issue("bad_references", f"'{item[:60]}': '{sent}' is not a CAP time", "references"))


def _check_polygon(text: str, where: str, issues: list[Issue]) -> None:
    pairs = text.split()
    if len(pairs) < 4:
        issues.append(Issue("polygon_too_short", f"a polygon needs at least 4 points, it has {len(pairs)}", where))
        return
    points = [_point(pair, where, issues) for pair in pairs]
    if None not in points and points[0] != points[-1]:
        issues.append(Issue("polygon_not_closed", "a polygon's first and last points must be the same", where))
