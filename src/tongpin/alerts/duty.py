"""Duty rosters (排班) and paging routes (呼叫通道): who is on duty when, and how they are reached.

Admins change them (`ALERT_POLICY`); duty officers read them (lane_config's rule). Every change is audited with the
old and new values. A route's secret is stored and never shown again: an edit that leaves it empty keeps it, unless
the URL changes (the secret is not sent to a new destination: it must be entered again).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import audit, datakey, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, NotFound, ValidationFailed
from tongpin.core.ids import clean_id
from tongpin.core.models import User
from tongpin.core.roles import ALERT_VIEW

from .lane_config import require_edit, require_read
from .models import PAGING_SECRET_CONTEXT, CallStep, DutyContact, DutyShift, PagingRoute, RouteKind

MAX_SHIFT = dt.timedelta(days=7)


# -- who is on duty -----------------------------------------------------------------------------------------------


def shifts_at(moment: dt.datetime) -> list[DutyShift]:
    return list(
        DutyShift.objects.filter(starts_at__lte=moment, ends_at__gt=moment).select_related("officer", "backup", "chief")
    )


def people_on_duty(step: str, moment: dt.datetime) -> list[User]:
    """The active people of this step (officer, backup, chief) in the shifts running at `moment` who may see
    alerts — and so decide them while on the shift (authority.py): paging someone who cannot act wakes them for
    nothing (a role changed after the shift was entered)."""
    field = {CallStep.OFFICER: "officer", CallStep.BACKUP: "backup", CallStep.CHIEF: "chief"}[step]
    people = {}
    for shift in shifts_at(moment):
        person = getattr(shift, field)
        if person is not None and roles.can(person, ALERT_VIEW):
            people[person.pk] = person
    return list(people.values())


# -- shifts -------------------------------------------------------------------------------------------------------


@dataclass
class ShiftInput:
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    officer_id: int | None
    backup_id: int | None = None
    chief_id: int | None = None
    note: str = ""
    id: int | None = None


def shift_values(shift: DutyShift) -> dict:
    return {"id": shift.pk, "starts_at": shift.starts_at, "ends_at": shift.ends_at, "officer_id": shift.officer_id,
            "backup_id": shift.backup_id, "chief_id": shift.chief_id, "note": shift.note}  # fmt: skip


def shifts(actor: Actor, since: dt.datetime | None = None, days: int = 14) -> list[DutyShift]:
    require_read(actor)
    since = since or timezone.now() - dt.timedelta(days=1)
    rows = DutyShift.objects.filter(ends_at__gt=since, starts_at__lt=since + dt.timedelta(days=days))
    return list(rows.select_related("officer", "backup", "chief"))


def get_shift(user, shift_id: int) -> DutyShift:
    """One shift, for those who read the roster (403 for the others, whatever the id), else 404."""
    require_read(Actor(user=user))
    shift = DutyShift.objects.filter(pk=clean_id(shift_id) or 0).first()
    if shift is None:
        raise NotFound(FieldError("shift_not_found", _("班次不存在。"), "id"))
    return shift


def _person(user_id, location: str, errors: list, required: bool = False) -> User | None:
    if not user_id:
        if required:
            errors.append(FieldError("required", _("请选择值班员。"), location))
        return None
    user = User.objects.filter(pk=clean_id(user_id) or 0, is_active=True).first()
    if user is None:
        errors.append(FieldError("unknown_user", _("所选人员不存在或已停用。"), location))
    elif not roles.can(user, ALERT_VIEW):
        # Everyone on a shift is paged and may decide the alerts waiting during it: they must be able to see them.
        message = _("%(name)s 的角色不能查看预警，不能排入值班。") % {"name": user}
        errors.append(FieldError("cannot_decide", message, location))
    return user


def save_shift(actor: Actor, data: ShiftInput) -> DutyShift:
    require_edit(actor)
    errors: list[FieldError] = []
    officer = _person(data.officer_id, "officer_id", errors, required=True)
    backup = _person(data.backup_id, "backup_id", errors)
    chief = _person(data.chief_id, "chief_id", errors)
    if data.starts_at is None or data.ends_at is None:
        errors.append(FieldError("invalid_time", _("请填写开始和结束时间。"), "starts_at"))
    elif data.ends_at <= data.starts_at:
        errors.append(FieldError("invalid_time", _("结束时间必须晚于开始时间。"), "ends_at"))
    elif data.ends_at - data.starts_at > MAX_SHIFT:
        errors.append(FieldError("shift_too_long", _("一个班次不能超过 7 天。"), "ends_at"))
    if officer is not None and backup is not None and officer.pk == backup.pk:
        errors.append(FieldError("same_person", _("备班不能是值班员本人。"), "backup_id"))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        shift = DutyShift.objects.select_for_update().filter(pk=data.id).first() if data.id else DutyShift()
        if data.id and shift is None:
            raise NotFound(FieldError("shift_not_found", _("班次不存在。"), "id"))
        old = shift_values(shift) if shift.pk else None
        shift.starts_at, shift.ends_at, shift.note = data.starts_at, data.ends_at, data.note[:200]
        shift.officer, shift.backup, shift.chief = officer, backup, chief
        shift.save()
        audit.record(actor, "duty.shift_saved", shift, {"old": _jsonable(old), "new": _jsonable(shift_values(shift))})
    return shift


def delete_shift(actor: Actor, shift_id: int) -> None:
    require_edit(actor)
    with transaction.atomic():
        shift = DutyShift.objects.filter(pk=clean_id(shift_id) or 0).first()
        if shift is None:
            raise NotFound(FieldError("shift_not_found", _("班次不存在。"), "id"))
        audit.record(actor, "duty.shift_deleted", shift, {"old": _jsonable(shift_values(shift))})
        shift.delete()


def _jsonable(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in values.items()}


# -- contacts -----------------------------------------------------------------------------------------------------


def contacts(actor: Actor) -> dict[int, str]:
    require_read(actor)
    return dict(DutyContact.objects.values_list("user_id", "mobile"))


def save_mobile(actor: Actor, user_id: int, mobile: str) -> DutyContact:
    require_edit(actor)
    mobile = mobile.strip().replace(" ", "").replace("-", "")
    if mobile and not (mobile.lstrip("+").isdigit() and 5 <= len(mobile) <= 20):
        raise ValidationFailed(FieldError("invalid_mobile", _("手机号格式不正确。"), "mobile"))
    errors: list[FieldError] = []
    user = _person(user_id, "user_id", errors, required=True)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        contact, _created = DutyContact.objects.get_or_create(user=user)
        old = contact.mobile
        contact.mobile = mobile
        contact.save()
        audit.record(actor, "duty.contact_saved", contact, {"user": user.get_username(), "mobile": [old, mobile]})
    return contact


def rosterable_people() -> list[User]:
    """Who may stand on a shift: the active accounts whose role may see alerts (see `_person`)."""
    return list(User.objects.filter(is_active=True, role__in=roles.roles_with(ALERT_VIEW)).order_by("username"))


# -- routes -------------------------------------------------------------------------------------------------------


@dataclass
class RouteInput:
    name: str
    kind: str
    url: str
    secret: str = ""  # empty: keep the stored one (same URL)
    is_active: bool = True
    id: int | None = None


def route_values(route: PagingRoute) -> dict:
    """What may be shown: never the secret, only whether there is one; the URL with credentials masked."""
    from tongpin.core.outbound import redact

    return {"id": route.pk, "name": route.name, "kind": route.kind, "url": redact(route.url),
            "has_secret": bool(route.secret), "is_active": route.is_active, "down": route.down,
            "last_ok_at": route.last_ok_at, "last_error_at": route.last_error_at,
            "last_error": route.last_error}  # fmt: skip


def routes(actor: Actor) -> list[PagingRoute]:
    require_read(actor)
    return list(PagingRoute.objects.all())


def get_route(user, route_id: int) -> PagingRoute:
    """One paging route, for those who read the lane's settings (403 for the others, whatever the id), else 404."""
    require_read(Actor(user=user))
    route = PagingRoute.objects.filter(pk=clean_id(route_id) or 0).first()
    if route is None:
        raise NotFound(FieldError("route_not_found", _("呼叫通道不存在。"), "id"))
    return route


def save_route(actor: Actor, data: RouteInput) -> PagingRoute:
    require_edit(actor)
    errors = []
    if not data.name.strip():
        errors.append(FieldError("required", _("请填写名称。"), "name"))
    if data.kind not in RouteKind.values:
        errors.append(FieldError("invalid_kind", _("呼叫通道类型不正确。"), "kind"))
    parts = urlsplit(data.url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors.append(FieldError("invalid_url", _("接口地址必须是 http(s) 地址。"), "url"))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        route = PagingRoute.objects.select_for_update().filter(pk=data.id).first() if data.id else PagingRoute()
        if data.id and route is None:
            raise NotFound(FieldError("route_not_found", _("呼叫通道不存在。"), "id"))
        old = route_values(route) if route.pk else None
        moved = route.pk is not None and route.url != data.url.strip()
        if data.secret:
            route.secret = data.secret.strip()
        elif moved:
            route.secret = ""  # never send the old secret to a new address
        route.name, route.kind, route.url, route.is_active = data.name.strip()[:80], data.kind, data.url.strip(), \
            data.is_active  # fmt: skip
        route.save()
        new = route_values(route)
        audit.record(actor, "duty.route_saved", route, {"old": _jsonable(old), "new": _jsonable(new),
                                                        "secret_changed": bool(data.secret) or moved})  # fmt: skip
    return route


def delete_route(actor: Actor, route_id: int) -> None:
    require_edit(actor)
    with transaction.atomic():
        route = PagingRoute.objects.filter(pk=clean_id(route_id) or 0).first()
        if route is None:
            raise NotFound(FieldError("route_not_found", _("呼叫通道不存在。"), "id"))
        audit.record(actor, "duty.route_deleted", route, {"old": _jsonable(route_values(route))})
        route.delete()


def test_route(actor: Actor, route_id: int) -> str:
    """Send a test page over one route now (admins); returns '' when it went, else the error."""
    from tongpin.publishing.plugins import TransmitError

    from . import paging
    from .models import DutyCall

    require_edit(actor)
    route = PagingRoute.objects.filter(pk=clean_id(route_id) or 0).first()
    if route is None:
        raise NotFound(FieldError("route_not_found", _("呼叫通道不存在。"), "id"))
    call = DutyCall(step=CallStep.HEALTH, user=actor.user, text=_("呼叫通道测试，无需处理。"), nonce="test")
    now = timezone.now()
    try:
        paging.deliver(route, call)
    except TransmitError as error:
        PagingRoute.objects.filter(pk=route.pk).update(last_error_at=now, last_error=error.message[:300])
        audit.record(actor, "duty.route_tested", route, {"ok": False, "error": error.message})
        return error.message
    PagingRoute.objects.filter(pk=route.pk).update(last_ok_at=now)
    audit.record(actor, "duty.route_tested", route, {"ok": True})
    return ""


def on_duty_now() -> dict:
    """For the console: the shifts running now and the routes that are down."""
    now = timezone.now()
    running = shifts_at(now)
    upcoming = DutyShift.objects.filter(starts_at__gt=now).filter(~Q(pk__in=[s.pk for s in running]))
    return {"shifts": running, "next": upcoming.select_related("officer").first(),
            "routes_down": [r for r in PagingRoute.objects.filter(is_active=True) if r.down],
            "routes": PagingRoute.objects.filter(is_active=True).count()}  # fmt: skip


# --- paging secrets are a sealed store (`tongpin keys rotate`, `tongpin keys status`) ---


def _paging_key_ids() -> list[str]:
    return [datakey.sealed_key_id(v) for v in PagingRoute.objects.exclude(secret="").values_list("secret", flat=True)]


def _paging_reseal(rewrite) -> int:
    count = 0
    for row in PagingRoute.objects.select_for_update().exclude(secret="").order_by("pk"):
        new = rewrite(row.secret, PAGING_SECRET_CONTEXT)
        if new != row.secret:
            PagingRoute.objects.filter(pk=row.pk).update(secret=new)
            count += 1
    return count


PAGING_SECRETS = datakey.Store("paging_route_secrets", _paging_key_ids, _paging_reseal)
