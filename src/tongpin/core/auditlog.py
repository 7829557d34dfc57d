"""Browsing the audit log (the page and the API share this)."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _

from . import audit, auditchain, roles
from .audit import Actor
from .dates import day_bounds
from .errors import FieldError, Forbidden, ValidationFailed
from .models import AuditEvent

PAGE_SIZE = 50


@dataclass
class AuditFilters:
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def browse_audit(filters: AuditFilters, page: int = 1) -> Page:
    events = AuditEvent.objects.select_related("actor")
    if filters.actor:
        events = events.filter(actor_name=filters.actor)
    if filters.action:
        events = events.filter(action__startswith=filters.action)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    events = events.filter(**day_bounds("at", filters.date_from, filters.date_to))
    return Paginator(events, PAGE_SIZE).get_page(page)


# --- Export for the off-box archive, and the chain check (audit administrators) ---------------------------------

EXPORT_FORMATS = {"jsonl": "application/x-ndjson; charset=utf-8", "csv": "text/csv; charset=utf-8"}


@dataclass
class Export:
    file_name: str
    content_type: str
    lines: Iterator[str]


def export_audit(actor: Actor, date_from: dt.date | None, date_to: dt.date | None, fmt: str = "jsonl") -> Export:
    """The events of a date range with their chain hashes, as JSON Lines (verifiable on its own) or CSV. The export
    is itself an audit event (`audit.export`), written before the first line."""
    if actor.user is not None and not roles.can(actor.user, roles.AUDIT_EXPORT):
        raise Forbidden(FieldError("forbidden", _("只有审计管理员可以导出审计日志。")))
    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed(FieldError("invalid_format", _("导出格式只能是 jsonl 或 csv。"), "format"))
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed(FieldError("invalid_range", _("起始日期不能晚于截止日期。"), "date_from"))
    span = f"{date_from or 'start'}_{date_to or 'now'}"
    file_name = f"tongpin-audit-{span}.{fmt}"
    audit.record(actor, "audit.export", object_type="core.auditevent", changes={
        "from": date_from.isoformat() if date_from else None, "to": date_to.isoformat() if date_to else None,
        "format": fmt, "file": file_name,
    })  # fmt: skip
    rows = auditchain.export_rows(date_from, date_to)
    lines = auditchain.jsonl_lines(rows) if fmt == "jsonl" else auditchain.csv_lines(rows)
    return Export(file_name, EXPORT_FORMATS[fmt], lines)


def verify_chain(actor: Actor) -> auditchain.Verification:
    if actor.user is not None and not roles.can(actor.user, roles.AUDIT_EXPORT):
        raise Forbidden(FieldError("forbidden", _("只有审计管理员可以校验审计日志。")))
    result = auditchain.verify()
    audit.record(actor, "audit.verify", object_type="core.auditevent",
                 changes={"result": "ok" if result.ok else (result.broken.code if result.broken else ""),
                          "count": result.count})  # fmt: skip
    return result
