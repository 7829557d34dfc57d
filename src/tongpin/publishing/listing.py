"""The delivery log: filtered, newest first, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Schema

from tongpin.core.dates import day_bounds
from tongpin.core.errors import FieldError, Forbidden
from tongpin.core.roles import DELIVERY_VIEW, can

from .models import Channel, Delivery, DeliveryAction, DeliveryState, PublicationState, Rendition

PAGE_SIZE = 50
MAX_PAGE = 10_000


class DeliveryFilters(Schema):
    state: DeliveryState | None = None
    channel: str | None = None
    publication: int | None = None
    page: int = 1


@dataclass
class DeliveryPage:
    rows: list[Delivery]
    count: int
    page: int
    pages: int


def deliveries_for(user, filters: DeliveryFilters) -> QuerySet[Delivery]:
    if not can(user, DELIVERY_VIEW):
        raise Forbidden(FieldError("forbidden", _("您没有查看投递记录的权限。")))
    rows = Delivery.objects.select_related("channel", "rendition__publication")
    if filters.state:
        rows = rows.filter(state=filters.state)
    if filters.channel:
        rows = rows.filter(channel__slug=filters.channel)
    if filters.publication and 0 < filters.publication < 2**63:
        rows = rows.filter(rendition__publication_id=filters.publication)
    return rows.order_by("-created_at", "-id")


def delivered_renditions(channel: Channel) -> QuerySet[Rendition]:
    """What a channel carries now: renditions whose publishing delivery succeeded (so schedules and embargoes
    hold) and whose publication was not withdrawn since, newest first. Feeds and the journal's pool read this."""
    delivered = Delivery.objects.filter(channel=channel, action=DeliveryAction.PUBLISH, state=DeliveryState.SUCCESS)
    return (
        Rendition.objects.filter(channel=channel, deliveries__in=delivered)
        .exclude(publication__state=PublicationState.WITHDRAWN)
        .select_related("publication")
        .order_by("-publication__released_at", "-id")
        .distinct()
    )


def list_deliveries(user, filters: DeliveryFilters) -> DeliveryPage:
    rows = deliveries_for(user, filters)
    count = rows.count()
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(1, filters.page), pages, MAX_PAGE)
    start = (page - 1) * PAGE_SIZE
    return DeliveryPage(list(rows[start : start + PAGE_SIZE]), count, page, pages)


def delivered_for_partner(partner_id: int, source_type: str, first, last) -> QuerySet[Delivery]:
    """Publishing deliveries that succeeded from `first` to `last` (whole days, local time) for one partner's
    sources of a type, leaving out publications withdrawn since. Commitments and partner reports count these."""
    return Delivery.objects.filter(
        action=DeliveryAction.PUBLISH,
        state=DeliveryState.SUCCESS,
        rendition__publication__source_type=source_type,
        rendition__publication__partner_id=partner_id,
        **day_bounds("delivered_at", first, last),
    ).exclude(rendition__publication__state=PublicationState.WITHDRAWN)
