"""Safe parsing of warning messages and their adaptation to CAP 1.2.

Safety first: a document with a DOCTYPE is refused before parsing (no DTDs, so no entities, external or
internal — the billion-laughs and XXE attacks need one), the parser never touches the network, never expands
entities, and sizes and nesting depth are bounded. Then the format is recognised and adapted:

  * CAP 1.2 (urn:oasis:names:tc:emergency:cap:1.2): as is;
  * CAP 1.1: the same structure in another namespace: renamed, "Very Likely" certainty becomes "Likely";
  * the national warning release system's format (12379, no namespace, `sendTime`): rebuilt as CAP 1.2;
  * an `<alerts>` wrapper around CAP 1.2 alerts: each inner alert on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from lxml import etree

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
CAP11 = "urn:oasis:names:tc:emergency:cap:1.1"
MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40
_DOCTYPE = re.compile(rb"<!\s*DOCTYPE|<!\s*ENTITY", re.IGNORECASE)


class RejectedDocument(Exception):
    """The bytes are not an acceptable XML warning message at all (before any CAP rule)."""

    def __init__(self, code: str, message: str, location: str = ""):
        super().__init__(message)
        self.code, self.message, self.location = code, message, location


@dataclass
class Parsed:
    """One message, as a CAP 1.2 element tree, and what the adapter had to say about it."""

    element: etree._Element
    source_format: str  # cap1.2 | cap1.1 | 12379
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (code, message, location) warnings
    original: bytes = b""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _depth(element: etree._Element) -> int:
    deepest, stack = 0, [(element, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((child, level + 1) for child in node)
    return deepest


def parse_document(data: bytes, max_bytes: int = MAX_BYTES) -> list[Parsed]:
    """Parse and adapt; raises RejectedDocument with a code for anything that is not a warning message."""
    if len(data) > max_bytes:
        raise RejectedDocument("too_large", _("文档超过 %(n)d 字节。") % {"n": max_bytes})
    if not data.strip():
        raise RejectedDocument("empty", _("文档是空的。"))
    if _DOCTYPE.search(data[:65536]) or _DOCTYPE.search(data):
        raise RejectedDocument("dtd_forbidden", _("不接受 DOCTYPE 和 ENTITY 声明。"))
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        message = _("不是格式正确的 XML：%(detail)s") % {"detail": error.msg}
        raise RejectedDocument("malformed_xml", message, f"line {error.lineno}") from error
    except ValueError as error:  # e.g. an encoding lxml does not know
        raise RejectedDocument("bad_encoding", _("无法读取文档的编码：%(detail)s") % {"detail": error}) from error
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        # A DOCTYPE the byte scan could not see (e.g. in UTF-16): refused all the same.
        raise RejectedDocument("dtd_forbidden", _("不接受 DOCTYPE 和 ENTITY 声明。"))
    if _depth(root) > MAX_DEPTH:
        raise RejectedDocument("too_deep", _("元素嵌套超过 %(n)d 层。") % {"n": MAX_DEPTH})
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise RejectedDocument("entity_forbidden", _("不接受实体引用。"))
    return _recognise(root, data)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _namespace(element: etree._Element) -> str:
    return etree.QName(element).namespace or "" if isinstance(element.tag, str) else ""


def _recognise(root: etree._Element, data: bytes) -> list[Parsed]:
    name, namespace = _local(root), _namespace(root)
    if name == "alert" and namespace == CAP12:
        return [Parsed(root, "cap1.2", original=data)]
    if name == "alert" and namespace == CAP11:
        return [Parsed(*_from_cap11(root), original=data)]
    if name == "alert" and not namespace and root.find("sendTime") is not None:
        return [Parsed(*_from_12379(root), original=data)]
    if name == "alert":
        raise RejectedDocument(
            "wrong_namespace", _("命名空间为“%(namespace)s”的 <alert> 不是 CAP 1.2 或 1.1。") % {"namespace": namespace}
        )
    if name == "alerts":
        inner = [child for child in root if _local(child) == "alert"]
        if inner and all(_namespace(child) == CAP12 for child in inner) and len(inner) == len(root):
            wrapped = [Parsed(child, "cap1.2", original=etree.tostring(child)) for child in inner]
            for parsed in wrapped:
                parsed.notes.append(("wrapper", _("预警取自非标准的 <alerts> 外层。"), ""))
            return wrapped
    if name == "EDXLDistribution":
        raise RejectedDocument("unsupported_envelope", _("不接受 EDXL-DE 信封，请直接发送 CAP 预警。"))
    raise RejectedDocument("not_cap", _("根元素 <%(name)s> 不是 CAP 预警。") % {"name": name})


def _from_cap11(root: etree._Element) -> tuple[etree._Element, str, list]:
    notes = [("converted", _("%(source)s 消息已转换为 CAP 1.2。") % {"source": "CAP 1.1"}, "")]
    for node in root.iter():
        if isinstance(node.tag, str) and _namespace(node) == CAP11:
            node.tag = f"{{{CAP12}}}{_local(node)}"
            if _local(node) == "certainty" and (node.text or "").strip() == "Very Likely":
                node.text = "Likely"
                notes.append(("certainty_mapped", _("CAP 1.1 的可能性“Very Likely”按“Likely”处理。"), "info/certainty"))
    etree.cleanup_namespaces(root)
    return root, "cap1.1", notes


# --- the national warning release system (12379) ---

LEVEL_TO_SEVERITY = {"red": "Extreme", "orange": "Severe", "yellow": "Moderate", "blue": "Minor"}
_EVENT_IN_HEADLINE = re.compile(r"发布(\S{1,8}?)(?:红色|橙色|黄色|蓝色)预警")
_12379_TIME = re.compile(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)([+-]\d\d:\d\d)$")


def _text(element: etree._Element | None, name: str) -> str:
    found = element.find(name) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _cap_time(value: str) -> str:
    match = _12379_TIME.match(value.strip())
    return f"{match.group(1)}T{match.group(2)}{match.group(3)}" if match else value.strip()


def sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    """Append a CAP 1.2 element (with its text) to `parent`; how the adapters and the composer write CAP."""
    node = etree.SubElement(parent, f"{{{CAP12}}}{name}")
    if text is not None:
        node.text = text
    return node


def _from_12379(source: etree._Element) -> tuple[etree._Element, str, list]:
    """Rebuild a 12379 message as CAP 1.2: sendTime → sent, colour → severity (the level kept as a
    parameter), 12-digit area codes → geocodes, per-channel texts (SPEAKER/SMS/WEB) → parameters."""
    notes = [("converted", _("%(source)s 消息已转换为 CAP 1.2。") % {"source": "12379"}, "")]

    alert = etree.Element(f"{{{CAP12}}}alert", nsmap={None: CAP12})
    sender = _text(source, "senderCode") or _text(source, "sender")
    sub(alert, "identifier", _text(source, "identifier"))
    sub(alert, "sender", sender)
    sub(alert, "sent", _cap_time(_text(source, "sendTime")))
    for name in ("status", "msgType", "scope"):
        sub(alert, name, _text(source, name))
    if _text(source, "note"):
        sub(alert, "note", _text(source, "note"))
    references = _text(source, "references")
    if references:
        if "," not in references:
            # 12379 names only the earlier identifier: the chain is resolved by sender and identifier.
            references = f"{sender},{references},"
            notes.append(("references_identifier_only", _("12379 消息的引用没有发送时间。"), "references"))
        sub(alert, "references", references)
    for info_source in source.findall("info"):
        info = sub(alert, "info")
        sub(info, "language", _text(info_source, "language") or "zh-CN")
        sub(info, "category", "Met" if _text(source, "sender").endswith("气象局") else "Other")
        headline = _text(info_source, "headline")
        named = _EVENT_IN_HEADLINE.search(headline)
        event = _text(info_source, "event") or (named.group(1) if named else "") or headline
        sub(info, "event", event or _text(info_source, "eventType"))
        sub(info, "urgency", _text(info_source, "urgency") or "Unknown")
        colour = _text(info_source, "severity").lower()
        sub(info, "severity", LEVEL_TO_SEVERITY.get(colour, _text(info_source, "severity") or "Unknown"))
        sub(info, "certainty", _text(info_source, "certainty") or "Unknown")
        if _text(info_source, "eventType"):
            code = sub(info, "eventCode")
            sub(code, "valueName", "12379:eventType")
            sub(code, "value", _text(info_source, "eventType"))
        for name in ("effective", "onset", "expires"):
            if _text(info_source, name):
                sub(info, name, _cap_time(_text(info_source, name)))
        for name in ("senderName", "headline", "description", "instruction"):
            if _text(info_source, name):
                sub(info, name, _text(info_source, name))
        if colour in LEVEL_TO_SEVERITY:
            parameter = sub(info, "parameter")
            sub(parameter, "valueName", "level")
            sub(parameter, "value", colour)
        for method in source.findall("code/method"):
            if _text(method, "methodName") and _text(method, "message"):
                parameter = sub(info, "parameter")
                sub(parameter, "valueName", f"12379:{_text(method, 'methodName')}")
                sub(parameter, "value", _text(method, "message"))
        for area_source in info_source.findall("area"):
            area = sub(info, "area")
            sub(area, "areaDesc", _text(area_source, "areaDesc") or "—")
            for name in ("polygon", "circle"):
                if _text(area_source, name):
                    sub(area, name, _text(area_source, name))
            codes = [c.strip() for c in _text(area_source, "geocode").split(",") if c.strip()]
            for value in dict.fromkeys(codes):
                geocode = sub(area, "geocode")
                sub(geocode, "valueName", "GB/T 2260")
                sub(geocode, "value", value)
    return alert, "12379", notes
