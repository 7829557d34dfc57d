"""Waking the duty officer (issue 16): rosters, paging routes, one-time confirm links, escalation to the backup and
the chief, the lane's own health. Fake gateways listen on 127.0.0.1; time is moved forward, never slept."""

import base64
import datetime as dt
import hashlib
import hmac
import json
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.utils import timezone

from tongpin.alerts import duty, paging
from tongpin.alerts.intake import receive
from tongpin.alerts.models import (
    Alert,
    AlertState,
    DutyCall,
    DutyContact,
    DutyShift,
    LaneCondition,
    PageSend,
    PageState,
    PagingRoute,
    ReleasePolicy,
)
from tongpin.core.audit import Actor
from tongpin.core.errors import Forbidden, ValidationFailed
from tongpin.core.models import AuditEvent
from tongpin.core.roles import Role
from tongpin.publishing.models import WorkerBeat
from tongpin.web import lanewatch

from .conftest import make_user
from .publishing_support import Sink
from .test_alerts_cap import cap

NOW = timezone.now()


@pytest.fixture
def crew(users):
    backup = make_user("backup", Role.DUTY_OFFICER)
    for user, mobile in ((users["duty"], "13800000001"), (backup, "13800000002"), (users["chief"], "13800000003")):
        DutyContact.objects.create(user=user, mobile=mobile)
    DutyShift.objects.create(starts_at=NOW - dt.timedelta(hours=1), ends_at=NOW + dt.timedelta(hours=11),
                             officer=users["duty"], backup=backup, chief=users["chief"])  # fmt: skip
    return {"officer": users["duty"], "backup": backup, "chief": users["chief"]}


@pytest.fixture
def gateway(allow_loopback):
    with Sink() as sink:
        yield sink


@pytest.fixture
def routes(gateway):
    return {
        "sms": PagingRoute.objects.create(name="短信", kind="sms", url=gateway.url + "/sms", secret="sms-token"),
        "wecom": PagingRoute.objects.create(name="企业微信", kind="wecom", url=gateway.url + "/wecom?key=abc"),
        "dingtalk": PagingRoute.objects.create(name="钉钉", kind="dingtalk", url=gateway.url + "/ding?access_token=t",
                                               secret="SECdemo"),  # fmt: skip
        "voice": PagingRoute.objects.create(name="语音", kind="voice", url=gateway.url + "/voice"),
    }


def pending_alert(sender, escalate_after: int = 120) -> Alert:
    ReleasePolicy.objects.create(name="确认", sender="*", min_level="blue", action="confirm",
                                 escalate_after=escalate_after)  # fmt: skip
    [received] = receive(Actor(user=sender), cap())
    assert received.alert.state == AlertState.PENDING
    return received.alert


def by_path(sink: Sink, part: str) -> list[dict]:
    return [entry for entry in sink.received if part in entry["path"]]


def test_who_is_on_duty_follows_the_roster(users, crew):
    assert duty.people_on_duty("officer", NOW) == [crew["officer"]]
    assert duty.people_on_duty("backup", NOW) == [crew["backup"]]
    assert duty.people_on_duty("chief", NOW + dt.timedelta(hours=12)) == []  # after the shift


def test_only_admins_edit_the_roster_and_bad_shifts_are_refused(users, crew):
    start = NOW + dt.timedelta(days=1)
    with pytest.raises(Forbidden):
        duty.save_shift(Actor(user=users["duty"]),
                        duty.ShiftInput(start, start + dt.timedelta(hours=8), users["duty"].pk))  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        duty.save_shift(Actor(user=users["admin"]),
                        duty.ShiftInput(start, start - dt.timedelta(hours=1), users["duty"].pk, users["duty"].pk))
    assert {e.code for e in refused.value.errors} == {"invalid_time", "same_person"}
    shift = duty.save_shift(Actor(user=users["admin"]), duty.ShiftInput(start, start + dt.timedelta(hours=8),
                                                                        users["duty"].pk, crew["backup"].pk))
    assert AuditEvent.objects.filter(action="duty.shift_saved", object_id=str(shift.pk)).exists()
    assert len(duty.shifts(Actor(user=users["duty"]))) == 2  # duty officers read


def test_a_pending_alert_pages_the_officer_on_every_route_in_their_formats(users, sender, crew, routes, gateway):
    alert = pending_alert(sender)
    [call] = DutyCall.objects.filter(alert=alert)
    assert call.step == "officer" and call.user == crew["officer"]
    assert paging.send_due() == 4
    sms = json.loads(by_path(gateway, "/sms")[0]["body"])
    assert sms["mobile"] == "13800000001" and "/duty/page/" in sms["text"] and "待确认预警" in sms["text"]
    assert by_path(gateway, "/sms")[0]["headers"]["Authorization"] == "Bearer sms-token"
    wecom = json.loads(by_path(gateway, "/wecom")[0]["body"])
    assert wecom["msgtype"] == "text" and wecom["text"]["mentioned_mobile_list"] == ["13800000001"]
    ding = by_path(gateway, "/ding")[0]
    body = json.loads(ding["body"])
    assert body["msgtype"] == "markdown" and body["at"]["atMobiles"] == ["13800000001"]
    query = parse_qs(urlsplit(ding["path"]).query)
    timestamp, sign = query["timestamp"][0], query["sign"][0]
    expected = hmac.new(b"SECdemo", f"{timestamp}\nSECdemo".encode(), hashlib.sha256).digest()
    assert base64.b64decode(unquote(sign)) == expected  # 钉钉 加签
    voice = json.loads(by_path(gateway, "/voice")[0]["body"])
    assert voice["mobile"] == "13800000001" and "/duty/page/" not in voice["text"]
    sent = AuditEvent.objects.filter(action="alert.page_sent", object_id=str(alert.pk))
    assert sent.count() == 4 and all("at" in e.changes for e in sent)


def test_a_route_that_is_down_is_retried_and_shown_while_the_others_page(users, sender, crew, routes, gateway):
    routes["voice"].url = "http://127.0.0.1:9/voice"  # nothing listens there
    routes["voice"].save()
    alert = pending_alert(sender)
    assert paging.send_due() == 3
    failed = PageSend.objects.get(route=routes["voice"])
    assert failed.state == PageState.RETRYING and failed.attempts == 1
    assert [r.name for r in paging.routes_down()] == ["语音"]
    assert AuditEvent.objects.filter(action="alert.page_failed", object_id=str(alert.pk)).exists()
    assert paging.send_due() == 0  # not due yet: backoff
    routes["voice"].url = gateway.url + "/voice"
    routes["voice"].save()
    assert paging.send_due(now=timezone.now() + dt.timedelta(seconds=30)) == 1
    failed.refresh_from_db()
    assert failed.state == PageState.SENT and paging.routes_down() == []


def test_a_refusing_robot_fails_at_once(users, sender, crew, allow_loopback):
    with Sink(reply=json.dumps({"errcode": 310000, "errmsg": "sign not match"}).encode()) as robot:
        PagingRoute.objects.create(name="钉钉", kind="dingtalk", url=robot.url, secret="wrong")
        pending_alert(sender)
        assert paging.send_due() == 0
        send = PageSend.objects.get()
        assert send.state == PageState.FAILED and "310000" in send.error


def test_no_answer_pages_the_backup_then_the_chief_and_an_acknowledgement_stops_it(
    users, sender, crew, routes, gateway, client_for
):
    alert = pending_alert(sender, escalate_after=120)
    paging.send_due()
    later = timezone.now()
    assert paging.escalate_pages(now=later + dt.timedelta(seconds=60)) == 0
    assert paging.escalate_pages(now=later + dt.timedelta(seconds=121)) == 1
    assert DutyCall.objects.filter(alert=alert, step="backup", user=crew["backup"]).exists()
    assert paging.escalate_pages(now=later + dt.timedelta(seconds=200)) == 0  # the backup's own time runs
    assert paging.escalate_pages(now=later + dt.timedelta(seconds=260)) == 1
    chief_call = DutyCall.objects.get(alert=alert, step="chief")
    assert chief_call.user == crew["chief"]
    paging.send_due(now=later + dt.timedelta(seconds=260))
    assert any("无人应答" in json.loads(e["body"])["text"] for e in by_path(gateway, "/sms"))
    # the backup opens the link: signed in, it acknowledges and shows the decision
    backup_call = DutyCall.objects.get(alert=alert, step="backup")
    client = client_for("duty")
    client.force_login(crew["backup"])
    response = client.get(paging.link_path(backup_call))
    assert response.status_code == 200 and f"/alerts/{alert.pk}/confirm/" in response.content.decode()
    acked = AuditEvent.objects.get(action="alert.page_acknowledged", object_id=str(alert.pk))
    assert acked.changes["step"] == "backup" and acked.changes["via"] == "link"
    assert paging.escalate_pages(now=later + dt.timedelta(hours=2)) == 0
    again = client.get(paging.link_path(backup_call))  # single use
    assert again.status_code == 410 and "已使用" in again.content.decode()
    import html

    history = html.unescape(client.get(f"/alerts/{alert.pk}/").content.decode())
    assert "呼叫已送达网关" in history and "值班人员已应答呼叫" in history


def test_the_link_page_labels_the_protective_guidance(users, sender, crew, routes, client_for, settings):
    from .test_alerts_pages import with_guidance

    ReleasePolicy.objects.create(name="确认", sender="*", min_level="blue", action="confirm")
    officer = client_for("duty")
    for identifier, language, label in (("JX-2026-001", "zh-hans", "防御指南"), ("JX-2026-002", "en", "Instructions")):
        [received] = receive(Actor(user=sender), with_guidance().replace(b"JX-2026-001", identifier.encode()))
        call = DutyCall.objects.get(alert=received.alert, step="officer")  # each link opens once
        officer.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = officer.get(paging.link_path(call)).content.decode()
        assert f"<strong>{label}</strong>：远离河道和低洼地带。<br>&lt;b&gt;转移&lt;/b&gt;" in page


def test_the_link_needs_sign_in_and_refuses_forgeries_and_old_links(users, sender, crew, routes, client, client_for,
                                                                    settings):  # fmt: skip
    alert = pending_alert(sender)
    call = DutyCall.objects.get(alert=alert)
    response = client.get(paging.link_path(call))
    assert response.status_code == 302 and "/login" in response["Location"]  # the normal sign-in (2FA with it)
    signed_in = client_for("duty")
    assert signed_in.get(paging.link_path(call)[:-5] + "xxxx/").status_code == 400
    settings.TONGPIN_PAGE_LINK_MAX_AGE = -1
    assert signed_in.get(paging.link_path(call)).status_code == 410
    call.refresh_from_db()
    assert call.link_used_at is None


def test_deciding_the_alert_answers_its_pages(users, sender, crew, routes, client_for):
    alert = pending_alert(sender)
    client_for("duty").post(f"/alerts/{alert.pk}/reject/", {"note": "误报"})
    assert AuditEvent.objects.filter(action="alert.page_acknowledged", changes__via="decision").exists()
    assert paging.escalate_pages(now=timezone.now() + dt.timedelta(hours=1)) == 0


def test_nobody_on_duty_pages_nobody_and_says_so(users, sender, routes):
    alert = pending_alert(sender)
    assert not DutyCall.objects.exists()
    assert AuditEvent.objects.filter(action="alert.page_nobody", object_id=str(alert.pk)).exists()


def test_the_lane_pages_once_per_condition_per_period_and_on_recovery(users, crew, routes, gateway, settings):
    settings.TONGPIN_LANE_PAGE_EVERY = 600
    WorkerBeat.objects.all().delete()
    assert lanewatch.watch(NOW)["paged"] == 1  # no worker
    assert lanewatch.watch(NOW + dt.timedelta(seconds=60))["paged"] == 0
    assert lanewatch.watch(NOW + dt.timedelta(seconds=601))["repeated"] == 1
    paging.send_due(now=NOW + dt.timedelta(seconds=700))
    texts = [json.loads(e["body"])["text"] for e in by_path(gateway, "/sms")]
    assert len(texts) == 2 and all("投递工作进程" in t for t in texts)
    now = timezone.now()
    WorkerBeat.objects.create(name="w1", host="h", pid=1, runs="deliveries", started_at=now, beat_at=now)
    assert lanewatch.watch(now)["recovered"] == 1
    assert LaneCondition.objects.get(key="no_worker").cleared_at is not None
    paging.send_due(now=now + dt.timedelta(seconds=1))
    assert "已恢复" in json.loads(by_path(gateway, "/sms")[-1]["body"])["text"]
    assert AuditEvent.objects.filter(action="lane.health_recovered").count() == 1


def test_a_paused_warning_channel_pages(users, crew, routes, gateway):
    from tongpin.alerts.models import Coverage

    from .publishing_support import make_channel

    channel = make_channel(users["admin"], "tv", "webhook", url=gateway.url, secret="k")
    Coverage.objects.create(channel=channel, everywhere=True)
    channel.paused, channel.paused_reason = True, "连续失败"
    channel.save()
    now = timezone.now()
    WorkerBeat.objects.create(name="w1", host="h", pid=1, runs="deliveries", started_at=now, beat_at=now)
    assert lanewatch.watch(now)["paged"] == 1
    assert LaneCondition.objects.filter(key=f"channel_paused:{channel.pk}").exists()


def test_a_drill_from_the_console_reaches_only_test_channels_marked_as_a_drill(users, crew, gateway, client_for):
    from tongpin.alerts.models import Coverage
    from tongpin.publishing.models import Delivery, Rendition

    from .publishing_support import drain, make_channel

    real = make_channel(users["admin"], "tv", "webhook", url=gateway.url, secret="k")
    test = make_channel(users["admin"], "web", "webhook", slug="web-test", url=gateway.url, secret="k")
    test.for_tests = True
    test.save()
    for channel in (real, test):
        Coverage.objects.create(channel=channel, everywhere=True)
    ReleasePolicy.objects.create(name="确认", sender="*", min_level="blue", action="confirm")
    console = client_for("duty").get("/alerts/").content.decode()
    assert "/alerts/drill/" in console and "当班" in console
    response = client_for("duty").post("/alerts/drill/")
    alert = Alert.objects.get(status="Exercise")
    assert response.status_code == 302 and response["Location"] == f"/alerts/{alert.pk}/"
    assert alert.state == AlertState.RELEASED and alert.decided_by == users["duty"]
    [delivery] = Delivery.objects.all()
    assert delivery.channel == test
    assert Rendition.objects.get().fields["title"].startswith("【演练】")
    drain()
    assert any("【演练】" in json.dumps(p, ensure_ascii=False) for p in gateway.payloads())
    assert AuditEvent.objects.filter(action="alert.drill", object_id=str(alert.pk)).exists()
    assert client_for("reporter").post("/alerts/drill/").status_code in (302, 403)
    assert Alert.objects.filter(status="Exercise").count() == 1


def test_a_drill_without_test_channels_says_why(users, client_for):
    response = client_for("duty").post("/alerts/drill/", follow=True)
    assert "没有可用于演练的测试渠道" in response.content.decode()
    assert not Alert.objects.exists()


def test_routes_and_shifts_over_the_api_never_show_the_secret(users, crew, gateway, token_for, client):
    admin = {"HTTP_AUTHORIZATION": f"Bearer {token_for('admin')}"}
    officer = {"HTTP_AUTHORIZATION": f"Bearer {token_for('duty')}"}
    made = client.post("/api/v1/alerts/paging/routes", {"name": "钉钉", "kind": "dingtalk", "url": gateway.url,
                                                        "secret": "SECtop"}, content_type="application/json", **admin)
    assert made.status_code == 201 and "SECtop" not in made.content.decode() and made.json()["has_secret"]
    route_id = made.json()["id"]
    kept = client.put(f"/api/v1/alerts/paging/routes/{route_id}", {"name": "钉钉群", "kind": "dingtalk",
                      "url": gateway.url}, content_type="application/json", **admin)  # fmt: skip
    stored = PagingRoute.objects.get()
    assert kept.json()["has_secret"] and stored.opened_secret == "SECtop"
    assert "SECtop" not in stored.secret  # sealed at rest with the data key (docs/security.md, 数据保密性)
    from tongpin.core import datakey

    assert "paging_route_secrets" in datakey.status()["stores"]
    moved = client.put(f"/api/v1/alerts/paging/routes/{route_id}", {"name": "钉钉群", "kind": "dingtalk",
                       "url": gateway.url + "/elsewhere"}, content_type="application/json", **admin)  # fmt: skip
    assert not moved.json()["has_secret"]  # a secret never follows a new address
    assert client.get("/api/v1/alerts/paging/routes", **officer).status_code == 200
    refused = client.post("/api/v1/alerts/paging/routes", {"name": "x", "kind": "sms", "url": gateway.url},
                          content_type="application/json", **officer)  # fmt: skip
    assert refused.status_code == 403
    tested = client.post(f"/api/v1/alerts/paging/routes/{route_id}/test", **admin)
    assert tested.json() == {"ok": True, "error": ""}
    start = timezone.now() + dt.timedelta(days=2)
    shift = client.post("/api/v1/alerts/duty/shifts", {"starts_at": start.isoformat(),
                        "ends_at": (start + dt.timedelta(hours=12)).isoformat(), "officer_id": users["duty"].pk},
                        content_type="application/json", **admin)  # fmt: skip
    assert shift.status_code == 201
    assert len(client.get("/api/v1/alerts/duty/shifts", **officer).json()) == 2
    assert client.put(f"/api/v1/alerts/duty/contacts/{users['duty'].pk}", {"mobile": "abc"},
                      content_type="application/json", **admin).status_code == 422  # fmt: skip
    status = client.get("/api/v1/status", **admin).json()
    assert status["paging"]["routes"] == 1 and status["paging"]["on_duty"] == [str(users["duty"])]


def test_alert_api_lists_its_pages(users, sender, crew, routes, token_for, client):
    alert = pending_alert(sender)
    paging.send_due()
    data = client.get(f"/api/v1/alerts/{alert.pk}", HTTP_AUTHORIZATION=f"Bearer {token_for('duty')}").json()
    [page] = data["pages"]
    assert page["step"] == "officer" and page["user"] == "duty" and {s["state"] for s in page["sends"]} == {"sent"}


def test_roster_and_routes_pages_edit_for_admins_and_read_for_officers(users, crew, client_for):
    admin, officer = client_for("admin"), client_for("duty")
    start = timezone.localtime() + dt.timedelta(days=3)
    posted = admin.post("/alerts/settings/duty/", {"starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                        "ends_at": (start + dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
                        "officer_id": users["duty"].pk, "backup_id": crew["backup"].pk})  # fmt: skip
    assert posted.status_code == 302 and DutyShift.objects.count() == 2
    page = officer.get("/alerts/settings/duty/").content.decode()
    assert "13800000001" in page and "保存班次" not in page
    first = DutyShift.objects.first().pk
    assert officer.post("/alerts/settings/duty/", {"delete": "1", "id": first}).status_code == 403
    admin.post("/alerts/settings/paging/", {"name": "短信", "kind": "sms", "url": "https://sms.example.cn/send",
                                            "secret": "tok-123", "is_active": "on"})  # fmt: skip
    shown = admin.get("/alerts/settings/paging/").content.decode()
    assert "短信网关" in shown and "tok-123" not in shown and "已设置" in shown


def test_a_refused_shift_or_route_shows_the_page_again_with_what_was_typed(users, crew, client_for):
    admin = client_for("admin")
    start = timezone.localtime() + dt.timedelta(days=5)
    refused = admin.post("/alerts/settings/duty/", {"starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                         "ends_at": (start - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
                         "officer_id": users["duty"].pk, "note": "春节加班"})  # fmt: skip
    page = refused.content.decode()
    assert refused.status_code == 200 and DutyShift.objects.count() == 1  # nothing saved
    assert 'value="春节加班"' in page and f'value="{start:%Y-%m-%dT%H:%M}"' in page
    assert f'<option value="{users["duty"].pk}" selected>' in page
    refused = admin.post("/alerts/settings/paging/", {"name": "值班短信", "kind": "sms", "url": "not a url",
                                                      "secret": "tok-9", "is_active": "on"})  # fmt: skip
    page = refused.content.decode()
    assert refused.status_code == 200 and 'value="值班短信"' in page and 'value="sms" selected' in page
    assert "tok-9" not in page  # a secret is never shown back, not even one just typed


def test_shifts_routes_and_contacts_over_the_api_answer_field_by_field(users, crew, gateway, token_for, client):
    """The JSON of list, create, change and delete for shifts and paging routes, and of the duty mobiles; a duty
    officer reads, only an admin writes (403), an unknown id answers 404 with the kind's own code."""
    admin, officer, reporter = token_for("admin"), token_for("duty"), token_for("reporter")

    def call(method, path, body=None, who=admin):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {who}"}
        data = json.dumps(body) if body is not None else None
        return getattr(client, method)(f"/api/v1{path}", data=data, content_type="application/json", **headers)

    def when(answer: dict) -> dict:
        return {k: dt.datetime.fromisoformat(v) if k.endswith("_at") and v else v for k, v in answer.items()}

    start = (NOW + dt.timedelta(days=2)).replace(microsecond=0)
    body = {"starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(hours=12)).isoformat(),
            "officer_id": users["duty"].pk, "backup_id": None, "chief_id": users["chief"].pk,
            "note": "夜班"}  # fmt: skip
    made = call("post", "/alerts/duty/shifts", body)
    shift = {**body, "id": made.json()["id"]}
    assert made.status_code == 201 and when(made.json()) == when(shift)
    listed = call("get", "/alerts/duty/shifts?days=7", who=officer).json()
    assert len(listed) == 2 and [when(s) for s in listed if s["id"] == shift["id"]] == [when(shift)]
    assert len(call("get", "/alerts/duty/shifts?days=1", who=officer).json()) == 1
    changed = call("put", f"/alerts/duty/shifts/{shift['id']}", {**body, "note": "改"})
    assert changed.status_code == 200 and when(changed.json()) == when({**shift, "note": "改"})
    assert call("put", f"/alerts/duty/shifts/{shift['id']}", body, who=officer).status_code == 403
    assert call("delete", f"/alerts/duty/shifts/{shift['id']}", who=officer).status_code == 403
    assert call("get", "/alerts/duty/shifts", who=reporter).status_code == 403
    missing = call("put", "/alerts/duty/shifts/999999", body)
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "shift_not_found"
    assert call("delete", "/alerts/duty/shifts/999999").json()["errors"][0]["code"] == "shift_not_found"
    assert call("delete", f"/alerts/duty/shifts/{shift['id']}").status_code == 204
    assert not DutyShift.objects.filter(pk=shift["id"]).exists()

    made = call("post", "/alerts/paging/routes", {"name": "企业微信", "kind": "wecom", "url": gateway.url + "/w?key=k",
                                                  "secret": "s3"})  # fmt: skip
    route = {"id": made.json()["id"], "name": "企业微信", "kind": "wecom", "url": made.json()["url"],
             "has_secret": True, "is_active": True, "down": False, "last_ok_at": None, "last_error_at": None,
             "last_error": ""}  # fmt: skip
    assert (made.status_code, made.json()) == (201, route) and "key=k" not in route["url"]
    assert call("get", "/alerts/paging/routes", who=officer).json() == [route]
    changed = call("put", f"/alerts/paging/routes/{route['id']}", {"name": "群", "kind": "wecom",
                                                                    "url": gateway.url + "/w?key=k",
                                                                    "is_active": False})  # fmt: skip
    assert changed.json() == {**route, "name": "群", "is_active": False}
    assert call("put", f"/alerts/paging/routes/{route['id']}", {"name": "x", "kind": "wecom", "url": gateway.url},
                who=officer).status_code == 403  # fmt: skip
    missing = call("delete", "/alerts/paging/routes/999999")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "route_not_found"
    assert call("post", "/alerts/paging/routes/999999/test").json()["errors"][0]["code"] == "route_not_found"
    assert call("post", f"/alerts/paging/routes/{route['id']}/test", who=officer).status_code == 403
    assert call("delete", f"/alerts/paging/routes/{route['id']}").status_code == 204
    assert call("get", "/alerts/paging/routes").json() == []

    mobiles = call("get", "/alerts/duty/contacts", who=officer).json()
    assert {(c["user_id"], c["mobile"]) for c in mobiles} == {
        (crew["officer"].pk, "13800000001"), (crew["backup"].pk, "13800000002"), (crew["chief"].pk, "13800000003")
    }  # fmt: skip
    put = call("put", f"/alerts/duty/contacts/{users['admin'].pk}", {"mobile": "139-0000 0004"})
    assert put.json() == {"user_id": users["admin"].pk, "mobile": "13900000004"}
    assert call("put", f"/alerts/duty/contacts/{users['admin'].pk}", {"mobile": "1"}, who=officer).status_code == 403
