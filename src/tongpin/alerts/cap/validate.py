"""Validation in layers: safe parsing and format adaptation, the schema, the specification's rules, then an
optional profile. Errors make a message invalid; warnings never do."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree

from . import model, profiles, rules
from .parse import MAX_BYTES, Parsed, RejectedDocument, parse_document
from .rules import Issue

SCHEMA = Path(__file__).with_name("cap12.xsd")


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


@dataclass
class Report:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    message: model.Message | None = None
    parsed: Parsed | None = None

    @property
    def valid(self) -> bool:
        return not self.errors

    def add(self, issues: list[Issue]) -> None:
        for issue in issues:
            (self.errors if issue.severity == "error" else self.warnings).append(issue)

    def as_dict(self) -> dict:
        return {
            "valid": self.valid,
            "format": self.parsed.source_format if self.parsed else None,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


def _schema_issues(element: etree._Element) -> list[Issue]:
    checker = schema()
    if checker.validate(etree.ElementTree(element)):
        return []
    issues = []
    for entry in list(checker.error_log)[:20]:
        detail = entry.message.replace("{urn:oasis:names:tc:emergency:cap:1.2}", "")  # libxml2's words, in English
        message = _("不符合 CAP 1.2 模式：%(detail)s") % {"detail": detail}
        issues.append(Issue("schema", message, f"line {entry.line}" if entry.line else ""))
    return issues


def validate_one(parsed: Parsed, profile: str | None = None) -> Report:
    report = Report(parsed=parsed)
    report.add([Issue(code, message, where, "warning") for code, message, where in parsed.notes])
    report.add(_schema_issues(parsed.element))
    if report.errors:
        return report  # the rules assume the structure is right
    report.add(rules.check(parsed.element, parsed.source_format))
    if report.errors:
        return report
    report.message = model.read(parsed.element)
    if profile:
        check = profiles.PROFILES.get(profile)
        if check is None:
            report.add([Issue("unknown_profile", _("没有名为“%(name)s”的 CAP 配置。") % {"name": profile}, "profile")])
        else:
            report.add(check(report.message))
    return report


def validate_bytes(data: bytes, profile: str | None = None, max_bytes: int = MAX_BYTES) -> list[Report]:
    """One report per message in the document (a wrapper may hold several); a refused document gives one."""
    try:
        documents = parse_document(data, max_bytes=max_bytes)
    except RejectedDocument as refused:
        return [Report(errors=[Issue(refused.code, refused.message, refused.location)])]
    return [validate_one(parsed, profile) for parsed in documents]
