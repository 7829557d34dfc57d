"""Key publicity dates (宣传节点): the station's own planning, staff only."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.utils import timezone
from ninja import Schema
from pydantic import Field

from tongpin.core import roles
from tongpin.core.resources import Resource, Router, payload_values
from tongpin.core.schemas import ERRORS

from .. import keydates, services
from ..models import KeyDate
from .common import date_range, partner_of

router = Router(tags=["planning"])


class KeyDateIn(Schema):
    name: str
    kind: KeyDate.Kind = KeyDate.Kind.RECURRING
    month: int | None = None
    day: int | None = None
    end_month: int | None = None
    end_day: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    lead_days: int = Field(14, ge=0, le=365)
    partner: str | None = None
    tags: list[str] = []
    description: str = ""
    is_active: bool = True


class KeyDateOut(KeyDateIn):
    id: int
    partner: str | None = Field(None, alias="partner.slug")
    next_starts_on: dt.date | None
    next_ends_on: dt.date | None

    @staticmethod
    def resolve_next_starts_on(key_date: KeyDate) -> dt.date | None:
        upcoming = keydates.next_occurrence(key_date, timezone.localdate())
        return upcoming.starts_on if upcoming else None

    @staticmethod
    def resolve_next_ends_on(key_date: KeyDate) -> dt.date | None:
        upcoming = keydates.next_occurrence(key_date, timezone.localdate())
        return upcoming.ends_on if upcoming else None


class OccurrenceOut(Schema):
    key_date: int = Field(alias="key_date.pk")
    name: str = Field(alias="key_date.name")
    starts_on: dt.date
    ends_on: dt.date
    plan_from: dt.date


def key_date_values(request, payload: Schema) -> dict:
    return payload_values(payload, partner=partial(partner_of, request))


RESOURCE = Resource(
    "key_date",
    KeyDate,
    input=KeyDateIn,
    output=KeyDateOut,
    lookup=services.get_key_date,
    needs={"list": roles.PLAN_VIEW, "delete": roles.PLAN_MANAGE},
    rows=lambda user: KeyDate.objects.select_related("partner"),
    save=services.save_key_date,
    values=key_date_values,
    summaries={"list": "Key publicity dates", "create": "Add a key date", "delete": "Delete (409 if referenced)"},
)


@router.get(
    "/key-dates/occurrences", response={200: list[OccurrenceOut], **ERRORS}, summary="When key dates fall in a range"
)
def key_dates_occurrences(request, start: dt.date | None = None, end: dt.date | None = None):
    RESOURCE.check(request, "list")
    first, last = date_range(start, end)
    found = []
    for key_date in KeyDate.objects.filter(is_active=True):
        found.extend(keydates.occurrences(key_date, first, last))
    return sorted(found, key=lambda o: (o.starts_on, o.key_date.name))


RESOURCE.routes(router, "/key-dates", "key_date_id", verbs=("list", "create", "change", "delete"))
