"""Configuring the warning lane (issue 15): release policies, channel coverage and sender certificates through
the pages and the API; every change audited; the next alert follows the change; duty officers only read."""

import datetime as dt
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tongpin.alerts import lane_config
from tongpin.alerts.intake import receive
from tongpin.alerts.models import AlertState, Coverage, ReleasePolicy, SenderCertificate
from tongpin.core.audit import Actor
from tongpin.core.models import AuditEvent
from tongpin.publishing.models import Delivery

from .browser_support import CHROMIUM, login
from .publishing_support import make_channel
from .test_alerts_cap import cap


@pytest.fixture
def lane(users, sink):
    """An SMS channel covering Guangdong (not where the test alert is) and an app channel without coverage."""
    sms = make_channel(users["admin"], "sms", "webhook", slug="gd-sms", url=sink.url, secret="k")
    Coverage.objects.create(channel=sms, area_codes=["440000"], min_level="blue")
    app = make_channel(users["admin"], "app", "webhook", slug="jx-app", url=sink.url, secret="k")
    return {"sms": sms, "app": app}


def alert_in_nanchang(sender, number: int):
    data = cap().replace(b"JX-2026-001", f"JX-2026-{number:03d}".encode())
    [received] = receive(Actor(user=sender), data)
    return received.alert


def reached(alert) -> set[str]:
    deliveries = Delivery.objects.filter(rendition__publication_id=alert.publication_id)
    return set(deliveries.values_list("channel__slug", flat=True))


def certificate_pem(days_from: int = -1, days_to: int = 365) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jxqx.example")])
    now = dt.datetime.now(dt.UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days_from))
        .not_valid_after(now + dt.timedelta(days=days_to))
        .sign(key, hashes.SHA256())
    )
    return built.public_bytes(serialization.Encoding.PEM).decode()


def test_coverage_edited_on_the_page_is_honoured_by_the_next_alert(users, client_for, sender, lane):
    ReleasePolicy.objects.create(name="自动", min_level="blue", action="auto")
    before = alert_in_nanchang(sender, 1)
    assert before.state == AlertState.RELEASED and reached(before) == set()

    admin = client_for("admin")
    page = admin.get(f"/alerts/settings/coverage/{lane['app'].pk}/?q=南昌")
    assert page.status_code == 200 and "江西省 南昌市" in page.content.decode()
    answer = admin.post(
        f"/alerts/settings/coverage/{lane['app'].pk}/",
        {"area_codes": ["360100"], "min_level": "yellow", "polygons": ""},
    )
    assert answer.status_code == 302
    after = alert_in_nanchang(sender, 2)  # orange, in 360100
    assert reached(after) == {"jx-app"}

    channel_page = admin.get(f"/channels/{lane['app'].pk}/").content.decode()
    assert "预警覆盖" in channel_page and "江西省 南昌市" in channel_page and "黄色" in channel_page
    event = AuditEvent.objects.get(action="alert.coverage_saved")
    assert event.actor == users["admin"]
    assert event.changes == {
        "old": None,
        "new": {"area_codes": ["360100"], "polygons": [], "everywhere": False, "min_level": "yellow",
                "accepts_restricted": False},
    }  # fmt: skip


def test_a_policy_change_applies_to_the_next_alert(users, client_for, sender, lane):
    Coverage.objects.filter(channel=lane["sms"]).update(area_codes=["360000"])
    first = alert_in_nanchang(sender, 1)
    assert first.state == AlertState.PENDING  # no policy: a duty officer confirms

    admin = client_for("admin")
    posted = {"name": "橙色以上自动", "sender": "*", "min_level": "orange", "action": "auto",
              "escalate_after": "300", "position": "1", "is_active": "on"}  # fmt: skip
    assert admin.post("/alerts/settings/", posted).status_code == 302
    second = alert_in_nanchang(sender, 2)
    assert second.state == AlertState.RELEASED and reached(second) == {"gd-sms"}

    policy = ReleasePolicy.objects.get()
    assert admin.post("/alerts/settings/", {**posted, "id": policy.pk, "action": "confirm"}).status_code == 302
    assert alert_in_nanchang(sender, 3).state == AlertState.PENDING
    saved = list(AuditEvent.objects.filter(action="alert.policy_saved").order_by("id"))
    assert [e.changes["new"]["action"] for e in saved] == ["auto", "confirm"]
    assert saved[0].changes["old"] is None and saved[1].changes["old"]["action"] == "auto"


def test_duty_officers_read_but_cannot_change(users, client_for, token_for, lane):
    duty = client_for("duty")
    for url in ("/alerts/settings/", "/alerts/settings/coverage/", "/alerts/settings/certificates/",
                f"/alerts/settings/coverage/{lane['sms'].pk}/"):  # fmt: skip
        page = duty.get(url)
        assert page.status_code == 200, url
        assert "只读" in page.content.decode()
    assert duty.post("/alerts/settings/", {"name": "x", "min_level": "blue", "action": "auto"}).status_code == 403
    assert duty.post(f"/alerts/settings/coverage/{lane['sms'].pk}/", {"everywhere": "on"}).status_code == 403
    assert duty.post("/alerts/settings/certificates/", {"sender": "a", "pem": certificate_pem()}).status_code == 403
    assert client_for("reporter").get("/alerts/settings/").status_code == 403
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for('duty')}"}
    assert duty.get("/api/v1/alerts/policies", **auth).status_code == 200
    refused = duty.put("/api/v1/alerts/policies", [], content_type="application/json", **auth)
    assert refused.status_code == 403
    assert ReleasePolicy.objects.count() == 0 and Coverage.objects.get(channel=lane["sms"]).everywhere is False
    assert not AuditEvent.objects.filter(action__startswith="alert.policy").exists()


def test_bad_codes_polygons_and_certificates_are_refused_in_chinese(users, client_for, token_for, lane):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for('admin')}"}
    client = client_for("admin")
    url = f"/api/v1/channels/{lane['sms'].pk}/coverage"
    bad_codes = client.put(url, {"area_codes": ["3601", "990000", "南昌"]}, content_type="application/json", **auth)
    assert bad_codes.status_code == 422
    messages = [e["message"] for e in bad_codes.json()["errors"]]
    assert "“3601”不是行政区划代码（应为 6 位或 12 位数字）。" in messages
    assert "“990000”不是已知的行政区划代码。" in messages and len(messages) == 3
    bad_ring = client.put(url, {"polygons": [[[28.6, 115.8], [95, 115.9], [28.6, 116.0]]]},
                          content_type="application/json", **auth)  # fmt: skip
    assert bad_ring.status_code == 422 and bad_ring.json()["errors"][0]["message"].startswith("第 1 个多边形无效")
    too_few = client.put(url, {"polygons": [[[28.6, 115.8], [28.7, 115.9]]]}, content_type="application/json", **auth)
    assert "至少要有三个不同的点" in too_few.json()["errors"][0]["message"]
    assert Coverage.objects.get(channel=lane["sms"]).area_codes == ["440000"]  # unchanged

    certificates = "/api/v1/alerts/certificates"
    garbage = client.post(certificates, {"sender": "jxqx", "pem": "not a certificate"},
                          content_type="application/json", **auth)  # fmt: skip
    assert garbage.json()["errors"][0]["message"] == "无法读取证书：请上传 PEM 格式的 X.509 证书。"
    expired = client.post(certificates, {"sender": "jxqx", "pem": certificate_pem(-30, -1)},
                          content_type="application/json", **auth)  # fmt: skip
    assert expired.status_code == 422 and expired.json()["errors"][0]["message"].startswith("证书已于")
    page = client.post("/alerts/settings/certificates/", {"sender": "jxqx", "pem": "x"}, follow=True)
    assert "无法读取证书" in page.content.decode()
    assert SenderCertificate.objects.count() == 0


def test_a_refused_certificate_keeps_what_was_typed(users, client_for, lane):
    admin = client_for("admin")
    typed = {"sender": "jxqx@cma.gov.cn", "pem": "-----BEGIN CERTIFICATE-----\nnot base64", "note": "省气象台 2026"}
    refused = admin.post("/alerts/settings/certificates/", typed)
    page = refused.content.decode()
    assert refused.status_code == 200 and "无法读取证书" in page  # the page again, not a redirect that clears it
    assert 'value="jxqx@cma.gov.cn"' in page and 'value="省气象台 2026"' in page
    assert ">-----BEGIN CERTIFICATE-----\nnot base64</textarea>" in page
    assert SenderCertificate.objects.count() == 0
    saved = admin.post("/alerts/settings/certificates/", {**typed, "pem": certificate_pem()}, follow=True)
    assert "证书已登记" in saved.content.decode() and 'value="jxqx@cma.gov.cn"' not in saved.content.decode()


def test_certificates_and_coverage_over_the_api_are_audited_with_old_and_new(users, client_for, token_for, lane):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_for('admin')}"}
    client = client_for("admin")
    pem = certificate_pem()
    added = client.post("/api/v1/alerts/certificates", {"sender": "jxqx@cma.gov.cn", "pem": pem, "note": "2026"},
                        content_type="application/json", **auth)  # fmt: skip
    assert added.status_code == 201, added.content
    body = added.json()
    assert body["subject"] == "CN=jxqx.example" and len(body["fingerprint"]) == 95 and not body["expired"]
    listed = client.get("/alerts/settings/certificates/").content.decode()
    assert body["fingerprint"] in listed and "PRIVATE" not in listed
    assert client.delete(f"/api/v1/alerts/certificates/{body['id']}", **auth).status_code == 204
    actions = {e.action: e.changes for e in AuditEvent.objects.filter(action__startswith="alert.certificate")}
    assert actions["alert.certificate_added"]["new"]["fingerprint"] == body["fingerprint"]
    assert actions["alert.certificate_removed"]["old"]["sender"] == "jxqx@cma.gov.cn"

    url = f"/api/v1/channels/{lane['sms'].pk}/coverage"
    ring = [[28.6, 115.8], [28.7, 115.9], [28.6, 116.0]]
    put = client.put(url, {"area_codes": ["360100000000"], "polygons": [ring], "min_level": "orange"},
                     content_type="application/json", **auth)  # fmt: skip
    assert put.status_code == 200, put.content
    assert put.json()["areas"] == [{"code": "360100000000", "name": "江西省 南昌市"}]
    assert put.json()["polygons"] == [[*ring, ring[0]]]  # closed
    event = AuditEvent.objects.get(action="alert.coverage_saved")
    assert event.changes["old"]["area_codes"] == ["440000"] and event.changes["new"]["min_level"] == "orange"

    policies = [{"name": "红色自动", "min_level": "red", "action": "auto"}, {"name": "其余确认", "position": 9}]
    replaced = client.put("/api/v1/alerts/policies", policies, content_type="application/json", **auth)
    assert replaced.status_code == 200 and [p["name"] for p in replaced.json()] == ["红色自动", "其余确认"]


def test_division_search_finds_nanchang_by_name_and_code(users, client_for):
    client = client_for("duty")
    by_name = client.get("/alerts/settings/divisions.json", {"q": "南昌"}).json()["results"]
    assert by_name[0] == {"code": "360100", "name": "南昌市", "level": "prefecture", "level_label": "地级",
                          "path": "江西省 南昌市"}  # fmt: skip
    assert any(d["code"] == "360121" and d["name"] == "南昌县" for d in by_name)
    by_code = client.get("/alerts/settings/divisions.json", {"q": "360100"}).json()["results"]
    assert by_code[0]["name"] == "南昌市"
    assert client_for("reporter").get("/alerts/settings/divisions.json", {"q": "南昌"}).status_code == 403


def test_channels_without_coverage_are_listed_for_the_status_page(users, lane):
    assert [c.slug for c in lane_config.channels_without_coverage()] == ["jx-app"]
    Coverage.objects.create(channel=lane["app"], min_level="blue")  # a row that reaches nowhere still counts
    assert [c.slug for c in lane_config.channels_without_coverage()] == ["jx-app"]
    Coverage.objects.filter(channel=lane["app"]).update(everywhere=True)
    assert lane_config.channels_without_coverage() == []


def test_the_django_admin_applies_the_same_checks(users, client_for, lane):
    client = client_for("admin")
    refused = client.post("/admin/alerts/sendercertificate/add/", {"sender": "jxqx", "pem": certificate_pem(-30, -1)})
    assert refused.status_code == 200 and "证书已于" in refused.content.decode()
    garbage = client.post("/admin/alerts/sendercertificate/add/", {"sender": "jxqx", "pem": "nonsense"})
    assert "无法读取证书" in garbage.content.decode()
    assert SenderCertificate.objects.count() == 0
    accepted = client.post("/admin/alerts/sendercertificate/add/", {"sender": "jxqx", "pem": certificate_pem()})
    assert accepted.status_code == 302 and SenderCertificate.objects.count() == 1

    coverage = Coverage.objects.get(channel=lane["sms"])
    form = {"channel": lane["sms"].pk, "area_codes": '["990000"]', "polygons": "[]", "min_level": "blue"}
    page = client.post(f"/admin/alerts/coverage/{coverage.pk}/change/", form)
    assert "“990000”不是已知的行政区划代码。" in page.content.decode()
    coverage.refresh_from_db()
    assert coverage.area_codes == ["440000"]


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")
def test_in_chromium_an_admin_finds_nanchang_ticks_it_and_the_phone_layout_holds(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 900})
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, server, "admin")
    page.goto(f"{server}/alerts/settings/coverage/")
    page.locator("table a").first.click()
    page.fill("#q", "南昌")
    page.get_by_role("button", name="查找").click()
    page.wait_for_load_state()
    page.get_by_label("江西省 南昌市 360100 地级").check()
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert page.get_by_label("南昌市 360100").is_checked()  # now among the chosen divisions
    assert "覆盖范围已保存" in page.content()
    for path in ("/alerts/settings/", "/alerts/settings/coverage/", "/alerts/settings/certificates/"):
        page.goto(f"{server}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert violations == []
    page.close()


def test_the_read_only_notice_is_for_readers_only(users, client_for):
    notice = "只读：只有管理员可以修改这些设置。"
    for path in ("/alerts/settings/", "/alerts/settings/coverage/", "/alerts/settings/certificates/"):
        assert notice not in client_for("admin").get(path).content.decode(), path
        assert notice in client_for("duty").get(path).content.decode(), path


def alert_with_area(sender, number: int, area: str):
    data = cap(area).replace(b"JX-2026-001", f"JX-2026-{number:03d}".encode())
    [received] = receive(Actor(user=sender), data)
    return received.alert


def test_a_polygon_pasted_on_the_page_is_honoured_by_the_next_alert_and_shown(users, client_for, sender, lane):
    ReleasePolicy.objects.create(name="自动", min_level="blue", action="auto")
    admin = client_for("admin")
    url = f"/alerts/settings/coverage/{lane['app'].pk}/"
    # As CAP writes it (a closed ring round Nanchang), with a stray blank line and a full-width comma.
    pasted = "28.5,115.7 28.8,115.7 28.8,116.1 28.5，116.1 28.5,115.7\n\n"
    assert admin.post(url, {"polygons": pasted, "min_level": "blue"}).status_code == 302
    ring = [[28.5, 115.7], [28.8, 115.7], [28.8, 116.1], [28.5, 116.1], [28.5, 115.7]]
    assert Coverage.objects.get(channel=lane["app"]).polygons == [ring]

    guangzhou = alert_with_area(sender, 11, "<polygon>23.0,113.2 23.2,113.2 23.2,113.4 23.0,113.2</polygon>")
    assert reached(guangzhou) == set()
    inside = alert_with_area(sender, 12, "<circle>28.68,115.89 5</circle>")  # a circle inside the ring
    assert reached(inside) == {"jx-app"}
    crossing = alert_with_area(sender, 13, "<polygon>28.7,116.0 29.5,116.0 29.5,117.0 28.7,116.0</polygon>")
    assert reached(crossing) == {"jx-app"}  # overlaps one corner
    codes_only = alert_with_area(sender, 14, "")  # 360100 by code only: a polygon-only coverage cannot tell
    assert reached(codes_only) == set()

    for page in (admin.get(f"/channels/{lane['app'].pk}/"), admin.get(url)):
        html = page.content.decode()
        assert page.status_code == 200 and "1 个多边形" in html
        assert "<svg" in html and html.count("<polygon points=") == 1
        assert "28.5,115.7 28.8,115.7 28.8,116.1 28.5,116.1 28.5,115.7" in html
    api = admin.get(f"/api/v1/channels/{lane['app'].pk}/coverage")
    assert api.json()["polygons"] == [ring]

    # Refused in Chinese, the coverage unchanged: too few points, a latitude out of range, not numbers.
    for bad, message in [
        ("28.6,115.8 28.7,115.9 28.6,115.8", "至少要有三个不同的点"),
        ("95,115.8 28.7,115.9 28.6,116.0 95,115.8", "纬度在 -90 到 90"),
        ("28.6;115.8 28.7;115.9 28.6;116.0", "第 1 个多边形无效"),
    ]:
        page = admin.post(url, {"polygons": bad, "min_level": "blue"}, follow=True)
        assert message in page.content.decode(), bad
    assert Coverage.objects.get(channel=lane["app"]).polygons == [ring]


def test_the_sketch_keeps_north_up_and_the_shape_in_the_frame():
    drawn = lane_config.sketch([[[28.5, 115.7], [28.8, 115.7], [28.8, 116.1], [28.5, 115.7]]])
    points = [tuple(map(float, p.split(","))) for p in drawn["shapes"][0].split()]
    assert all(0 <= x <= drawn["width"] and 0 <= y <= drawn["height"] for x, y in points)
    south_west, north_west = points[0], points[1]
    assert north_west[1] < south_west[1] and north_west[0] == south_west[0]  # north is up
    assert lane_config.sketch([]) is None


def test_a_refused_policy_keeps_what_was_typed(users, client_for, lane):
    admin = client_for("admin")
    typed = {"name": "橙色以上自动", "sender": "jx qx", "min_level": "orange", "action": "auto",
             "urgencies": ["Immediate"], "escalate_after": "600", "position": "3", "is_active": "on"}  # fmt: skip
    refused = admin.post("/alerts/settings/", typed)
    page = refused.content.decode()
    assert refused.status_code == 200 and "发送方标识不能含空格" in page
    assert 'value="橙色以上自动"' in page and 'value="jx qx"' in page and 'value="600"' in page
    assert '<option value="orange" selected>' in page and 'value="Immediate" checked' in page
    assert ReleasePolicy.objects.count() == 0
    assert admin.post("/alerts/settings/", {**typed, "sender": "*"}).status_code == 302
    policy = ReleasePolicy.objects.get()
    again = admin.post("/alerts/settings/", {**typed, "id": policy.pk, "sender": "*", "position": "-5"})
    assert "顺序须在 0 到 10000 之间" in again.content.decode()
    assert f'<details class="card" open><summary>修改：{policy.name}' in again.content.decode()
    assert 'value="-5"' in again.content.decode() and ReleasePolicy.objects.get().position == 3
    assert admin.post("/alerts/settings/", {"id": policy.pk, "delete": "1"}).status_code == 302
    assert ReleasePolicy.objects.count() == 0


def test_a_refused_coverage_keeps_what_was_typed(users, client_for, lane):
    admin = client_for("admin")
    url = f"/alerts/settings/coverage/{lane['sms'].pk}/"
    typed = {"area_codes": ["440000", "360100"], "more_codes": "360102, 990000", "min_level": "yellow",
             "polygons": "28.6,115.8 95,115.9 28.6,116.0", "accepts_restricted": "on"}  # fmt: skip
    refused = admin.post(url, typed)
    page = refused.content.decode()
    assert refused.status_code == 200 and "“990000”不是已知的行政区划代码。" in page  # the page again, not a redirect
    assert 'value="360102, 990000"' in page and ">28.6,115.8 95,115.9 28.6,116.0</textarea>" in page
    assert 'value="360100" checked' in page and 'value="440000" checked' in page
    assert '<option value="yellow" selected>' in page and 'name="accepts_restricted" checked' in page
    assert 'name="everywhere" checked' not in page
    coverage = Coverage.objects.get(channel=lane["sms"])
    assert coverage.area_codes == ["440000"] and coverage.min_level == "blue"  # unchanged
    saved = admin.post(url, {**typed, "more_codes": "360102", "polygons": ""})
    assert saved.status_code == 302 and Coverage.objects.get(channel=lane["sms"]).min_level == "yellow"
