"""CAP 1.2 as plain Python: read from a (validated) element tree, written back out by `compose.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from .parse import CAP12

NS = {"cap": CAP12}
LEVELS = ("red", "orange", "yellow", "blue")
SEVERITY_TO_LEVEL = {"Extreme": "red", "Severe": "orange", "Moderate": "yellow", "Minor": "blue"}
LEVEL_LABELS = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}


@dataclass
class Area:
    description: str
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)
    circles: list[tuple[float, float, float]] = field(default_factory=list)  # lat, lon, radius km
    geocodes: list[tuple[str, str]] = field(default_factory=list)
    raw_polygons: list[str] = field(default_factory=list)
    raw_circles: list[str] = field(default_factory=list)


@dataclass
class Info:
    language: str = "en-US"
    categories: list[str] = field(default_factory=list)
    event: str = ""
    urgency: str = "Unknown"
    severity: str = "Unknown"
    certainty: str = "Unknown"
    event_codes: list[tuple[str, str]] = field(default_factory=list)
    effective: str = ""
    onset: str = ""
    expires: str = ""
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: list[tuple[str, str]] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)

    def parameter(self, name: str) -> str:
        return next((v for k, v in self.parameters if k == name), "")

    @property
    def level(self) -> str:
        """红/橙/黄/蓝 from an explicit level parameter, else from the severity."""
        given = self.parameter("level").lower()
        return given if given in LEVELS else SEVERITY_TO_LEVEL.get(self.severity, "")


@dataclass
class Message:
    identifier: str = ""
    sender: str = ""
    sent: str = ""
    status: str = ""
    msg_type: str = ""
    source: str = ""
    scope: str = ""
    restriction: str = ""
    addresses: str = ""
    codes: list[str] = field(default_factory=list)
    note: str = ""
    references: str = ""
    incidents: str = ""
    infos: list[Info] = field(default_factory=list)
    signed: bool = False

    @property
    def reference_keys(self) -> list[tuple[str, str, str]]:
        """(sender, identifier, sent) of each message this one refers to."""
        keys = []
        for item in self.references.split():
            parts = item.split(",")
            if len(parts) >= 2:
                keys.append((parts[0], parts[1], ",".join(parts[2:])))
        return keys

    def preferred_info(self, languages: tuple[str, ...] = ("zh-CN", "zh", "zh-cn")) -> Info | None:
        """The Chinese info block if there is one, else the first."""
        for info in self.infos:
            if info.language.lower() in {lang.lower() for lang in languages} or info.language.lower().startswith("zh"):
                return info
        return self.infos[0] if self.infos else None


def parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _t(node: etree._Element, path: str) -> str:
    found = node.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _all(node: etree._Element, path: str) -> list[str]:
    return [(n.text or "").strip() for n in node.findall(path, NS)]


def _pairs(node: etree._Element, path: str) -> list[tuple[str, str]]:
    return [(_t(n, "cap:valueName"), _t(n, "cap:value")) for n in node.findall(path, NS)]


def _polygon(text: str) -> list[tuple[float, float]]:
    points = []
    for pair in text.split():
        lat, _, lon = pair.partition(",")
        points.append((float(lat), float(lon)))
    return points


def _circle(text: str) -> tuple[float, float, float]:
    centre, _, radius = text.strip().partition(" ")
    lat, _, lon = centre.partition(",")
    return float(lat), float(lon), float(radius)


def read(element: etree._Element) -> Message:
    """A Message from a CAP 1.2 element (call after the schema and rules accepted it)."""
    message = Message(
        identifier=_t(element, "cap:identifier"),
        sender=_t(element, "cap:sender"),
        sent=_t(element, "cap:sent"),
        status=_t(element, "cap:status"),
        msg_type=_t(element, "cap:msgType"),
        source=_t(element, "cap:source"),
        scope=_t(element, "cap:scope"),
        restriction=_t(element, "cap:restriction"),
        addresses=_t(element, "cap:addresses"),
        codes=_all(element, "cap:code"),
        note=_t(element, "cap:note"),
        references=_t(element, "cap:references"),
        incidents=_t(element, "cap:incidents"),
        signed=element.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None,
    )
    for node in element.findall("cap:info", NS):
        info = Info(
            language=_t(node, "cap:language") or "en-US",
            categories=_all(node, "cap:category"),
            event=_t(node, "cap:event"),
            urgency=_t(node, "cap:urgency"),
            severity=_t(node, "cap:severity"),
            certainty=_t(node, "cap:certainty"),
            event_codes=_pairs(node, "cap:eventCode"),
            effective=_t(node, "cap:effective"),
            onset=_t(node, "cap:onset"),
            expires=_t(node, "cap:expires"),
            sender_name=_t(node, "cap:senderName"),
            headline=_t(node, "cap:headline"),
            description=_t(node, "cap:description"),
            instruction=_t(node, "cap:instruction"),
            web=_t(node, "cap:web"),
            contact=_t(node, "cap:contact"),
            parameters=_pairs(node, "cap:parameter"),
        )
        for area_node in node.findall("cap:area", NS):
            area = Area(
                description=_t(area_node, "cap:areaDesc"),
                raw_polygons=_all(area_node, "cap:polygon"),
                raw_circles=_all(area_node, "cap:circle"),
                geocodes=_pairs(area_node, "cap:geocode"),
            )
            area.polygons = [_polygon(p) for p in area.raw_polygons if p]
            area.circles = [_circle(c) for c in area.raw_circles if c]
            info.areas.append(area)
        message.infos.append(info)
    return message
