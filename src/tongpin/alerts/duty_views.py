"""Pages for waking the duty officer: the roster (值班排班), paging routes (呼叫通道), the one-time confirm link a page
carries, and the drill button. Admins edit; duty officers read. Thin: rules and audit in duty.py and paging.py."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongpin.core.audit import actor_from_request
from tongpin.core.pages import attempt
from tongpin.core.roles import ALERT_VIEW, can

from . import drill, duty, paging
from . import lane_config as lane
from .models import RouteKind
from .settings_views import tab_post


def _when(raw: str) -> dt.datetime | None:
    """A datetime-local value in the station's time zone."""
    try:
        return timezone.make_aware(dt.datetime.fromisoformat(raw)) if raw else None
    except ValueError:
        return None


def _int(value) -> int | None:
    try:
        return int(value) or None
    except (TypeError, ValueError):
        return None


@login_required
def roster(request):
    actor = actor_from_request(request)
    rows = duty.shifts(actor)  # refuses those who may not read
    typed = None
    if request.method == "POST":
        # A refused shift shows the page again with what was typed (a redirect would lose the times and people).
        typed = request.POST
        saving = not (typed.get("delete") or typed.get("mobile_for"))
        if done := tab_post(request, "alert-settings-duty", lambda actor: _roster_write(actor, typed), stay=saving):
            return done
    now = timezone.now()
    mobiles = duty.contacts(actor)
    people = duty.rosterable_people()
    on_roster = {p.pk for s in rows for p in (s.officer, s.backup, s.chief) if p is not None}
    return render(request, "alerts/settings_duty.html", {
        "tab": "duty", "rows": [{"shift": s, "now": s.starts_at <= now < s.ends_at} for s in rows],
        "people": people, "can_edit": lane.may_edit(request.user),
        "contacts": [{"user": p, "mobile": mobiles.get(p.pk, "")} for p in people if p.pk in on_roster],
        "default_start": timezone.localtime(now).replace(minute=0, second=0, microsecond=0), "typed": typed,
    })  # fmt: skip


def _roster_write(actor, post) -> str:
    if post.get("delete"):
        duty.delete_shift(actor, _int(post.get("id")) or 0)
        return _("班次已删除。")
    if post.get("mobile_for"):
        duty.save_mobile(actor, _int(post.get("mobile_for")) or 0, post.get("mobile", ""))
        return _("手机号已保存。")
    duty.save_shift(actor, duty.ShiftInput(
        starts_at=_when(post.get("starts_at", "")), ends_at=_when(post.get("ends_at", "")),
        officer_id=_int(post.get("officer_id")), backup_id=_int(post.get("backup_id")),
        chief_id=_int(post.get("chief_id")), note=post.get("note", ""), id=_int(post.get("id"))))  # fmt: skip
    return _("班次已保存。")


@login_required
def routes(request):
    actor = actor_from_request(request)
    rows = duty.routes(actor)
    typed = None
    if request.method == "POST":
        # A refused route shows the page again with what was typed (never the secret: it is typed again).
        typed = request.POST
        saving = not (typed.get("delete") or typed.get("test"))
        if done := tab_post(request, "alert-settings-paging", lambda actor: _route_write(actor, request), stay=saving):
            return done
    return render(request, "alerts/settings_paging.html", {
        "tab": "paging", "rows": [duty.route_values(r) for r in rows], "kinds": RouteKind.choices,
        "can_edit": lane.may_edit(request.user), "base_url": settings.TONGPIN_BASE_URL, "typed": typed})  # fmt: skip


def _route_write(actor, request) -> str:
    post = request.POST
    if post.get("delete"):
        duty.delete_route(actor, _int(post.get("id")) or 0)
        return _("呼叫通道已删除。")
    if post.get("test"):
        problem = duty.test_route(actor, _int(post.get("id")) or 0)
        if problem:
            messages.error(request, _("测试呼叫失败：%(e)s") % {"e": problem})
            return ""
        return _("测试呼叫已送达网关。")
    duty.save_route(actor, duty.RouteInput(
        name=post.get("name", ""), kind=post.get("kind", ""), url=post.get("url", ""), secret=post.get("secret", ""),
        is_active="is_active" in post, id=_int(post.get("id"))))  # fmt: skip
    return _("呼叫通道已保存。")


@login_required
def page_link(request, token: str):
    """The page's one-time link: signed in (with whatever second factor sign-in asks), it acknowledges the page and
    shows the alert with its decision — on a phone."""
    if not can(request.user, ALERT_VIEW):
        return render(request, "alerts/page_link.html", {"problem": _("您没有查看预警的权限。")}, status=403)
    try:
        call = paging.open_link(actor_from_request(request), token)
    except paging.LinkError as error:
        problems = {"invalid": (400, _("链接无效。")), "expired": (410, _("链接已过期，请在预警值班台处理。")),
                    "used": (410, _("链接已使用过，请在预警值班台或预警页面处理。"))}  # fmt: skip
        status, problem = problems[error.code]
        return render(request, "alerts/page_link.html", {"problem": problem}, status=status)
    alert = call.alert
    if alert is None:
        return redirect("system-status")
    from . import authority
    from .models import AlertState

    waiting = alert.state == AlertState.PENDING
    may_decide = waiting and authority.may_decide(request.user)
    return render(request, "alerts/page_link.html", {
        "alert": alert, "call": call, "can_decide": may_decide,
        "deciders": authority.deciders_text() if waiting and not may_decide else ""})  # fmt: skip


@login_required
@require_POST
def run_drill(request):
    ran = attempt(request, drill.run, _("演练已发出，下面是各测试渠道的投递结果。"))
    return redirect("alert-detail", alert_id=ran.value.pk) if ran.ok else redirect("alert-console")
