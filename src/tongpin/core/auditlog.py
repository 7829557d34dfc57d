"""Browsing the audit log (the page and the API share this)."""

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Page, Paginator

from .dates import day_bounds
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
