import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from tongpin import __version__
from tongpin.core import roles
from tongpin.core.audit import Actor, client_ip, record
from tongpin.core.models import AuditEvent
from tongpin.newsroom.models import StoryStatus
from tongpin.newsroom.stories import visible_stories
from tongpin.publishing.models import DeliveryState

from . import doctor, lanewatch, status
from .middleware import api_not_found

LOCKED_OUT = _("登录失败次数过多，请 15 分钟后再试。")


class CalmAuthenticationForm(AuthenticationForm):
    # One message for a wrong name and a wrong password alike: the page never tells which. Guessing is counted
    # by django-axes (tongpin.core.signin); a locked-out attempt is answered by `locked_out` below.
    error_messages = {
        "invalid_login": _("账号或密码不正确。"),
        "inactive": _("账号或密码不正确。"),
        "machine_account": _("这是预警发布单位的接口账号，只能通过接口令牌提交预警，不能登录网页。"),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.role in roles.MACHINE_ROLES:
            # The password was right, so saying why is safe; the attempt is on record all the same.
            ip = client_ip(self.request) if self.request else None
            record(Actor(user=user, ip=ip), "auth.login_refused", user, {"reason": "machine_account"})
            raise ValidationError(self.error_messages["machine_account"], code="machine_account")


class TongpinLoginView(LoginView):
    """The sign-in page, for the site and the Django admin alike. The right password signs nobody in by itself:
    the steps the rules ask for (second factor, expired password) come first (web.account)."""

    template_name = "web/login.html"
    authentication_form = CalmAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        from .account import begin

        return begin(self.request, form.get_user(), self.get_redirect_url())


class TongpinAdminLoginView(TongpinLoginView):
    """/admin/login/: the same steps; someone signed in who may not use the Django admin is told so (sending them
    on to the admin would send them straight back here)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_staff:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def locked_out(request, response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the answer to any sign-in (page, admin, API token) refused as locked out."""
    if request.path.startswith("/api/"):
        error = {"code": "too_many_attempts", "message": str(LOCKED_OUT), "location": ""}
        return JsonResponse({"errors": [error]}, status=429)
    context = {"form": CalmAuthenticationForm(request), "locked_message": LOCKED_OUT, "next": ""}
    return render(request, "web/login.html", context, status=429)


@login_required
def dashboard(request):
    user = request.user
    if user.role == roles.Role.PARTNER_LIAISON:
        return redirect("portal")  # a liaison's home is their partner's portal
    if request.htmx:  # the waiting-alerts slot asking again (dashboard.html)
        return render(request, "web/_waiting_alerts.html", _waiting_alerts(user))
    stories = visible_stories(user)
    mine = stories.filter(authors=user, status=StoryStatus.DRAFT).order_by("-updated_at")[:10]
    counts = {row["status"]: row["n"] for row in _status_counts(stories)}
    return render(
        request,
        "web/dashboard.html",
        {
            "my_drafts": mine,
            "recent": stories.select_related("partner").order_by("-updated_at")[:10],
            "status_counts": [(label, counts.get(value, 0), value) for value, label in StoryStatus.choices],
            "show_newsroom": roles.can(user, roles.STORY_VIEW),
            "recent_audit": (
                AuditEvent.objects.select_related("actor")[:8] if roles.can(user, roles.AUDIT_VIEW) else None
            ),
            **_planning_home(user),
            **_waiting_alerts(user),
        },
    )


def _waiting_alerts(user) -> dict:
    """Alerts waiting for confirmation, for whoever can decide them now — by role, or on the shift running now,
    which is whom the lane pages (alerts/authority.py). The home page leads with them: a duty officer must not find
    a waiting warning only as a badge behind the phone's menu."""
    from tongpin.alerts import authority
    from tongpin.alerts.models import Alert, AlertState

    if not authority.may_decide(user):
        return {}
    waiting = Alert.objects.filter(state=AlertState.PENDING).order_by("-received_at", "-id")
    newest = waiting.first()
    if newest is None:
        return {"decides_alerts": True}
    return {"decides_alerts": True, "waiting_alerts": {"count": waiting.count(), "newest": newest}}


def _planning_home(user) -> dict:
    """What a staff member should see first of planning: their open assignments and action items, key dates
    whose planning should start now or soon."""
    if not roles.can(user, roles.PLAN_VIEW):
        return {}
    from django.utils import timezone

    from tongpin.partners.models import ActionItem, ActionState
    from tongpin.planning.keydates import upcoming
    from tongpin.planning.models import Assignment, KeyDate
    from tongpin.planning.services import LIVE_ASSIGNMENTS

    today = timezone.localdate()
    soon = [
        o
        for o in upcoming(KeyDate.objects.filter(is_active=True), today, 60)
        if o.plan_from <= today + dt.timedelta(days=7)
    ]
    return {
        "my_assignments": Assignment.objects.filter(assignee=user, state__in=LIVE_ASSIGNMENTS).select_related("topic")[
            :8
        ],
        "my_actions": ActionItem.objects.filter(owner=user, state=ActionState.OPEN).select_related("partner")[:8],
        "plan_now": soon[:6],
        "now": timezone.now(),
    }


def _status_counts(stories):
    return stories.order_by().values("status").annotate(n=Count("pk"))


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico whatever a page links: send them to the site's SVG mark (static files)."""
    return HttpResponsePermanentRedirect(static("web/favicon.svg"))


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = {"vendor": connection.vendor, "ok": True}
        status = 200
    except Exception as error:  # noqa: BLE001  (any database failure means unhealthy)
        database = {"vendor": connection.vendor, "ok": False, "error": error.__class__.__name__}
        status = 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "unavailable", "version": __version__, "database": database},
        status=status,
    )


@never_cache
def readyz(request):
    """Readiness: 200, or 503 with the reasons (database, no_worker, priority_delivery_stuck)."""
    result = status.readiness()
    lanewatch.watch_throttled()  # a lane with no worker alive is still watched (docs/operations.md)
    return JsonResponse(
        {"status": "ready" if result.ready else "not_ready", "version": __version__, "reasons": result.reasons},
        status=200 if result.ready else 503,
    )


READINESS_LABELS = {
    "database": _("数据库无法连接。"),
    "no_worker": _("没有在线的投递工作进程。"),
    "priority_delivery_stuck": _("优先投递等待过久。"),
}


@login_required
def system_status(request):
    if not roles.can(request.user, roles.SYSTEM_STATUS):
        raise PermissionDenied
    snapshot = status.snapshot()
    jobs = {"deliveries": _("投递"), "tasks": _("后台任务")}
    for worker in snapshot["workers"]:
        worker["runs_label"] = "、".join(str(jobs.get(job, job)) for job in worker["runs"].split(","))
    labels = dict(DeliveryState.choices)
    for alert in snapshot["alerts_released_not_delivered"]:
        alert["delivery_labels"] = [(labels.get(state, state), n) for state, n in alert["deliveries"].items()]
    ready = status.readiness(snapshot["checked_at"])
    for reason in ready.reasons:
        reason["label"] = READINESS_LABELS.get(reason["code"], "")
    context = {"s": snapshot, "ready": ready, "can_see_backups": roles.can(request.user, roles.BACKUP_VIEW)}
    return render(request, "web/status.html", context)


BADGES = {"ok": "st-published", "warn": "st-in_review", "fail": "st-withdrawn"}


@login_required
def system_check(request):
    """The same lines as `tongpin check`, for those who run Tongpin without a shell (docs/operations.md)."""
    if not roles.can(request.user, roles.SYSTEM_STATUS):
        raise PermissionDenied
    found = doctor.run()
    overall = doctor.overall(found)
    labels = doctor.group_labels()
    groups = []
    for finding in found:
        if not groups or groups[-1]["code"] != finding.group:
            groups.append({"code": finding.group, "label": labels[finding.group], "findings": []})
        groups[-1]["findings"].append(
            {**finding.as_dict(), "css": BADGES[finding.status], "status_label": doctor.status_label(finding.status)}
        )
    return render(request, "web/system_check.html", {
        "groups": groups, "overall_class": BADGES[overall], "overall_label": doctor.status_label(overall),
    })  # fmt: skip


def error_page(request, status: int, message):
    return render(request, "web/error.html", {"status": status, "messages_list": [message]}, status=status)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):  # the API answers in its own JSON shape, even for unknown paths
        return api_not_found()
    return error_page(request, 404, _("页面不存在，或您无权查看。"))


def permission_denied(request, exception=None):
    return error_page(request, 403, _("您没有权限执行此操作。"))


def bad_request(request, exception=None):
    return error_page(request, 400, _("请求无效。"))


def server_error(request):
    return error_page(request, 500, _("服务器出了点问题，已记录，请稍后再试。"))


def csrf_failure(request, reason=""):
    return error_page(request, 403, _("页面已过期或来源不可信，请刷新后重试。"))


@login_required
def backups_page(request):
    """The backup archives and the recent scheduled runs (system administrators)."""
    from . import backups
    from .models import BackupRun

    if not roles.can(request.user, roles.BACKUP_VIEW):
        raise PermissionDenied
    context = {
        "backups": backups.list_backups(),
        "directory": backups.backup_dir(),
        "schedule": backups.parse_schedule(settings.TONGPIN_BACKUP_SCHEDULE),
        "keep": settings.TONGPIN_BACKUP_KEEP,
        "runs": BackupRun.objects.all()[:14],
    }
    return render(request, "web/backups.html", context)
