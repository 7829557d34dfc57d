"""Duty rosters, paging routes and drills over the API. Reading: admins and duty officers; changing: admins
(`ALERT_POLICY`); a drill: duty officers and admins. Rules and audit: duty.py, paging.py, drill.py."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema
from ninja.responses import Status

from tongpin.core.audit import Actor, actor_from_request
from tongpin.core.outbound import redact
from tongpin.core.resources import Resource, on_one, whole_payload
from tongpin.core.schemas import ERRORS

from . import drill, duty
from .models import DutyShift, PagingRoute

router = Router(tags=["alerts"])


class DutyShiftIn(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    officer_id: int
    backup_id: int | None = None
    chief_id: int | None = None
    note: str = ""


class DutyShiftOut(DutyShiftIn):
    id: int


class DutyContactIn(Schema):
    mobile: str


class DutyContactOut(Schema):
    user_id: int
    mobile: str


class PagingRouteIn(Schema):
    name: str
    kind: str
    url: str
    secret: str = ""
    is_active: bool = True


class PagingRouteOut(Schema):
    id: int
    name: str
    kind: str
    url: str
    has_secret: bool
    is_active: bool
    down: bool
    last_ok_at: dt.datetime | None
    last_error_at: dt.datetime | None
    last_error: str

    @staticmethod
    def resolve_url(route: PagingRoute) -> str:
        return redact(route.url)  # credentials in the URL are never shown

    @staticmethod
    def resolve_has_secret(route: PagingRoute) -> bool:
        return bool(route.secret)  # the secret itself is never shown


class RouteTestOut(Schema):
    ok: bool
    error: str


class DrillOut(Schema):
    alert_id: int
    state: str


def save_shift(actor: Actor, values: dict, shift: DutyShift | None = None) -> DutyShift:
    return duty.save_shift(actor, duty.ShiftInput(**values, id=shift.pk if shift else None))


SHIFTS = Resource(
    "duty_shift",
    DutyShift,
    input=DutyShiftIn,
    output=DutyShiftOut,
    lookup=duty.get_shift,  # 403 for whoever may not read the roster, 404 `shift_not_found`
    save=save_shift,  # admins only (duty.save_shift): 403 for the others
    values=whole_payload,
    remove=lambda actor, shift: duty.delete_shift(actor, shift.pk),
    summaries={"create": "Add a duty shift", "change": "Change a duty shift", "delete": "Remove a duty shift"},
)


@router.get("/alerts/duty/shifts", response={200: list[DutyShiftOut], **ERRORS}, summary="Duty shifts")
def duty_shifts(request, days: int = 14):
    return duty.shifts(actor_from_request(request, "api"), days=max(1, min(days, 92)))


SHIFTS.routes(
    router,
    "/alerts/duty/shifts",
    "shift_id",
    verbs=("create", "change", "delete"),
    replace=True,
    names={"create": "duty_shift_add", "change": "duty_shift_put", "delete": "duty_shift_delete"},
)


@router.get("/alerts/duty/contacts", response={200: list[DutyContactOut], **ERRORS}, summary="Duty mobiles")
def duty_contacts(request):
    found = duty.contacts(actor_from_request(request, "api"))
    return [{"user_id": user_id, "mobile": mobile} for user_id, mobile in found.items()]


@router.put("/alerts/duty/contacts/{user_id}", response={200: DutyContactOut, **ERRORS}, summary="Set a mobile")
def duty_contact_put(request, user_id: int, payload: DutyContactIn):
    return duty.save_mobile(actor_from_request(request, "api"), user_id, payload.mobile)


def save_route(actor: Actor, values: dict, route: PagingRoute | None = None) -> PagingRoute:
    return duty.save_route(actor, duty.RouteInput(**values, id=route.pk if route else None))


ROUTES = Resource(
    "paging_route",
    PagingRoute,
    input=PagingRouteIn,
    output=PagingRouteOut,
    lookup=duty.get_route,  # 403 for whoever may not read the lane's settings, 404 `route_not_found`
    rows=lambda user: duty.routes(Actor(user=user)),
    save=save_route,  # admins only (duty.save_route)
    values=whole_payload,
    remove=lambda actor, route: duty.delete_route(actor, route.pk),
    summaries={
        "list": "Paging routes",
        "create": "Add a paging route",
        "change": "Change a route",
        "delete": "Remove a route",
    },
)
ROUTES.routes(
    router,
    "/alerts/paging/routes",
    "route_id",
    verbs=("list", "create", "change", "delete"),
    replace=True,
    names={
        "list": "paging_routes",
        "create": "paging_route_add",
        "change": "paging_route_put",
        "delete": "paging_route_delete",
    },
)


@on_one(router.post, "/alerts/paging/routes/{route_id}/test", ROUTES.lookup, RouteTestOut, "Test a route")
def paging_route_test(actor: Actor, route: PagingRoute) -> dict:
    error = duty.test_route(actor, route.pk)  # admins only
    return {"ok": not error, "error": error}


@router.post("/alerts/drill", response={201: DrillOut, **ERRORS}, summary="Run a drill to the test channels")
def alert_drill(request):
    alert = drill.run(actor_from_request(request, "api"))
    return Status(201, {"alert_id": alert.pk, "state": alert.state})
