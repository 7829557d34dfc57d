"""Who may decide a waiting alert (alerts/authority.py): duty officers by role, and whoever stands on the shift running
now — officer, backup, 带班领导 — which is whom the lane pages. A station trial paged the chief (陈岚), who then could
do nothing; these tests walk that night again."""

import datetime as dt
import html

import pytest
from django.utils import timezone

from tongpin.alerts import authority, duty, paging
from tongpin.alerts import release as lifecycle
from tongpin.alerts.models import AlertState, DutyCall, DutyShift
from tongpin.core.audit import Actor
from tongpin.core.errors import Forbidden, ValidationFailed
from tongpin.core.models import AuditEvent
from tongpin.core.roles import Role

from .conftest import api, make_user
from .test_duty_paging import pending_alert

NOW = timezone.now()


@pytest.fixture
def night_shift(users):
    """The demo's roster: the duty officer and the editor-in-chief as 带班领导, no backup."""
    return DutyShift.objects.create(starts_at=NOW - dt.timedelta(hours=1), ends_at=NOW + dt.timedelta(hours=11),
                                    officer=users["duty"], chief=users["chief"])  # fmt: skip


def test_the_chief_on_the_shift_confirms_and_the_audit_says_by_which_authority(users, sender, night_shift):
    alert = pending_alert(sender)
    assert authority.authority(users["chief"]) == "roster:chief"
    assert authority.authority(users["duty"]) == "role"
    released = lifecycle.confirm(Actor(user=users["chief"]), alert.pk, "已电话核实")
    assert released.state == AlertState.RELEASED and released.decided_by == users["chief"]
    entry = AuditEvent.objects.get(action="alert.confirmed", object_id=str(alert.pk))
    assert entry.changes == {"note": "已电话核实", "authority": "roster:chief"}
    assert AuditEvent.objects.filter(action="alert.page_acknowledged", changes__via="decision").exists()


def test_a_backup_on_the_shift_rejects_and_a_duty_officer_is_audited_by_role(users, sender, night_shift):
    night_shift.backup = users["desk"]
    night_shift.save()
    alert = pending_alert(sender)
    rejected = lifecycle.reject(Actor(user=users["desk"]), alert.pk, "误报")
    assert rejected.state == AlertState.REJECTED
    entry = AuditEvent.objects.get(action="alert.rejected", object_id=str(alert.pk))
    assert entry.changes["authority"] == "roster:backup" and entry.changes["note"] == "误报"


def test_off_the_shift_the_chief_and_other_viewers_may_not_decide(users, sender, night_shift):
    alert = pending_alert(sender)
    with pytest.raises(Forbidden):
        lifecycle.confirm(Actor(user=users["desk"]), alert.pk)  # may see alerts, not on the roster
    night_shift.ends_at = NOW - dt.timedelta(minutes=1)
    night_shift.save()
    with pytest.raises(Forbidden):
        lifecycle.confirm(Actor(user=users["chief"]), alert.pk)  # the shift is over
    alert.refresh_from_db()
    assert alert.state == AlertState.PENDING and authority.authority(users["chief"]) is None


def test_a_rostered_account_that_may_not_see_alerts_is_neither_authorised_nor_paged(users, sender, night_shift):
    night_shift.chief = users["reporter"]  # written round the roster's check, or a role changed after the fact
    night_shift.save()
    assert authority.authority(users["reporter"]) is None
    assert duty.people_on_duty("chief", NOW) == []
    reporter = make_user("writer", Role.REPORTER)
    start = NOW + dt.timedelta(days=1)
    shift = duty.ShiftInput(start, start + dt.timedelta(hours=8), users["duty"].pk, reporter.pk, users["auditor"].pk)
    with pytest.raises(ValidationFailed) as refused:
        duty.save_shift(Actor(user=users["admin"]), shift)
    assert {(e.code, e.location) for e in refused.value.errors} == {
        ("cannot_decide", "backup_id"),
        ("cannot_decide", "chief_id"),
    }
    offered = {u.username for u in duty.rosterable_people()}
    assert {"duty", "chief", "desk", "admin"} <= offered and not offered & {"reporter", "auditor", "secadmin", "jxqx"}


def test_escalated_to_the_chief_the_page_link_and_the_alert_page_let_her_decide(users, sender, night_shift, client_for):
    alert = pending_alert(sender, escalate_after=300)
    later = timezone.now() + dt.timedelta(seconds=301)
    assert paging.escalate_pages(now=later) == 1  # no backup on the shift: straight to the chief
    call = DutyCall.objects.get(alert=alert, step="chief", user=users["chief"])
    chief = client_for("chief")
    page = chief.get(paging.link_path(call)).content.decode()
    assert f'action="/alerts/{alert.pk}/confirm/"' in page and 'id="deciders"' not in page
    detail = chief.get(f"/alerts/{alert.pk}/").content.decode()
    assert f'action="/alerts/{alert.pk}/confirm/"' in detail and f'formaction="/alerts/{alert.pk}/reject/"' in detail
    console = chief.get("/alerts/").content.decode()
    assert f'action="/alerts/{alert.pk}/confirm/"' in console
    assert "/alerts/drill/" not in console  # running the lane (drills, settings) stays with the role
    response = chief.post(f"/alerts/{alert.pk}/confirm/", {"note": "带班领导确认"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.RELEASED and alert.decided_by == users["chief"]
    history = html.unescape(chief.get(f"/alerts/{alert.pk}/").content.decode())
    assert "chief（当班带班领导）" in history and "带班领导确认" in history


def test_a_viewer_who_cannot_decide_is_told_who_can(users, sender, night_shift, client_for):
    alert = pending_alert(sender)
    desk = client_for("desk")
    detail = html.unescape(desk.get(f"/alerts/{alert.pk}/").content.decode())
    assert "/confirm/" not in detail
    assert "您不能确认这条预警。可确认发布：值班员 duty、带班领导 chief" in detail
    console = html.unescape(desk.get("/alerts/").content.decode())
    assert "/confirm/" not in console and "可确认发布：值班员 duty、带班领导 chief" in console
    assert "可确认发布" not in client_for("duty").get(f"/alerts/{alert.pk}/").content.decode()
    night_shift.delete()  # nobody rostered: the role's holders are named
    detail = html.unescape(desk.get(f"/alerts/{alert.pk}/").content.decode())
    assert "可确认发布：值班员 duty、系统管理员 admin" in detail
    lifecycle.confirm(Actor(user=users["duty"]), alert.pk)
    assert "可确认发布" not in desk.get(f"/alerts/{alert.pk}/").content.decode()  # decided: nothing to say


def test_the_api_takes_the_decision_of_the_chief_on_the_shift_only(users, sender, night_shift, client, token_for):
    first = pending_alert(sender)
    refused = api(client, "post", f"/alerts/{first.pk}/confirm", token_for("desk"), {"note": ""})
    assert refused.status_code == 403
    answer = api(client, "post", f"/alerts/{first.pk}/confirm", token_for("chief"), {"note": "同意"})
    assert answer.status_code == 200 and answer.json()["state"] == "released"
    assert AuditEvent.objects.get(action="alert.confirmed").changes["authority"] == "roster:chief"


def test_the_overdue_notice_reaches_whoever_is_on_the_shift_whatever_their_role(users, sender, night_shift):
    night_shift.backup = users["desk"]  # a desk chief as 备班: told, since the shift lets them decide
    night_shift.save()
    pending_alert(sender, escalate_after=60)
    assert lifecycle.escalate_overdue(now=timezone.now() + dt.timedelta(seconds=61)) == 1
    assert users["desk"].notifications.filter(text__contains="未确认").exists()
    assert not users["editor"].notifications.exists()


def _named(users) -> None:
    for key, name in (("duty", "周航"), ("chief", "陈岚")):
        users[key].display_name = name
        users[key].save()


def test_the_chief_who_was_not_paged_confirms_and_the_page_is_recorded_as_hers_not_the_officers(
    users, sender, night_shift, client_for
):
    """The trial: 陈岚 (带班领导) confirmed, and 周航's call read 已应答 (值班员 · 呼叫后 19.8 秒); he did nothing."""
    _named(users)
    alert = pending_alert(sender)
    officer_call = DutyCall.objects.get(alert=alert, step="officer", user=users["duty"])
    chief = client_for("chief")
    assert chief.post(f"/alerts/{alert.pk}/confirm/", {"note": "已电话核实"}).status_code == 302
    officer_call.refresh_from_db()
    assert officer_call.acked_at is None  # 周航 did not answer
    entry = AuditEvent.objects.get(action="alert.page_acknowledged", object_id=str(alert.pk))
    assert entry.actor == users["chief"] and "step" not in entry.changes
    assert entry.changes["via"] == "decision" and entry.changes["authority"] == "roster:chief"
    assert paging.escalate_pages(now=timezone.now() + dt.timedelta(hours=1)) == 0
    page = html.unescape(chief.get(f"/alerts/{alert.pk}/").content.decode())
    calls = page.split('class="alerts-calls"')[1].split("</ul>")[0]
    assert "已应答" not in calls and "由 带班领导 陈岚 处理" in calls.split('id="page-handled"')[1]
    answered = page.split("值班人员已应答呼叫")[1].split("</li>")[0]
    assert "由 带班领导 陈岚 处理 · 呼叫后" in answered and "值班员" not in answered and "处理说明" not in answered


def test_a_paged_chief_who_decides_answers_her_own_call_only(users, sender, night_shift, client_for):
    _named(users)
    alert = pending_alert(sender, escalate_after=300)
    assert paging.escalate_pages(now=timezone.now() + dt.timedelta(seconds=301)) == 1
    lifecycle.reject(Actor(user=users["chief"]), alert.pk, "误报")
    answered = {call.step: call.acked_at for call in DutyCall.objects.filter(alert=alert)}
    assert answered["chief"] is not None and answered["officer"] is None
    entry = AuditEvent.objects.get(action="alert.page_acknowledged", object_id=str(alert.pk))
    assert entry.changes["step"] == "chief" and entry.changes["user"] == "chief"
    page = html.unescape(client_for("chief").get(f"/alerts/{alert.pk}/").content.decode())
    assert "带班领导 陈岚 · 呼叫后" in page.split("值班人员已应答呼叫")[1].split("</li>")[0]
    assert 'id="page-handled"' not in page
