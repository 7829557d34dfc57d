"""The planning calendar in a date range, and the caller's secret iCalendar addresses."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Schema

from tongpin.core.access import api_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.resources import Router
from tongpin.core.roles import PARTNER_VIEW, PLAN_VIEW
from tongpin.core.schemas import ERRORS

from .. import calendar, ical, services
from .common import date_range, ical_url

router = Router(tags=["planning"])


class EntryOut(Schema):
    uid: str
    kind: str
    title: str
    starts_on: dt.date
    ends_on: dt.date
    at: dt.datetime | None
    until: dt.datetime | None = Field(None, description="the end of a booked window (kind booking)")
    link: str
    conflicts: list[str]
    person: str


class CalendarQuery(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    mine: bool = False
    campaign: int | None = None
    bookings: bool = Field(True, description="include assignments' booked time windows (kind booking)")


class FeedsOut(Schema):
    person: str


@router.get("/calendar", response={200: list[EntryOut], **ERRORS}, summary="Calendar entries in a range")
@api_needs(PLAN_VIEW, PARTNER_VIEW)
def calendar_entries(request, filters: Query[CalendarQuery]):
    first, last = date_range(filters.start, filters.end)
    campaign = services.get_campaign(request.auth, filters.campaign) if filters.campaign else None
    person = request.auth if filters.mine else None
    return calendar.entries(request.auth, first, last, person=person, campaign=campaign, bookings=filters.bookings)


@router.get("/calendar/feeds", response={200: FeedsOut, **ERRORS}, summary="The caller's secret iCalendar address")
@api_needs(PLAN_VIEW, PARTNER_VIEW)
def calendar_feeds(request):
    return {"person": ical_url(request.auth, "person")}


@router.post(
    "/calendar/feeds/rotate",
    response={200: FeedsOut, **ERRORS},
    summary="Regenerate the caller's iCalendar addresses (every earlier one stops working)",
)
@api_needs(PLAN_VIEW, PARTNER_VIEW)  # as the calendar whose address it is
def calendar_feeds_rotate(request):
    ical.rotate(actor_from_request(request, "api"))
    return {"person": ical_url(request.auth, "person")}
