"""The attacks of issue 20's review (holes 1–13) again, over HTTP against a running server — `tongpin serve --demo`
(gunicorn, SQLite, its own TONGPIN_HOME) on a free loopback port — with plain urllib requests to 127.0.0.1 only.

The test client suites (test_security_*.py) prove each rule in depth; this module proves that what a stranger on the
network meets is the same: the middleware, the WSGI server, cookies, CSRF, the throttle's database rows and the
answers' headers are all real. One server for the module; each attack is a handful of requests.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from .conftest import free_port, wait_until_serving
from .test_security_lane import ROGUE, VICTIM, Http, cap

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "tongpin-demo"

SETUP = """
import datetime as dt, json
from django.utils import timezone
from tongpin.alerts.models import SenderIdentity
from tongpin.core.models import ApiToken, User
from tongpin.core.roles import Role
out = {}
for name in ["admin", "jxqx", "reporter", "editor", "desk", "chief", "duty", "liaison_em", "liaison_zone", "anchor",
             "auditor"]:
    out[name] = ApiToken.issue(User.objects.get(username=name), "http-test")[1]
rogue = User(username="rogue", role=Role.ALERT_SENDER, display_name="rogue")
rogue.set_password("rogue-pass-123456")
rogue.save()
SenderIdentity.objects.create(user=rogue, sender="ROGUE")
out["rogue"] = ApiToken.issue(rogue, "t")[1]
past = timezone.now() - dt.timedelta(days=1)
out["expired"] = ApiToken.issue(User.objects.get(username="editor"), "old", expires_at=past)[1]
out["read_only"] = ApiToken.issue(User.objects.get(username="admin"), "ro", scope="read")[1]
print(json.dumps(out))
""".replace("ROGUE", ROGUE)


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TONGPIN_", "DJANGO_"))}
    env |= {"TONGPIN_HOME": str(home), "PYTHONPATH": str(ROOT / "src"), "TONGPIN_LOG_LEVEL": "WARNING"}
    return env  # no TONGPIN_OUTBOUND_ALLOW: loopback and private addresses are refused as in production


def _tongpin(home: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "tongpin", *args], env=_env(home), capture_output=True, text=True,
                          timeout=180, cwd=ROOT, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("tongpin-http")
    port = free_port()
    log = open(home / "serve.log", "w")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "tongpin", "serve", "--demo", "--port", str(port), "--workers", "2", "--no-worker"],
        env=_env(home), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(process, base, log, home / "serve.log", 120)
    tokens = json.loads(_tongpin(home, "shell", "-c", SETUP).splitlines()[-1])
    yield {"base": base, "home": home, "tokens": tokens}
    process.terminate()
    process.wait(timeout=20)
    log.close()


class Browser(Http):
    """A signed-in person: the sign-in form with its CSRF token, then cookies."""

    def csrf(self, path: str) -> str:
        page = self.call("GET", path)[1]
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def sign_in(self, username: str, password: str = DEMO_PASSWORD, path: str = "/login/") -> tuple[int, str, str]:
        form = {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf(path)}
        headers = {"Referer": self.base + path, "Content-Type": "application/x-www-form-urlencoded"}
        data = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(self.base + path, data=data, method="POST", headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode("utf-8", "replace")


def _headers(base: str, path: str) -> dict:
    with urllib.request.urlopen(base + path, timeout=30) as response:  # noqa: S310  (loopback)
        return dict(response.headers)


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, mime) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f"Content-Type: {mime}\r\n\r\n".encode() + data + b"\r\n")  # fmt: skip
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0)


# -- holes 1–3: the warning lane ---------------------------------------------------------------------------------


def test_1_another_agency_cannot_cancel_a_warning_and_2_a_restricted_one_stays_off_public_pages(site):
    web, tokens = Http(site["base"]), site["tokens"]
    now = _now()
    sent, later = now.isoformat(), (now + dt.timedelta(minutes=5)).isoformat()
    status, original = web.cap(tokens["jxqx"], cap("H1-001", sent=sent))
    assert status == 201 and original["state"] == "released", original
    ref = f"{VICTIM},H1-001,{sent}"
    status, refused = web.cap(tokens["rogue"], cap("H1-X", sender=VICTIM, sent=later, msg_type="Cancel",
                                                   references=ref))  # fmt: skip
    assert status == 403 and refused["errors"][0]["code"] == "sender_not_allowed"
    status, own = web.cap(tokens["rogue"], cap("H1-Y", sender=ROGUE, sent=later, msg_type="Cancel", references=ref))
    assert status == 201 and "foreign_reference" in [w["code"] for w in own["warnings"]]
    assert web.json("GET", f"/api/v1/alerts/{original['id']}", tokens["admin"])[1]["state"] == "released"
    # 2. Restricted: no public channel, not in the public feed, its CAP document is not public.
    status, closed = web.cap(tokens["jxqx"], cap("H2-R", sent=later, scope="Restricted", headline="内部：泄洪调度"))
    assert status == 201
    detail = web.json("GET", f"/api/v1/alerts/{closed['id']}", tokens["admin"])[1]
    assert detail["deliveries"] == [] and detail["renditions"] == []
    status, feed = web.call("GET", "/alerts/feed.atom")
    assert status == 200 and "H1-001" in feed and "内部" not in feed and "防汛指挥部" not in feed
    assert web.call("GET", f"/alerts/{closed['id']}/cap.xml")[0] == 404
    assert web.call("GET", f"/alerts/{original['id']}/cap.xml")[0] == 200


def test_3_a_sender_token_reads_no_calendar_and_the_account_cannot_sign_in(site):
    web, tokens = Http(site["base"]), site["tokens"]
    for path in ("/api/v1/calendar", "/api/v1/calendar/feeds", "/api/v1/partners", "/api/v1/stories"):
        status, body = web.json("GET", path, tokens["jxqx"])
        assert status == 403 and body["errors"][0]["code"] == "machine_account", (path, status)
    browser = Browser(site["base"])
    status, _location, page = browser.sign_in("rogue", "rogue-pass-123456")
    assert status == 200 and "不能登录" in page
    assert browser.call("GET", "/alerts/")[0] == 302  # still signed out: the console sends it to the sign-in page


# -- holes 4, 5, 13 (redirects): the browser's side ---------------------------------------------------------------


def test_4_a_javascript_link_is_refused_on_import_never_an_href_and_every_page_has_the_csp(site):
    web, tokens = Http(site["base"]), site["tokens"]
    accounts = web.json("GET", "/api/v1/analytics/accounts", tokens["editor"])[1]
    account = next(a for a in accounts if a["platform"] == "wechat")
    header = "账号,标题,链接,发布时间,位置,阅读数,点赞数,在看数,分享数,评论数,数据日期\n"
    row = f"{account['name']},恶意链接测试,javascript:alert(document.cookie),2026-11-17 09:00,1,5600,60,20,80,5,"
    row += "2026-11-23\n"
    body, content_type = _multipart({"format": "wechat"}, {"file": ("wx.csv", (header + row).encode(), "text/csv")})
    status, text = web.call("POST", "/api/v1/analytics/imports", body, tokens["editor"], content_type)
    result = json.loads(text)
    assert status in (201, 422) and result.get("status") != "imported", result
    browser = Browser(site["base"])
    assert browser.sign_in("editor")[0] == 302
    status, page = browser.call("GET", f"/analytics/accounts/{account['id']}/")
    assert status == 200 and "javascript:" not in page and "恶意链接测试" not in page
    for path in ("/login/", "/alerts/feed.atom", "/api/v1/openapi.json", "/healthz"):
        policy = _headers(site["base"], path).get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy, path
    signed_in = browser.call("GET", "/")[1]
    assert "<script>" not in signed_in and " onclick=" not in signed_in


def test_5_the_admin_sign_in_is_throttled_even_for_the_right_password(site):
    browser = Browser(site["base"])
    answers = [browser.sign_in("desk", "wrong-password-1", path="/admin/login/")[0] for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429]  # locked at the fifth failure within 15 minutes
    status, _location, page = browser.sign_in("desk", DEMO_PASSWORD, path="/admin/login/")
    assert status == 429 and "15 分钟" in page
    # The lock is a database row: another process (the other gunicorn worker, or the login page) sees it too.
    assert Browser(site["base"]).sign_in("desk")[0] == 429


def test_13_sign_in_does_not_follow_a_foreign_next(site):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        browser = Browser(site["base"])
        path = "/login/?" + urllib.parse.urlencode({"next": target})
        status, location, _page = browser.sign_in("reporter", path=path)
        assert status == 302 and "evil" not in location, (target, location)


# -- holes 6 and 7: review ---------------------------------------------------------------------------------------


def test_6_a_picture_added_after_approval_sends_the_story_back_and_7_an_author_cannot_approve_their_own(site):
    web, tokens = Http(site["base"]), site["tokens"]
    mine = {"title": "编辑自己写的稿件", "body_html": "<p>正文一段。</p>"}
    status, story = web.json("POST", "/api/v1/stories", tokens["editor"], mine)
    assert status == 201, story
    assert web.json("POST", f"/api/v1/stories/{story['id']}/submit", tokens["editor"], {})[0] == 201
    status, refused = web.json("POST", f"/api/v1/stories/{story['id']}/review", tokens["editor"],
                               {"decision": "approve"})  # fmt: skip
    assert status == 403 and refused["errors"][0]["code"] == "own_story"
    # Hole 6, on a story the demo has approved: a picture attached after approval makes a new revision.
    stories = web.json("GET", "/api/v1/stories?status=approved", tokens["chief"])[1]
    approved = stories["results"][0] if isinstance(stories, dict) else stories[0]
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, "PNG")
    png = picture.getvalue()
    body, content_type = _multipart({"caption": "事后加的图"}, {"file": ("late.png", png, "image/png")})
    status, text = web.call("POST", f"/api/v1/stories/{approved['id']}/assets", body, tokens["editor"], content_type)
    assert status == 201, text
    after = web.json("GET", f"/api/v1/stories/{approved['id']}", tokens["chief"])[1]
    assert after["status"] != "approved" and after["version"] > approved["version"]


# -- holes 8 and 9: channels -------------------------------------------------------------------------------------


def test_8_9_a_channel_secret_does_not_follow_a_changed_address_and_is_not_stored_in_plaintext(site):
    web, tokens = Http(site["base"]), site["tokens"]
    status, channel = web.json("POST", "/api/v1/channels", tokens["admin"], {
        "name": "合作方回调", "slug": "http-hook", "kind": "app", "transmitter": "webhook",
        "settings": {"url": "https://hooks.partner.example/a", "secret": "http-PLAIN-signing-key"}})  # fmt: skip
    assert status == 201, channel
    shown = web.call("GET", f"/api/v1/channels/{channel['id']}", token=tokens["admin"])[1]
    assert "http-PLAIN-signing-key" not in shown and "tpenc" not in shown
    status, refused = web.json("PATCH", f"/api/v1/channels/{channel['id']}", tokens["admin"],
                               {"settings": {"url": "https://collector.example/x", "secret": ""}})  # fmt: skip
    assert status == 422 and refused["errors"][0]["code"] == "secret_required"
    # The database file on disk holds the secret sealed (issue 20, 数据保密性), not in plaintext.
    with sqlite3.connect(site["home"] / "tongpin.sqlite3") as db:
        stored = db.execute("SELECT settings FROM publishing_channel WHERE slug = 'http-hook'").fetchone()[0]
    assert "http-PLAIN-signing-key" not in stored and "tpenc:1:sm4-gcm:" in stored
    # 8. An address that is not http(s) is refused; one that points at an internal service (the database port
    # on loopback) is judged by the worker before any connection and the send fails with a status, not a body.
    status, hostile = web.json("POST", "/api/v1/channels", tokens["admin"], {
        "name": "脚本", "slug": "http-js", "kind": "app", "transmitter": "webhook",
        "settings": {"url": "javascript:alert(1)", "secret": "k"}})  # fmt: skip
    assert status == 422 and hostile["errors"][0]["code"] == "invalid_url"
    status, internal = web.json("POST", "/api/v1/channels", tokens["admin"], {
        "name": "内部服务", "slug": "http-internal", "kind": "app", "transmitter": "webhook",
        "settings": {"url": "http://127.0.0.1:5432/x", "secret": "internal-PLAIN"}})  # fmt: skip
    assert status == 201, internal
    approved = web.json("GET", "/api/v1/stories?status=approved", tokens["chief"])[1]["results"][-1]
    status, publication = web.json("POST", f"/api/v1/stories/{approved['id']}/publish", tokens["chief"],
                                   {"channels": [internal["id"]]})  # fmt: skip
    assert status == 201, publication
    _tongpin(site["home"], "worker", "--batch", "--deliveries-only")
    deliveries = web.json("GET", "/api/v1/deliveries?channel=http-internal", tokens["chief"])[1]
    [sent] = [d for d in deliveries["results"] if d["channel"] == "http-internal"]
    assert sent["state"] == "failed" and sent["last_code"] == "destination_refused", sent
    assert sent["attempts"] == 1


# -- holes 10, 12: rule lists and downloads ----------------------------------------------------------------------


def test_10_the_rule_lists_are_for_rules_staff_only_and_12_each_export_is_audited(site):
    web, tokens = Http(site["base"]), site["tokens"]
    for name in ("reporter", "liaison_em", "anchor", "duty"):
        status, body = web.call("GET", "/api/v1/proofread/rules.csv", token=tokens[name])
        assert status == 403, (name, status)
    status, body = web.call("GET", "/api/v1/proofread/rules.csv", token=tokens["editor"])
    assert status == 200 and "," in body
    audit = web.json("GET", "/api/v1/audit?action=download", tokens["auditor"])[1]
    exports = [e for e in audit["results"] if e["changes"].get("file") == "tongpin-rules.csv"]
    assert exports and exports[0]["via"] == "api" and exports[0]["actor"], audit


def test_11_a_liaison_reads_no_other_partners_objects(site):
    web, tokens = Http(site["base"]), site["tokens"]
    mine = web.json("GET", "/api/v1/partners", tokens["liaison_zone"])[1]
    slugs = {p["slug"] for p in (mine if isinstance(mine, list) else mine.get("results", []))}
    assert slugs == {"qy-gxq"}, slugs
    status, _ = web.json("GET", "/api/v1/partners/jx-yjgl", tokens["liaison_zone"])
    assert status in (403, 404)
    for path in ("/api/v1/audit", "/api/v1/channels", "/api/v1/deliveries"):
        assert web.json("GET", path, tokens["liaison_zone"])[0] == 403, path


# -- hole 13: limits and tokens ----------------------------------------------------------------------------------


def test_13_proofreading_size_xml_bombs_and_forged_expired_or_read_only_tokens_are_refused(site):
    web, tokens = Http(site["base"]), site["tokens"]
    status, body = web.json("POST", "/api/v1/proofread", tokens["reporter"], {"text": "字" * 200_001})
    assert status == 413 and body["errors"][0]["code"] == "too_large"
    assert web.json("POST", "/api/v1/proofread", tokens["liaison_em"], {"text": "测试"})[0] == 403
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
            b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><alert>&lol3;</alert>')  # fmt: skip
    status, text = web.call("POST", "/api/v1/alerts/cap", bomb, tokens["jxqx"], "application/xml")
    assert 400 <= status < 500 and "dtd_forbidden" in text
    assert web.call("GET", "/healthz")[0] == 200
    assert web.call("GET", "/api/v1/me", token="tp_forged-" + "x" * 40)[0] == 401
    assert web.call("GET", "/api/v1/me", token=tokens["expired"])[0] == 401
    status, body = web.json("POST", "/api/v1/channels", tokens["read_only"], {"name": "x", "slug": "ro-x",
                                                                              "kind": "app", "transmitter": "feed"})
    assert status == 403 and body["errors"][0]["code"] == "token_scope"
    assert web.json("GET", "/api/v1/channels", tokens["read_only"])[0] == 200
    assert web.call("GET", "/ical/forged-token.ics")[0] == 404
