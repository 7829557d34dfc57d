"""Live commerce: host age and consent, qualifications, product documents, double bookings, the compliance check
with its sign-off before going live, results (typed in and imported, all or nothing), derived figures, kept
records, the calendar and the commitment measure."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from tongpin.core.errors import Conflict, Forbidden, ValidationFailed
from tongpin.core.models import Notification
from tongpin.live import results, services
from tongpin.live.models import Anchor, LiveSession, ProductDocument, SessionHost, SessionStatus, Studio
from tongpin.partners.fulfilment import fulfilment
from tongpin.partners.models import Partner
from tongpin.planning.calendar import entries

from .conftest import actor, api, codes
from .partners_support import agreement_for, commitment_for

TODAY = timezone.localdate



@pytest.fixture
def shop(users, partners):
    desk = actor(users["desk"])
    tea_co = Partner.objects.create(slug="tea", name="红旗茶业", kind=Partner.Kind.ENTERPRISE)
    adult = services.save_anchor(desk, {"name": "林悦", "birth_date": dt.date(1995, 1, 1)})
    teen = services.save_anchor(desk, {"name": "小满", "birth_date": TODAY().replace(year=TODAY().year - 17)})
    tea = services.save_product(
        desk, {"partner": tea_co, "name": "英德红茶", "price": Decimal("168"), "claims": "高山茶园，传统工艺。"}
    )
    ProductDocument.objects.create(product=tea, kind="inspection", expires_on=TODAY() + dt.timedelta(days=90))
    studio = Studio.objects.create(name="1号直播间")
    return {"enterprise": tea_co, "adult": adult, "teen": teen, "tea": tea, "studio": studio}


def _at(days: int, hour: int = 19) -> dt.datetime:
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) + dt.timedelta(days=days)


def plan(
    users, shop, hosts=None, products=None, days=3, hour=19, studio=True, script="欢迎来到直播间。", title="红茶专场"
):
    values = {
        "title": title,
        "partner": shop["enterprise"],
        "platform": "douyin",
        "account": "@清远台",
        "studio": shop["studio"] if studio else None,
        "starts_at": _at(days, hour),
        "ends_at": _at(days, hour + 2),
        "script": script,
    }
    hosts = hosts if hosts is not None else [(shop["adult"], SessionHost.Role.HOST)]
    lineup = [{"product": p, "minutes": 10} for p in (products if products is not None else [shop["tea"]])]
    return services.save_session(actor(users["desk"]), values, hosts, lineup)


def test_hosts_must_be_old_enough_consented_and_qualified(users, shop):
    with pytest.raises(ValidationFailed) as error:
        services.save_anchor(
            actor(users["desk"]), {"name": "太小", "birth_date": TODAY().replace(year=TODAY().year - 15)}
        )
    assert codes(error) == {"under_age"}
    with pytest.raises(ValidationFailed) as error:
        plan(users, shop, hosts=[(shop["teen"], SessionHost.Role.HOST)])
    assert codes(error) == {"needs_consent"} and LiveSession.objects.count() == 0
    shop["teen"].guardian_consent = True
    shop["teen"].save()
    assert plan(users, shop, hosts=[(shop["teen"], SessionHost.Role.HOST)]).pk
    pill = services.save_product(
        actor(users["desk"]),
        {"partner": shop["enterprise"], "name": "保健茶", "price": Decimal("99"), "needs": "medical"},
    )
    with pytest.raises(ValidationFailed) as error:
        plan(users, shop, products=[pill], days=5)
    assert codes(error) == {"unqualified"}
    services.save_qualification(
        actor(users["desk"]),
        shop["adult"],
        {"field": "medical", "number": "YS-1", "expires_on": TODAY() + dt.timedelta(days=4)},
    )
    with pytest.raises(ValidationFailed) as error:
        plan(users, shop, products=[pill], days=5)  # lapses the day before the session
    assert codes(error) == {"unqualified"}
    assert plan(users, shop, products=[pill], days=2).pk
    managers = services.remind_expiring()
    assert managers >= 1 and services.remind_expiring() == 0
    assert Notification.objects.filter(user=users["chief"], text__contains="医疗健康").exists()


def test_an_anchor_or_a_studio_booked_twice_is_refused(users, shop):
    plan(users, shop)
    with pytest.raises(ValidationFailed) as error:
        plan(users, shop, hour=20, studio=False, title="撞档")
    assert codes(error) == {"anchor_booked"}
    with pytest.raises(ValidationFailed) as error:
        plan(users, shop, hour=20, hosts=[(shop["teen"], "host")], title="撞房")
    assert "studio_booked" in codes(error)
    assert LiveSession.objects.count() == 1
    assert plan(users, shop, hour=21, title="接着播").pk  # back to back is fine


def test_compliance_sign_off_and_going_live(users, shop):
    session = plan(users, shop, script="全网最低价，国家级品质，100%有效！")
    check = services.compliance_check(session)
    assert not check["passed"] and {"国家级", "100%有效"} <= {f["text"] for f in check["findings"]}
    with pytest.raises(ValidationFailed) as error:
        services.sign_off(actor(users["chief"]), session)
    assert codes(error) == {"not_compliant"}
    with pytest.raises(Forbidden) as error:
        services.sign_off(actor(users["editor"]), session)
    assert error.value.status == 403
    with pytest.raises(Conflict) as error:
        services.move_session(actor(users["desk"]), session, SessionStatus.LIVE)
    assert codes(error) == {"not_signed_off"}
    session = plan(users, shop, days=4, script="欢迎来到直播间，今天介绍英德红茶。", title="干净的脚本")
    ProductDocument.objects.filter(product=shop["tea"]).update(expires_on=TODAY() + dt.timedelta(days=2))
    with pytest.raises(ValidationFailed) as error:
        services.sign_off(actor(users["chief"]), session)
    assert "已于" in error.value.errors[0].message  # the inspection report lapses before the session
    ProductDocument.objects.filter(product=shop["tea"]).update(expires_on=TODAY() + dt.timedelta(days=90))
    signed = services.sign_off(actor(users["chief"]), session)
    chief = Client()
    chief.force_login(users["chief"])
    assert "审核通过并签字" not in chief.get(f"/live/sessions/{signed.pk}/").content.decode()  # signed: not offered
    assert signed.signed_off_by == users["chief"] and "英德红茶" in signed.checked_text
    shop["tea"].claims = "全国第一的红茶。"
    shop["tea"].save()
    with pytest.raises(Conflict) as error:
        services.move_session(actor(users["desk"]), signed, SessionStatus.LIVE)
    assert codes(error) == {"changed_since_sign_off"}
    # The page says so before anyone tries to go live (the trial saw 已签字确认 and 未发现… after the change).
    page = Client()
    page.force_login(users["desk"])
    shown = page.get(f"/live/sessions/{signed.pk}/").content.decode()
    assert 'id="stale-sign-off"' in shown and "签字已不再有效" in shown and "签字确认。" not in shown
    assert "审核通过并签字" in chief.get(f"/live/sessions/{signed.pk}/").content.decode()  # signing again is offered
    shop["tea"].claims = "高山茶园，传统工艺。"
    shop["tea"].save()
    live = services.move_session(actor(users["desk"]), signed, SessionStatus.LIVE, confirm_early=True)
    assert live.status == SessionStatus.LIVE


def _go_live(users, shop, **kw) -> LiveSession:
    """Plan a session (days ahead) and go live with it at once, confirming the early start."""
    session = plan(users, shop, **kw)
    services.sign_off(actor(users["chief"]), session)
    return services.move_session(actor(users["desk"]), session, SessionStatus.LIVE, confirm_early=True)


def test_going_live_long_before_the_slot_needs_confirmation(users, shop, client_for):
    from tongpin.core.models import AuditEvent

    session = plan(users, shop, days=1)  # tomorrow at 19:00
    services.sign_off(actor(users["chief"]), session)
    with pytest.raises(Conflict) as error:
        services.move_session(actor(users["desk"]), session, SessionStatus.LIVE)
    assert codes(error) == {"too_early"}
    message = error.value.errors[0].message
    assert "小时" in message and timezone.localtime(session.starts_at).strftime("%H:%M") in message
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED

    desk = client_for("desk")
    page = desk.get(f"/live/sessions/{session.pk}/").content.decode()
    assert 'id="early-warning"' in page and "提前开播" in page and 'name="confirm_early"' in page
    refused = desk.post(f"/live/sessions/{session.pk}/status", {"status": "live"}, follow=True)
    assert "提前 30 分钟以上开播须确认" in refused.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED
    desk.post(f"/live/sessions/{session.pk}/status", {"status": "live", "confirm_early": "1"})
    session.refresh_from_db()
    assert session.status == SessionStatus.LIVE
    assert AuditEvent.objects.filter(action="live.status").latest("id").changes["early_minutes"] > 60

    soon = plan(users, shop, days=3, title="预热")
    LiveSession.objects.filter(pk=soon.pk).update(
        starts_at=timezone.now() + dt.timedelta(minutes=25), ends_at=timezone.now() + dt.timedelta(hours=2)
    )
    soon.refresh_from_db()
    services.sign_off(actor(users["chief"]), soon)
    assert 'id="early-warning"' not in desk.get(f"/live/sessions/{soon.pk}/").content.decode()
    assert services.move_session(actor(users["desk"]), soon, SessionStatus.LIVE).status == SessionStatus.LIVE


def test_results_derived_figures_and_kept_records(users, shop):
    session = _go_live(users, shop)
    with pytest.raises(ValidationFailed) as error:
        services.record_result(
            actor(users["desk"]),
            session,
            {
                "viewers": 100,
                "peak_concurrent": 10,
                "avg_watch_seconds": 60,
                "orders": -1,
                "gmv": Decimal(0),
                "refunds": Decimal(0),
            },
        )
    assert codes(error) == {"negative"}
    result = services.record_result(
        actor(users["desk"]),
        session,
        {
            "viewers": 58000,
            "peak_concurrent": 3200,
            "avg_watch_seconds": 95,
            "orders": 1460,
            "gmv": Decimal("186400.00"),
            "refunds": Decimal("5200.00"),
        },
    )
    assert result.net_gmv == Decimal("181200.00")
    assert result.gpm == Decimal("3124.14")  # 181200 × 1000 / 58000
    assert result.conversion == round(1460 / 58000, 4) and result.average_order == Decimal("124.11")
    session.refresh_from_db()
    assert session.status == SessionStatus.REVIEWED
    with pytest.raises(Conflict) as error:
        services.delete_session(actor(users["desk"]), session)
    assert codes(error) == {"has_results"}
    rows = services.sales(partner=shop["enterprise"])
    assert rows[0]["net_gmv"] == Decimal("181200.00") and rows[0]["sessions"] == 1
    assert services.sales(anchor=shop["adult"])[0]["orders"] == 1460
    from tongpin.analytics import reports

    report = reports.request_report(actor(users["desk"]), shop["enterprise"], "month", session.starts_at.date())
    reports.build(report)
    report.refresh_from_db()
    assert "直播带货" in report.html and "181200.00" in report.html  # sales appear in the partner report


def test_conversion_is_shown_to_two_places_everywhere(users, shop, client_for, token_for):
    session = _go_live(users, shop)
    figures = {"viewers": 58000, "peak_concurrent": 3200, "avg_watch_seconds": 95, "orders": 2013,
               "gmv": Decimal("186400.00"), "refunds": Decimal("0")}  # fmt: skip
    result = services.record_result(actor(users["desk"]), session, figures)
    assert result.conversion_percent == Decimal("3.47")  # 2013 / 58000 = 3.4707 %, not "3 %"
    desk = client_for("desk")
    assert "3.47%" in desk.get(f"/live/sessions/{session.pk}/").content.decode()
    assert "3.47%" in desk.get("/live/sales/").content.decode()
    assert services.sales(partner=shop["enterprise"])[0]["conversion_percent"] == Decimal("3.47")
    api = client_for("desk")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for('desk')}"}
    shown = api.get(f"/api/v1/live/sessions/{session.pk}", **headers).json()["result"]
    assert shown["conversion_percent"] == "3.47" and shown["conversion"] == 0.0347
    assert api.get("/api/v1/live/sales?partner=tea", **headers).json()[0]["conversion_percent"] == "3.47"
    from tongpin.analytics import reports

    report = reports.request_report(actor(users["desk"]), shop["enterprise"], "month", session.starts_at.date())
    reports.build(report)
    report.refresh_from_db()
    assert "3.47%" in report.html


def test_results_file_is_all_or_nothing(users, shop):
    first = _go_live(users, shop)
    second = _go_live(users, shop, days=5, title="第二场")
    header = "场次ID,观看人数,最高在线,人均观看时长（秒）,订单数,成交额,退款额\n"
    bad = header + f"{first.pk},1000,100,60,20,2000.00,0\n{second.pk},900,90,50,-3,1800.00,0\n"
    with pytest.raises(ValidationFailed) as error:
        results.import_results(actor(users["desk"]), "r.csv", bad.encode())
    assert "第 3 行" in error.value.errors[0].message
    assert not LiveSession.objects.filter(result__isnull=False).exists()
    with pytest.raises(ValidationFailed) as error:
        results.import_results(actor(users["desk"]), "r.csv", "场次,观看人数\n1,2\n".encode())
    assert codes(error) == {"missing_columns"}
    good = header + f"{first.pk},1000,100,60,20,2000.00,100.00\n{second.pk},900,90,50,30,1800.00,0\n"
    assert results.import_results(actor(users["desk"]), "r.csv", good.encode()) == 2
    first.refresh_from_db()
    assert first.result.net_gmv == Decimal("1900.00") and first.result.source == "import:r.csv"


def test_sessions_show_on_the_calendar_and_count_for_commitments(users, shop):
    session = _go_live(users, shop, days=1)
    day = timezone.localtime(session.starts_at).date()
    found = entries(users["desk"], day, day)
    assert any(e.kind == "live" and "红茶专场" in e.title for e in found)
    assert not any(e.kind == "live" for e in entries(users["liaison_em"], day, day))
    agreement = agreement_for(
        users, shop["enterprise"], TODAY() - dt.timedelta(days=30), TODAY() + dt.timedelta(days=300)
    )
    monthly = commitment_for(users, agreement, measure="live_sessions", period="term", target=1, title="直播一场")
    result = fulfilment(monthly, today=day)
    assert [r.title for r in result.current.records] == ["红茶专场"] and result.status == "met"


def test_live_api(client, users, shop, token_for):
    token = token_for("desk")

    def call(method, path, body=None, who=token):
        return api(client, method, path, who, body)

    body = {
        "title": "接口建的场次",
        "partner": "tea",
        "platform": "douyin",
        "account": "@x",
        "starts_at": _at(6).isoformat(),
        "ends_at": _at(6, 21).isoformat(),
        "script": "欢迎。",
        "hosts": [{"anchor_id": shop["adult"].pk}],
        "lineup": [{"product_id": shop["tea"].pk, "minutes": 15}],
    }
    made = call("post", "/live/sessions", body)
    assert made.status_code == 201, made.content
    session_id = made.json()["id"]
    clash = call("post", "/live/sessions", {**body, "title": "撞档"})
    assert clash.status_code == 422 and clash.json()["errors"][0]["code"] == "anchor_booked"
    assert call("get", f"/live/sessions/{session_id}/check").json()["passed"] is True
    assert call("post", f"/live/sessions/{session_id}/status", {"status": "live"}).status_code == 409
    assert call("post", f"/live/sessions/{session_id}/sign-off", who=token_for("chief")).status_code == 200
    early = call("post", f"/live/sessions/{session_id}/status", {"status": "live"})
    assert early.status_code == 409 and early.json()["errors"][0]["code"] == "too_early"  # six days early
    confirmed = call("post", f"/live/sessions/{session_id}/status", {"status": "live", "confirm_early": True})
    assert confirmed.json()["status"] == "live"
    result = call(
        "post",
        f"/live/sessions/{session_id}/result",
        {"viewers": 2000, "peak_concurrent": 300, "avg_watch_seconds": 80, "orders": 40, "gmv": "6720.00"},
    )
    assert result.status_code == 200 and result.json()["result"]["gpm"] == "3360.00"
    assert call("delete", f"/live/sessions/{session_id}").status_code == 409
    assert call("get", "/live/sessions", who=token_for("liaison_em")).status_code == 403
    assert Anchor.objects.count() == 2


def test_live_pages(users, shop, client_for):
    editor = client_for("editor")
    made = editor.post("/live/anchors/new/", {"name": "新主播", "birth_date": "2000-02-02", "is_active": "on"})
    assert made.status_code == 302 and Anchor.objects.filter(name="新主播").exists()
    young = editor.post("/live/anchors/new/", {"name": "太小", "birth_date": TODAY().replace(year=TODAY().year - 12)})
    assert young.status_code == 200 and "16" in young.content.decode()
    assert editor.get("/live/products/999999/edit/").status_code == 404
    edited = editor.post(
        f"/live/products/{shop['tea'].pk}/edit/",
        {"partner": shop["enterprise"].pk, "name": "英德红茶（新包装）", "price": "178.00", "is_active": "on"},
    )
    assert edited.status_code == 302 and shop["tea"].__class__.objects.get(pk=shop["tea"].pk).price == Decimal("178.00")
    for page in (
        "/live/",
        "/live/anchors/",
        "/live/products/",
        "/live/sales/",
        "/live/results/",
        "/live/results/?template=xlsx",
    ):
        assert editor.get(page).status_code == 200, page
    assert client_for("liaison_em").get("/live/").status_code == 403
    assert client_for("reporter").get("/live/anchors/new/").status_code == 403


def test_a_product_page_answers_a_liaison_404_as_the_api_does(users, shop, client_for, client, token_for):
    """Products are staff-only (services.get_product): to a liaison one is not there, as for a missing id."""
    tea = shop["tea"].pk
    for name in ("liaison_em", "liaison_zone"):
        for page in (f"/live/products/{tea}/", "/live/products/999999/"):
            assert client_for(name).get(page).status_code == 404, (name, page)
        licence = {"kind": "licence", "number": "L-1", "expires_on": str(TODAY() + dt.timedelta(days=200))}
        assert api(client, "post", f"/live/products/{tea}/documents", token_for(name), licence).status_code == 404
    assert client_for("reporter").get(f"/live/products/{tea}/").status_code == 200  # staff still see it


def test_document_scans_must_be_what_they_claim(users, shop, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    editor = client_for("editor")
    fake = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00not a pdf at all")
    refused = editor.post(
        f"/live/products/{shop['tea'].pk}/",
        {"kind": "licence", "number": "X1", "expires_on": "2030-01-01", "file": fake},
    )
    assert refused.status_code == 200 and shop["tea"].documents.count() == 1
    pdf = SimpleUploadedFile("执照.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    saved = editor.post(
        f"/live/products/{shop['tea'].pk}/",
        {"kind": "licence", "number": "X1", "expires_on": "2030-01-01", "file": pdf},
    )
    assert saved.status_code == 302 and shop["tea"].documents.filter(kind="licence").get().file.size > 0


def test_the_product_image_is_shown_to_those_who_may_see_it(users, shop, client_for):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), "#a0522d").save(out, "PNG")
    picture = SimpleUploadedFile("红茶.png", out.getvalue(), content_type="image/png")
    tea = services.save_product(actor(users["desk"]), {"image": picture}, shop["tea"])
    editor = client_for("editor")
    served = editor.get(f"/live/products/{tea.pk}/image")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff" and b"".join(served.streaming_content) == out.getvalue()
    src = f'src="/live/products/{tea.pk}/image?v='
    assert src in editor.get(f"/live/products/{tea.pk}/").content.decode()  # on the product page
    assert src in editor.get("/live/products/").content.decode()  # and as a thumbnail in the list
    desk_form = client_for("desk").get(f"/live/products/{tea.pk}/edit/").content.decode()
    assert f'href="/live/products/{tea.pk}/image"' in desk_form  # the form's "currently" link, not raw media
    assert client_for("liaison_em").get(f"/live/products/{tea.pk}/image").status_code == 403
    without = services.save_product(
        actor(users["desk"]), {"partner": shop["enterprise"], "name": "无图商品", "price": Decimal("9")}
    )
    assert editor.get(f"/live/products/{without.pk}/image").status_code == 404


def test_studios_and_the_roster_are_kept_in_the_admin(users, shop, client_for):
    from tongpin.core.models import AuditEvent

    admin = client_for("admin")
    for page in (
        "/admin/live/studio/",
        "/admin/live/anchor/",
        "/admin/live/product/",
        "/admin/analytics/account/",
        "/admin/planning/keydate/",
        "/admin/partners/agreement/",
    ):
        assert admin.get(page).status_code == 200, page
    made = admin.post("/admin/live/studio/add/", {"name": "2号直播间", "place": "三楼"})
    assert made.status_code == 302 and Studio.objects.filter(name="2号直播间").exists()
    assert AuditEvent.objects.filter(action="admin.add", object_repr="2号直播间").exists()


def test_a_product_document_is_added_by_its_service_audited_and_hidden_from_outsiders(users, shop, client, token_for):
    from tongpin.core.models import AuditEvent

    path = f"/live/products/{shop['tea'].pk}/documents"
    licence = {"kind": "licence", "number": "L-1", "expires_on": str(TODAY() + dt.timedelta(days=200))}
    added = api(client, "post", path, token_for("editor"), licence)
    assert added.status_code == 201
    assert {(d["kind"], d["number"]) for d in added.json()["documents"]} == {("inspection", ""), ("licence", "L-1")}
    event = AuditEvent.objects.get(action="live.document")
    assert (event.actor, event.changes["number"]) == (users["editor"], ["", "L-1"])
    assert api(client, "post", path, token_for("reporter"), licence).status_code == 403  # sees it, may not add
    assert api(client, "post", path, token_for("liaison_em"), licence).status_code == 404  # not theirs to know of
    assert shop["tea"].documents.count() == 2


def test_a_results_file_in_no_readable_encoding_is_refused_not_a_server_error(users, shop):
    with pytest.raises(ValidationFailed) as error:
        results.import_results(actor(users["desk"]), "results.csv", b"\x89PNG\r\n\x1a\n\x00\x82\xff\xfe")
    assert codes(error) == {"unreadable"}


def test_live_api_answers_of_the_roster_products_and_sessions(client, users, shop, token_for):
    """The JSON of list, create, get, change and delete for anchors, products and sessions, field by field; hidden
    rows answer 404, missing capabilities 403."""
    desk, liaison, reporter = token_for("desk"), token_for("liaison_em"), token_for("reporter")

    def call(method, path, body=None, who=desk):
        return api(client, method, path, who, body)

    made = call("post", "/live/anchors", {"name": "新主播", "birth_date": "2000-02-02", "skills": ["讲解"]})
    anchor = {"name": "新主播", "birth_date": "2000-02-02", "guardian_consent": False, "skills": ["讲解"],
              "categories": [], "id": made.json()["id"], "age": services.age_on(dt.date(2000, 2, 2), TODAY()),
              "qualifications": []}  # fmt: skip
    assert (made.status_code, made.json()) == (201, anchor)
    roster = call("get", "/live/anchors").json()
    assert len(roster) == 3 and [a for a in roster if a["id"] == anchor["id"]] == [anchor]
    refused = call("post", "/live/anchors", {"name": "x", "birth_date": "2000-02-02"}, who=reporter)
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "forbidden"
    assert call("get", "/live/anchors", who=liaison).status_code == 403

    made = call("post", "/live/products", {"partner": "tea", "name": "绿茶", "price": "12.50", "needs": None})
    product = {"id": made.json()["id"], "partner": "tea", "name": "绿茶", "price": "12.50", "needs": "", "claims": "",
               "documents": []}  # fmt: skip
    assert (made.status_code, made.json()) == (201, product)
    assert [p for p in call("get", "/live/products").json() if p["id"] == product["id"]] == [product]
    hidden = call("post", "/live/products", {"partner": "tea", "name": "x", "price": "1"}, who=liaison)
    assert hidden.status_code == 404

    body = {"title": "接口场次", "partner": "tea", "platform": "douyin", "account": "@x",
            "studio_id": shop["studio"].pk, "starts_at": _at(6).isoformat(), "ends_at": _at(6, 21).isoformat(),
            "hosts": [{"anchor_id": shop["adult"].pk}],
            "lineup": [{"product_id": shop["tea"].pk, "minutes": 15}]}  # fmt: skip
    made = call("post", "/live/sessions", body)
    session_id = made.json()["id"]
    session = {"id": session_id, "title": "接口场次", "partner": "tea", "platform": "douyin", "account": "@x",
               "studio": "1号直播间", "starts_at": made.json()["starts_at"], "ends_at": made.json()["ends_at"],
               "status": "planned", "signed_off_by": None, "signed_off_at": None,
               "hosts": [{"anchor_id": shop["adult"].pk, "anchor": "林悦", "role": "host"}],
               "lineup": [{"product_id": shop["tea"].pk, "product": "英德红茶", "minutes": 15}],
               "result": None}  # fmt: skip
    assert (made.status_code, made.json()) == (201, session)
    assert dt.datetime.fromisoformat(session["starts_at"]) == _at(6)

    def read(answer: dict) -> dict:  # times come back in UTC once read from the database
        return {**answer, "starts_at": dt.datetime.fromisoformat(answer["starts_at"]),
                "ends_at": dt.datetime.fromisoformat(answer["ends_at"])}  # fmt: skip

    shown = call("get", f"/live/sessions/{session_id}").json()
    assert shown["starts_at"].endswith("Z") and read(shown) == read(session)
    assert [read(s) for s in call("get", "/live/sessions").json()] == [read(session)]
    changed = call("put", f"/live/sessions/{session_id}", {**body, "title": "改过的", "studio_id": None})
    assert read(changed.json()) == read({**session, "title": "改过的", "studio": None})
    assert call("get", f"/live/sessions/{session_id}", who=liaison).status_code == 404
    assert call("put", f"/live/sessions/{session_id}", body, who=liaison).status_code == 404
    assert call("delete", f"/live/sessions/{session_id}", who=liaison).status_code == 404
    assert call("delete", f"/live/sessions/{session_id}", who=reporter).status_code == 403
    assert call("get", "/live/sessions/999999").json()["errors"][0]["code"] == "not_found"
    deleted = call("delete", f"/live/sessions/{session_id}")
    assert deleted.status_code == 204 and not LiveSession.objects.filter(pk=session_id).exists()


def test_the_session_list_reads_hosts_lineups_and_results_without_a_query_per_session(users, shop, token_for):
    desk = token_for("desk")
    session = _go_live(users, shop)
    figures = {"viewers": 100, "peak_concurrent": 10, "avg_watch_seconds": 60, "orders": 3, "gmv": Decimal(30),
               "refunds": Decimal(0)}
    services.record_result(actor(users["desk"]), session, figures)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            answer = api(Client(), "get", "/live/sessions", desk)
        assert answer.status_code == 200 and len(answer.json()) == LiveSession.objects.count()
        return len(captured)

    queries()  # the token's first use is written down once
    one = queries()
    for days in (8, 9):
        plan(users, shop, days=days, title=f"第{days}场")
    assert queries() == one
    listed = api(Client(), "get", "/live/sessions", desk).json()
    assert [s["hosts"][0]["anchor"] for s in listed] == ["林悦"] * 3 and listed[-1]["result"]["orders"] == 3


def test_sales_and_results_import_answers(users, shop, token_for):
    """The JSON of the monthly sales (money as strings, as the service's figures print) and of a results import."""
    desk = token_for("desk")
    first, second = _go_live(users, shop), _go_live(users, shop, days=5, title="第二场")
    header = "场次ID,观看人数,最高在线,人均观看时长（秒）,订单数,成交额,退款额\n"
    rows = header + f"{first.pk},58000,100,60,2013,186400.00,5200.00\n{second.pk},0,0,0,0,0,0\n"
    upload = SimpleUploadedFile("r.csv", rows.encode(), "text/csv")
    imported = Client().post("/api/v1/live/results", {"file": upload}, HTTP_AUTHORIZATION=f"Bearer {desk}")
    assert (imported.status_code, imported.content) == (200, b'{"sessions": 2}')

    expected = [
        {"month": row["month"], "sessions": row["sessions"], "net_gmv": str(row["net_gmv"]), "orders": row["orders"],
         "viewers": row["viewers"], "gpm": str(row["gpm"]), "conversion_percent": str(row["conversion_percent"])}
        for row in services.sales(partner=shop["enterprise"])
    ]  # fmt: skip
    assert sum(row["sessions"] for row in expected) == 2 and expected[0]["net_gmv"] != "0"
    by_partner = api(Client(), "get", "/live/sales?partner=tea", desk)
    assert by_partner.status_code == 200 and by_partner.json() == expected
    assert list(by_partner.json()[0]) == list(expected[0])  # the keys in this order
    by_anchor = api(Client(), "get", f"/live/sales?anchor={shop['adult'].pk}", desk)
    assert by_anchor.json() == expected
    assert api(Client(), "get", f"/live/sales?anchor={shop['teen'].pk}", desk).json() == []
    assert api(Client(), "get", "/live/sales", token_for("liaison_em")).status_code == 403


def test_the_compliance_check_answers_what_blocks(users, shop, token_for):
    session = plan(users, shop, script="全网最低价，立即下单！")
    checked = services.compliance_check(session)
    answer = api(Client(), "get", f"/live/sessions/{session.pk}/check", token_for("desk"))
    expected = {key: checked[key] for key in ("passed", "findings", "problems", "cautions")}
    assert answer.status_code == 200 and answer.json() == json.loads(json.dumps(expected, cls=NinjaJSONEncoder))
    assert list(answer.json()) == ["passed", "findings", "problems", "cautions"] and answer.json()["findings"]


def test_the_trial_scripts_superlatives_block_the_sign_off(users, shop, client_for):
    """A trial's script "史上最强的清远鸡，全网第一，最好吃的鸡" was shown as free of banned advert terms."""
    session = plan(users, shop, script="史上最强的清远鸡，全网第一，最好吃的鸡！鸡汤最好喝，特效滋补。")
    check = services.compliance_check(session)
    flagged = {f["text"]: f["severity"] for f in check["findings"] if f["code"] == "advert"}
    assert {"史上最强", "全网第一", "最好吃", "最好喝", "特效"} <= set(flagged) and not check["passed"]
    assert set(flagged.values()) == {"error"}
    page = client_for("desk").get(f"/live/sessions/{session.pk}/").content.decode()
    assert "未发现禁用的广告用语" not in page and "史上最强" in page


def test_a_minor_host_at_night_is_a_caution_for_the_sign_off_not_a_refusal(users, shop, client_for):
    """A trial booked a 17-year-old (with consent) for 22:30 to 00:30 and the check said nothing."""
    shop["teen"].guardian_consent = True
    shop["teen"].save()
    evening = plan(users, shop, hosts=[(shop["teen"], SessionHost.Role.HOST)], hour=19)
    assert services.compliance_check(evening)["cautions"] == []
    late = plan(users, shop, hosts=[(shop["teen"], SessionHost.Role.HOST)], hour=21, days=4, title="深夜专场")
    check = services.compliance_check(late)
    assert [c["code"] for c in check["cautions"]] == ["minor_at_night"] and check["passed"]  # weighed, not blocked
    assert "未满 18 周岁，本场在夜间" in client_for("desk").get(f"/live/sessions/{late.pk}/").content.decode()
    adult_late = plan(users, shop, hour=21, days=6, title="成人深夜")
    assert services.compliance_check(adult_late)["cautions"] == []
    early = plan(users, shop, hosts=[(shop["teen"], SessionHost.Role.HOST)], hour=5, days=8, title="清晨")
    assert [c["code"] for c in services.compliance_check(early)["cautions"]] == ["minor_at_night"]


def test_a_renewed_document_replaces_the_expired_one_and_a_document_can_be_deleted(users, shop, client, client_for,
                                                                                  token_for):  # fmt: skip
    """The station trial: an inspection report that had expired, then the renewed one added — the check still said
    检验报告已于…过期, and the page could not remove the old one. Per kind, the document valid longest counts."""
    from tongpin.core.models import AuditEvent

    session = plan(users, shop)
    tea = shop["tea"]
    lapsed = TODAY() - dt.timedelta(days=30)
    old = ProductDocument.objects.create(product=tea, kind="inspection", number="J-2025", expires_on=lapsed)
    tea.documents.exclude(pk=old.pk).delete()
    assert [p["code"] for p in services.compliance_check(session)["problems"]] == ["document_expired"]
    services.add_document(actor(users["desk"]), tea, {"kind": "inspection", "number": "J-2027",
                                                      "expires_on": TODAY() + dt.timedelta(days=400)})  # fmt: skip
    assert services.compliance_check(session)["problems"] == []  # the renewed report counts
    page = client_for("desk").get(f"/live/products/{tea.pk}/").content.decode()
    assert "J-2025" in page and "已由新文件替代" in page and "已过期" not in page
    assert f'action="/live/products/{tea.pk}/documents/{old.pk}/delete/"' in page and "data-confirm=" in page
    assert "/delete/" not in client_for("reporter").get(f"/live/products/{tea.pk}/").content.decode()  # views only

    done = client_for("desk").post(f"/live/products/{tea.pk}/documents/{old.pk}/delete/", follow=True)
    assert "资质文件已删除。" in done.content.decode() and not ProductDocument.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(action="live.document.delete", object_id=str(old.pk)).exists()
    renewed = tea.documents.get()
    path = f"/live/products/{tea.pk}/documents/{renewed.pk}"
    assert api(client, "delete", path, token_for("reporter")).status_code == 403
    assert api(client, "delete", path, token_for("liaison_em")).status_code == 404
    assert api(client, "delete", f"/live/products/{tea.pk}/documents/999999", token_for("desk")).status_code == 404
    answer = api(client, "delete", path, token_for("desk"))
    assert answer.status_code == 200 and answer.json()["documents"] == []
    assert [p["code"] for p in services.compliance_check(session)["problems"]] == ["no_documents"]


def test_an_anchors_login_is_chosen_among_people_who_can_be_given_work(users, shop, client_for):
    """The trial: the login list offered the security administrator and a warning agency's API-only account."""
    from lxml import html

    page = client_for("desk").get("/live/anchors/new/").content
    offered = {o.text_content().strip() for o in html.fromstring(page).xpath('//select[@name="user"]/option')}
    assert str(users["reporter"]) in offered and str(users["desk"]) in offered
    for name in ("admin", "secadmin", "auditor", "liaison_em"):
        assert str(users[name]) not in offered, name


def test_editing_a_session_keeps_its_run_sheet(users, shop, client_for):
    """The trial: changing only the script on the edit page rebuilt the run sheet — every product 5 minutes, talking
    points gone, order lost. Products kept keep their place and minutes; a new one goes last; one unchosen leaves."""
    desk = actor(users["desk"])
    chicken = services.save_product(desk, {"partner": shop["enterprise"], "name": "清远鸡", "price": Decimal("98")})
    ProductDocument.objects.create(product=chicken, kind="inspection", expires_on=TODAY() + dt.timedelta(days=90))
    honey = services.save_product(desk, {"partner": shop["enterprise"], "name": "蜂蜜", "price": Decimal("58")})
    ProductDocument.objects.create(product=honey, kind="inspection", expires_on=TODAY() + dt.timedelta(days=90))
    values = {"title": "年货专场", "partner": shop["enterprise"], "platform": "douyin", "account": "@清远台",
              "starts_at": _at(3), "ends_at": _at(3, 21), "script": "欢迎。"}  # fmt: skip
    lineup = [{"product": chicken, "minutes": 15, "talking_points": "散养"},
              {"product": shop["tea"], "minutes": 20, "talking_points": "高山"}]  # fmt: skip
    session = services.save_session(desk, values, [(shop["adult"], SessionHost.Role.HOST)], lineup)

    def edit(products, script):
        form = {"title": "年货专场", "partner": shop["enterprise"].pk, "platform": "douyin", "account": "@清远台",
                "starts_at": f"{_at(3):%Y-%m-%dT%H:%M}", "ends_at": f"{_at(3, 21):%Y-%m-%dT%H:%M}", "script": script,
                "hosts": [shop["adult"].pk], "products": [p.pk for p in products]}  # fmt: skip
        answer = client_for("desk").post(f"/live/sessions/{session.pk}/edit/", form)
        assert answer.status_code == 302, answer.content.decode()[:2000]
        return [(i.product.name, i.minutes, i.talking_points) for i in session.lineup.order_by("position", "pk")]

    assert edit([shop["tea"], chicken], "欢迎来到直播间。") == [("清远鸡", 15, "散养"), ("英德红茶", 20, "高山")]
    added = edit([shop["tea"], chicken, honey], "欢迎。")
    assert added == [("清远鸡", 15, "散养"), ("英德红茶", 20, "高山"), ("蜂蜜", 5, "")]
    assert edit([honey, shop["tea"]], "欢迎。") == [("英德红茶", 20, "高山"), ("蜂蜜", 5, "")]
