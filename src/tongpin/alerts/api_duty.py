"""Duty rosters, paging routes and drills over the API. Reading: admins and duty officers; changing: admins
(`ALERT_POLICY`); a drill: duty officers and admins. Rules and audit: duty.py, paging.py, drill.py."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema
from ninja.responses import Status

from tongpin.core.audit import actor_from_request
from tongpin.core.schemas import ERRORS

from . import drill, duty

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


class RouteTestOut(Schema):
    ok: bool
    error: str


class DrillOut(Schema):
    alert_id: int
    state: str


@router.get("/alerts/duty/shifts", response={200: list[DutyShiftOut], **ERRORS}, summary="Duty shifts")
def duty_shifts(request, days: int = 14):
    return [duty.shift_values(s) for s in duty.shifts(actor_from_request(request, "api"), days=max(1, min(days, 92)))]


@router.post("/alerts/duty/shifts", response={201: DutyShiftOut, **ERRORS}, summary="Add a duty shift")
def duty_shift_add(request, payload: DutyShiftIn):
    shift = duty.save_shift(actor_from_request(request, "api"), duty.ShiftInput(**payload.dict()))
    return Status(201, duty.shift_values(shift))


@router.put("/alerts/duty/shifts/{shift_id}", response={200: DutyShiftOut, **ERRORS}, summary="Change a duty shift")
def duty_shift_put(request, shift_id: int, payload: DutyShiftIn):
    shift = duty.save_shift(actor_from_request(request, "api"), duty.ShiftInput(**payload.dict(), id=shift_id))
    return duty.shift_values(shift)


@router.delete("/alerts/duty/shifts/{shift_id}", response={204: None, **ERRORS}, summary="Remove a duty shift")
def duty_shift_delete(request, shift_id: int):
    duty.delete_shift(actor_from_request(request, "api"), shift_id)
    return Status(204, None)


@router.get("/alerts/duty/contacts", response={200: list[DutyContactOut], **ERRORS}, summary="Duty mobiles")
def duty_contacts(request):
    found = duty.contacts(actor_from_request(request, "api"))
    return [{"user_id": user_id, "mobile": mobile} for user_id, mobile in found.items()]


@router.put("/alerts/duty/contacts/{user_id}", response={200: DutyContactOut, **ERRORS}, summary="Set a mobile")
def duty_contact_put(request, user_id: int, payload: DutyContactIn):
    contact = duty.save_mobile(actor_from_request(request, "api"), user_id, payload.mobile)
    return {"user_id": contact.user_id, "mobile": contact.mobile}


@router.get("/alerts/paging/routes", response={200: list[PagingRouteOut], **ERRORS}, summary="Paging routes")
def paging_routes(request):
    return [duty.route_values(r) for r in duty.routes(actor_from_request(request, "api"))]


@router.post("/alerts/paging/routes", response={201: PagingRouteOut, **ERRORS}, summary="Add a paging route")
def paging_route_add(request, payload: PagingRouteIn):
    route = duty.save_route(actor_from_request(request, "api"), duty.RouteInput(**payload.dict()))
    return Status(201, duty.route_values(route))


@router.put("/alerts/paging/routes/{route_id}", response={200: PagingRouteOut, **ERRORS}, summary="Change a route")
def paging_route_put(request, route_id: int, payload: PagingRouteIn):
    route = duty.save_route(actor_from_request(request, "api"), duty.RouteInput(**payload.dict(), id=route_id))
    return duty.route_values(route)


@router.delete("/alerts/paging/routes/{route_id}", response={204: None, **ERRORS}, summary="Remove a route")
def paging_route_delete(request, route_id: int):
    duty.delete_route(actor_from_request(request, "api"), route_id)
    return Status(204, None)


@router.post("/alerts/paging/routes/{route_id}/test", response={200: RouteTestOut, **ERRORS}, summary="Test a route")
def paging_route_test(request, route_id: int):
    error = duty.test_route(actor_from_request(request, "api"), route_id)
    return {"ok": not error, "error": error}


@router.post("/alerts/drill", response={201: DrillOut, **ERRORS}, summary="Run a drill to the test channels")
def alert_drill(request):
    alert = drill.run(actor_from_request(request, "api"))
    return Status(201, {"alert_id": alert.pk, "state": alert.state})
