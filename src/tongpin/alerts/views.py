"""The duty officer's console, an alert's page, the CAP composer, the public Atom feed of active alerts."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tongpin.core.access import page_needs
from tongpin.core.ids import clean_id
from tongpin.core.models import AuditEvent
from tongpin.core.pages import act_or_stay, attempt
from tongpin.core.roles import ALERT_DECIDE, ALERT_SUBMIT, ALERT_VIEW, Role, can

from . import authority, compose, divisions, duty, labels, listen, paging, queries
from . import release as lifecycle
from .lane_config import parse_polygons
from .models import Alert, AlertState, CallStep, Level
from .renditions import audio_folder

ACTIVE = (AlertState.RELEASED, AlertState.PENDING)
# The statuses the composer offers (System and Draft would never be published), each with what submitting does,
# in the question asked before it goes; {level.reach} is the chosen level's count of public channels.
CONSEQUENCES = {
    "Actual": gettext_lazy("将按发布策略向最多 {level.reach} 个公开渠道发布正式预警，可能不经再次确认立即发出"),
    "Exercise": gettext_lazy("将只向测试渠道发出演练预警"),
    "Test": gettext_lazy("将只向测试渠道发出测试预警"),
}
# A Cancel says first that it takes the original down (the trial read 解除 at 3 a.m. as a new warning): the type's
# lead names the original, then the status's part of it says where the cancellation goes.
CANCEL_REACH = {
    "Actual": gettext_lazy("向最多 {level.reach} 个公开渠道发出解除通知，可能不经再次确认立即发出"),
    "Exercise": gettext_lazy("只向测试渠道发出演练解除通知"),
    "Test": gettext_lazy("只向测试渠道发出测试解除通知"),
}
LEADS = {"Cancel": gettext_lazy("将解除原预警“{reference}”，{status.cancel}")}


def _rows(user) -> list[dict]:
    rows = []
    for alert in queries.visible_alerts(user)[:40]:
        deliveries = queries.deliveries(alert)
        rows.append(
            {
                "alert": alert,
                "deliveries": deliveries,
                "timings": _timings(alert, deliveries),
                "audio": listen.on_air(alert, deliveries),  # previews are in the pending cards
            }
        )
    return rows


def _pending(user) -> list[dict]:
    """Every alert waiting for a duty officer (however old), oldest first: what to decide, with its preview."""
    waiting = queries.visible_alerts(user, state=AlertState.PENDING).order_by("received_at", "id")
    return [{"alert": alert, "audio": listen.audio_for(alert), "calls": paging.calls_for(alert)} for alert in waiting]


def _timings(alert: Alert, deliveries) -> dict:
    """Seconds from receipt to release, and to the last delivered channel."""
    out = {}
    if alert.released_at:
        out["release"] = (alert.released_at - alert.received_at).total_seconds()
    delivered = [d.delivered_at for d in deliveries if d.delivered_at]
    if delivered:
        out["last"] = (max(delivered) - alert.received_at).total_seconds()
    return out


@login_required
def console(request, noted: dict | None = None):
    rows = _rows(request.user)
    pending = _pending(request.user)
    may_decide = authority.may_decide(request.user)
    context = {
        "rows": rows,
        "pending": pending,
        "can_decide": may_decide,  # the role, or a place on the shift running now (authority.py)
        "can_run_lane": can(request.user, ALERT_DECIDE),  # settings and drills: the role only
        "deciders": authority.deciders_text() if pending and not may_decide else "",
        "can_submit": can(request.user, ALERT_SUBMIT),
        "duty": duty.on_duty_now(),
        "noted": noted,  # a refused decision's note, shown again in its alert's form
    }
    if request.htmx:
        return render(request, "alerts/_console_rows.html", context)
    return render(request, "alerts/console.html", context)


@login_required
def alert_detail(request, alert_id: int, noted: dict | None = None):
    alert = queries.get_alert(request.user, alert_id)
    deliveries = queries.deliveries(alert)
    waiting = alert.state == AlertState.PENDING
    may_decide = waiting and authority.may_decide(request.user)
    context = {
        "alert": alert,
        "noted": noted,
        "chain": queries.chain(alert),
        "deliveries": deliveries,
        "timings": _timings(alert, deliveries),
        "can_decide": may_decide,
        "deciders": authority.deciders_text() if waiting and not may_decide else "",
        "can_submit": can(request.user, ALERT_SUBMIT),
        "can_follow": can(request.user, ALERT_SUBMIT) and alert.state in ACTIVE and alert.msg_type != "Cancel",
    }
    if request.htmx:
        return render(request, "alerts/_deliveries.html", context)
    context["audio"] = listen.audio_for(alert, deliveries)
    context["history"] = _history(alert)
    context["handled"] = next((step for step in context["history"] if step["handled"]), None)
    context["areas"] = _areas(alert)
    context["calls"] = paging.calls_for(alert)
    return render(request, "alerts/alert_detail.html", context)


def _areas(alert: Alert) -> list[dict]:
    """The alert's divisions by name, less those its area description already names: the trial read
    "南昌市 · 江西省 南昌市" for one place."""
    described = alert.area_desc.strip()
    areas = []
    for _name, code in alert.geocodes:
        name = divisions.label(code)
        own = name.split()[-1] if name.split() else name  # 南昌市 of 江西省 南昌市
        if described and (name in described or own in described):
            continue
        areas.append({"code": code, "name": name})
    return areas


def _history(alert: Alert) -> list[dict]:
    """The alert's audited steps, oldest first, with who and the duty officer's note where there is one."""
    events = AuditEvent.objects.filter(object_type=Alert._meta.label_lower, object_id=str(alert.pk))
    events = list(events.select_related("actor").order_by("at", "id"))
    names = _display_names(e.changes.get("user", "") for e in events if isinstance(e.changes, dict))
    history = []
    for event in events:
        changes = event.changes if isinstance(event.changes, dict) else {}
        # a paging step's facts (whom, which route) are shown apart from 处理说明, which is what a person wrote
        paging_step = event.action.startswith("alert.page")
        detail = _page_note(event.action, changes, names) if paging_step else ""
        who = str(event.actor) if event.actor else event.actor_name
        how = changes.get("authority", "")
        if how.startswith("roster:") and not paging_step:  # decided by a place on the shift: say which
            step = dict(CallStep.choices).get(how.partition(":")[2], "")
            who = _("%(who)s（当班%(step)s）") % {"who": who, "step": step}
        handled = paging_step and changes.get("via") == "decision" and "step" not in changes  # by someone not paged
        note = "" if paging_step else changes.get("note", "")
        what = labels.action_label(event.action)
        history.append({"at": event.at, "who": who, "what": what, "note": note, "detail": detail, "handled": handled})
    return history


def _display_names(usernames) -> dict[str, str]:
    """Login name -> the name people know (周航, not duty): the audit keeps login names, the page shows people."""
    wanted = {name for name in usernames if name and isinstance(name, str)}
    if not wanted:
        return {}
    return {user.get_username(): str(user) for user in get_user_model().objects.filter(username__in=wanted)}


def _page_note(action: str, changes: dict, names: dict[str, str]) -> str:
    """A paging step in words: whom (呼叫：值班员 周航), over which route, what went wrong — or, for a decision by
    someone who was not paged, who handled it (由 带班领导 陈岚 处理)."""
    user = changes.get("user", "")
    name = names.get(user, user)
    if action == "alert.page_acknowledged" and changes.get("via") == "decision" and "step" not in changes:
        parts = [_("由 %(who)s %(name)s 处理") % {"who": _acting_as(changes), "name": name}]
    elif action == "alert.paged":
        parts = [_("呼叫：%(person)s") % {"person": _person(changes.get("step", ""), name)}]
    else:
        parts = [_person(changes.get("step", ""), name), changes.get("route", ""), changes.get("error", "")]
    if changes.get("after_seconds") is not None:
        parts.append(_("呼叫后 %(s)s 秒") % {"s": changes["after_seconds"]})
    return " · ".join(str(p) for p in parts if p)


def _person(step: str, name: str) -> str:
    """值班员 周航: the place on the shift, then the name."""
    return f"{dict(CallStep.choices).get(step, '')} {name}".strip()


def _acting_as(changes: dict) -> str:
    """The capacity a decider acted in: their place on the shift (带班领导), else their role (值班员)."""
    how = changes.get("authority", "")
    if how.startswith("roster:"):
        return str(dict(CallStep.choices).get(how.partition(":")[2], ""))
    return str(dict(Role.choices).get(changes.get("role", ""), ""))


@login_required
@require_POST
def alert_decide(request, alert_id: int, decision: str):
    action = lifecycle.confirm if decision == "confirm" else lifecycle.reject
    note = request.POST.get("note", "").strip()
    success = _("已确认发布。") if decision == "confirm" else _("已驳回，不发布。")
    from_console = request.POST.get("back") == "console"  # decided from the duty console: stay there
    back = reverse("alert-console") if from_console else reverse("alert-detail", args=[alert_id])
    if done := act_or_stay(request, lambda actor: action(actor, alert_id, note), back, success=success):
        return done
    # Refused: the same page again, the note as typed in the alert's form (a redirect would lose it).
    noted = {"alert": alert_id, "note": request.POST.get("note", "")}
    return console(request, noted) if from_console else alert_detail(request, alert_id, noted)


@login_required
@require_GET
def alert_audio(request, alert_id: int, which: str):
    """The alert's spoken warning for staff who may see the alert: as it went on air, or a preview before release."""
    alert = queries.get_alert(request.user, alert_id)
    path = listen.on_air_path(alert) if which == "on-air" else None
    if which == "preview" and listen.previewable(alert):
        path = listen.preview_path(alert)
    if path is None:
        raise Http404
    response = FileResponse(path.open("rb"), content_type="audio/wav")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _draft(posted) -> compose.Draft:
    """The composer's form as a draft to build CAP from."""
    reference = clean_id(posted.get("reference"))
    return compose.Draft(
        event=posted.get("event", ""),
        level=posted.get("level", ""),
        headline=posted.get("headline", ""),
        description=posted.get("description", ""),
        instruction=posted.get("instruction", ""),
        area_desc=posted.get("area_desc", ""),
        area_codes=[c.strip() for c in posted.get("area_codes", "").replace("，", ",").split(",") if c.strip()],
        polygons=parse_polygons(posted.get("polygons", "")),
        category=posted.get("category", "Met"),
        urgency=posted.get("urgency", "Immediate"),
        certainty=posted.get("certainty", "Likely"),
        status=posted.get("status", "Actual"),
        msg_type=posted.get("msg_type", "Alert"),
        references=[reference] if reference else [],
        expires_hours=_int(posted.get("expires_hours"), 24),
        sender_name=posted.get("sender_name", ""),
    )


def _original(request, value) -> Alert:
    """The alert an Update or Cancel is written from: one this user may see, else 404 (a bad id too, never 500)."""
    if clean_id(value) is None or not can(request.user, ALERT_VIEW):
        raise Http404
    return queries.get_alert(request.user, value)  # NotFound: 404


def _prefilled(request, value, msg_type: str | None) -> tuple[dict, Alert]:
    original = _original(request, value)
    return compose.prefill(original, "Cancel" if msg_type == "Cancel" else "Update"), original


@page_needs(ALERT_SUBMIT)
def composer(request):
    """Write an alert; `?original=<id>&type=Update|Cancel` (or 从原预警填入) starts from the alert it follows."""
    posted, original = {}, None
    if request.method == "POST" and "fill" in request.POST:
        posted = request.POST
        if clean_id(posted.get("reference")):
            posted, original = _prefilled(request, posted["reference"], posted.get("msg_type"))
        else:
            messages.error(request, _("请先选择原预警。"))
    elif request.method == "POST":
        posted = request.POST
        issued = attempt(request, lambda actor: compose.issue(actor, _draft(posted)))
        if issued.ok:
            alert = issued.value.alert
            messages.success(request, _("预警已提交：%(s)s") % {"s": alert.get_state_display()})
            return redirect("alert-detail", alert_id=alert.pk)
    elif "original" in request.GET:
        posted, original = _prefilled(request, request.GET["original"], request.GET.get("type"))
    return render(request, "alerts/composer.html", _composer_context(posted, original))


def _composer_context(posted, original: Alert | None) -> dict:
    active = list(Alert.objects.filter(state__in=ACTIVE, msg_type__in=["Alert", "Update"])[:50])
    if original is not None and original not in active:
        active.insert(0, original)  # the one written from is always offered, however old
    reach = compose.public_reach()
    return {
        "levels": [(code, name, reach[code]) for code, name in Level.choices],
        "posted": posted,
        "original": original,
        # the composer writes Alert, Update and Cancel, each with the lead of the question asked on 提交
        "msg_types": [
            (code, name, LEADS.get(code, "{status.consequence}")) for code, name in labels.choices("msg_type")[:3]
        ],
        "statuses": [
            (code, name, CONSEQUENCES[code], CANCEL_REACH[code])
            for code, name in labels.choices("status")
            if code in CONSEQUENCES
        ],
        # Asked on 提交 (and on Enter), filled in by behaviours.js from the fields chosen at that moment.
        "ask": _("{msg_type.lead}（类型：{msg_type}；级别：{level}；事件：{event}）确定提交？"),
        "urgencies": [(code, name) for code, name in labels.choices("urgency") if code != "Past"],
        "certainties": labels.choices("certainty"),
        "active": active,
        "categories": [(code, labels.label("category", code)) for code in compose.CATEGORIES],
    }


@require_GET
def cap_xml(request, alert_id: int):
    """The CAP of a public, released alert (linked from the Atom feed). Restricted and Private alerts carry
    their restriction and addressees: only signed-in staff who may see alerts get those."""
    alert = (
        Alert.objects.filter(pk=clean_id(alert_id) or 0, status="Actual")
        .exclude(state__in=[AlertState.PENDING, AlertState.REJECTED])
        .first()
    )
    if alert is None or alert.released_at is None:
        raise Http404
    if not alert.open_to_everyone and not can(request.user, ALERT_VIEW):
        raise Http404  # not even whether it exists
    return HttpResponse(alert.cap_xml.encode(), content_type="application/cap+xml; charset=utf-8")


@require_GET
def atom_feed(request):
    """Active public alerts (scope Public) for downstream systems, newest first, each entry linking its CAP."""
    feed = Atom1Feed(
        title=_("同频 · 生效中的预警"),
        link=request.build_absolute_uri("/alerts/feed.atom"),
        description="",
        language="zh-CN",
        feed_url=request.build_absolute_uri(),
    )
    active = Alert.objects.filter(state=AlertState.RELEASED, status="Actual", scope="Public")
    for alert in active.exclude(msg_type="Cancel")[:100]:
        feed.add_item(
            title=str(alert),
            link=request.build_absolute_uri(f"/alerts/{alert.pk}/cap.xml"),
            description=alert.description,
            unique_id=f"urn:tongpin:alert:{alert.sender}:{alert.identifier}:{alert.sent}",
            unique_id_is_permalink=False,
            pubdate=alert.released_at,
            updateddate=alert.released_at,
            categories=[c for c in (alert.event, alert.get_level_display() if alert.level else "") if c],
            enclosures=[],
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return response


@require_GET
def audio(request, name: str):
    """Spoken warnings for radio automation: unguessable names, WAV only."""
    if not name.endswith(".wav") or "/" in name or not name[:-4].isalnum():
        raise Http404
    path = audio_folder() / name
    if not Path(path).is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type="audio/wav")
    response["X-Content-Type-Options"] = "nosniff"
    return response
