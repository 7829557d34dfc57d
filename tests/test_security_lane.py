"""The warning lane under attack (issue 20, items 1–3): sender accounts bound to their CAP sender identities,
signatures that hold a message for a duty officer, Restricted/Private alerts kept off public channels and
pages, machine accounts confined to the submission endpoint, and a walk over every API route.

The attacks run through Django's test client and, at the end, over HTTP against a running `tongpin serve`."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from tongpin.alerts.models import Alert, AlertState, Coverage, ReleasePolicy, SenderCertificate
from tongpin.core.models import ApiToken, AuditEvent
from tongpin.core.roles import Role
from tongpin.publishing.models import Delivery, DeliveryAction

from .conftest import PASSWORD, api, free_port, make_user, signing_certificate, wait_until_serving, xml_signed
from .publishing_support import make_channel

VICTIM = "jxqx@cma.gov.cn"
ROGUE = "rogue@example.org"
SENT = "2026-06-01T08:00:00+08:00"
NOWHERE = "http://127.0.0.1:9/"  # deliveries are only queued here (no worker runs)


def cap(
    identifier: str = "SEC-001",
    sender: str = VICTIM,
    sent: str = SENT,
    msg_type: str = "Alert",
    scope: str = "Public",
    references: str = "",
    headline: str = "省气象台发布暴雨橙色预警",
) -> bytes:
    """A CAP 1.2 message of our own; Cancel has no info block, everything else one orange Chinese block."""
    head = {
        "Public": "<scope>Public</scope>",
        "Restricted": "<scope>Restricted</scope><restriction>仅限防汛指挥部成员单位（秘）</restriction>",
        "Private": "<scope>Private</scope><addresses>fxb@jiangxi.gov.cn</addresses>",
    }[scope]
    refs = f"<references>{references}</references>" if references else ""
    info = (
        "<info><language>zh-CN</language><category>Met</category><event>暴雨</event><urgency>Immediate</urgency>"
        "<severity>Severe</severity><certainty>Likely</certainty>"
        f"<headline>{headline}</headline><description>预计未来6小时降雨量将达50毫米以上。</description>"
        "<area><areaDesc>南昌市</areaDesc><geocode><valueName>GB/T 2260</valueName><value>360100</value>"
        "</geocode></area></info>"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
        f"<identifier>{identifier}</identifier><sender>{sender}</sender><sent>{sent}</sent>"
        f"<status>Actual</status><msgType>{msg_type}</msgType>{head}{refs}{'' if msg_type == 'Cancel' else info}"
        "</alert>"
    ).encode()


def reference(alert: Alert) -> str:
    return f"{alert.sender},{alert.identifier},{alert.sent}"


def bind(user, sender: str) -> None:
    from tongpin.alerts.models import SenderIdentity

    SenderIdentity.objects.create(user=user, sender=sender)


def post_cap(client: Client, token: str, data: bytes):
    return client.post("/api/v1/alerts/cap", data=data, content_type="application/xml",
                       HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip


@pytest.fixture
def lane(users):
    """Two agencies' sender accounts, each bound to its own identity; channels over Jiangxi; auto release."""
    victim = make_user("jxqx", Role.ALERT_SENDER)
    rogue = make_user("rogue", Role.ALERT_SENDER)
    bind(victim, VICTIM)
    bind(rogue, ROGUE)
    for kind in ("sms", "app"):
        channel = make_channel(users["admin"], kind, "webhook", slug=f"pub-{kind}", url=NOWHERE, secret="k")
        Coverage.objects.create(channel=channel, area_codes=["360000"])
    ReleasePolicy.objects.create(name="自动", sender="*", min_level="blue", action="auto")
    return {"victim": victim, "rogue": rogue, "victim_token": ApiToken.issue(victim, "t")[1],
            "rogue_token": ApiToken.issue(rogue, "t")[1]}  # fmt: skip


# -- 1. sender identities ---------------------------------------------------------------------------------


def test_a_sender_account_may_only_submit_as_its_own_sender_identities(lane, client):
    foreign = post_cap(client, lane["rogue_token"], cap(sender=VICTIM))
    assert foreign.status_code == 403, foreign.content
    assert foreign.json()["errors"][0]["code"] == "sender_not_allowed"
    assert not Alert.objects.exists()
    own = post_cap(client, lane["rogue_token"], cap(sender=ROGUE))
    assert own.status_code == 201 and own.json()["sender"] == ROGUE
    # An account nobody has bound yet can submit nothing at all (fail closed), and is told why.
    unbound = ApiToken.issue(make_user("newcomer", Role.ALERT_SENDER), "t")[1]
    refused = post_cap(client, unbound, cap(identifier="SEC-002", sender=ROGUE))
    assert refused.status_code == 403 and "绑定" in refused.json()["errors"][0]["message"]
    assert AuditEvent.objects.filter(action="alert.refused", actor_name="newcomer").exists()


def test_another_agency_cannot_cancel_or_replace_a_warning_by_claiming_its_sender(lane, client):
    original = post_cap(client, lane["victim_token"], cap()).json()
    assert original["state"] == "released"
    ref = f"{VICTIM},SEC-001,{SENT}"
    cancel = cap("SEC-X1", sender=VICTIM, sent="2026-06-01T09:00:00+08:00", msg_type="Cancel", references=ref)
    update = cap("SEC-X2", sender=VICTIM, sent="2026-06-01T09:00:00+08:00", msg_type="Update", references=ref,
                 headline="预警解除（伪造）")  # fmt: skip
    for forged in (cancel, update):
        answer = post_cap(client, lane["rogue_token"], forged)
        assert answer.status_code == 403 and answer.json()["errors"][0]["code"] == "sender_not_allowed"
    # Under its own sender the rogue's Cancel names the victim's alert, and nothing happens to it.
    own_cancel = cancel.replace(f"<sender>{VICTIM}".encode(), f"<sender>{ROGUE}".encode())
    answer = post_cap(client, lane["rogue_token"], own_cancel)
    assert answer.status_code == 201
    assert "foreign_reference" in [w["code"] for w in answer.json()["warnings"]]
    assert Alert.objects.get(pk=original["id"]).state == AlertState.RELEASED
    assert not Delivery.objects.filter(action=DeliveryAction.WITHDRAW).exists()


def test_the_sender_of_the_original_may_update_and_cancel_it(lane, client):
    post_cap(client, lane["victim_token"], cap())
    ref = f"{VICTIM},SEC-001,{SENT}"
    cancel = cap("SEC-003", sent="2026-06-01T10:00:00+08:00", msg_type="Cancel", references=ref)
    assert post_cap(client, lane["victim_token"], cancel).json()["state"] == "released"
    assert Alert.objects.get(identifier="SEC-001").state == AlertState.CANCELLED


def test_with_registered_certificates_only_a_valid_signature_releases_by_itself(lane, users, client):
    pem_key, pem_cert = signing_certificate()
    SenderCertificate.objects.create(sender=VICTIM, pem=pem_cert.decode())
    signed = post_cap(client, lane["victim_token"], xml_signed(cap(), pem_key, pem_cert)).json()
    assert signed["signature"] == "valid" and signed["state"] == "released"
    ref = f"{VICTIM},SEC-001,{SENT}"
    # A Cancel used to go out at once, whatever its signature: now an unsigned one waits, with the reason.
    cancel = cap("SEC-004", sent="2026-06-01T09:00:00+08:00", msg_type="Cancel", references=ref)
    unsigned = post_cap(client, lane["victim_token"], cancel).json()
    assert unsigned["state"] == "pending" and "签名" in unsigned["hold_reason"]
    assert Alert.objects.get(pk=signed["id"]).state == AlertState.RELEASED
    detail = Client()
    detail.force_login(users["duty"])
    page = detail.get(f"/alerts/{unsigned['id']}/").content.decode()
    assert unsigned["hold_reason"] in page
    # A tampered signed message waits as well.
    tampered = xml_signed(cap("SEC-005", sent="2026-06-01T09:30:00+08:00"), pem_key, pem_cert)
    tampered = tampered.replace("50毫米".encode(), "5毫米".encode())
    held = post_cap(client, lane["victim_token"], tampered).json()
    assert held["signature"] == "invalid" and held["state"] == "pending" and held["hold_reason"]
    assert AuditEvent.objects.filter(action="alert.awaiting_confirmation", object_id=str(held["id"]),
                                     changes__reason=held["hold_reason"]).exists()  # fmt: skip
    # The duty officer decides: the unsigned Cancel is confirmed and takes the warning down.
    confirmed = api(client, "post", f"/alerts/{unsigned['id']}/confirm", ApiToken.issue(users["duty"], "t")[1],
                    {"note": "电话核实"})  # fmt: skip
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "released"
    assert Alert.objects.get(pk=signed["id"]).state == AlertState.CANCELLED


def test_an_invalid_signature_never_releases_by_itself_even_without_registered_certificates(lane, client):
    pem_key, pem_cert = signing_certificate()
    tampered = xml_signed(cap(), pem_key, pem_cert).replace("50毫米".encode(), "5毫米".encode())
    held = post_cap(client, lane["victim_token"], tampered).json()
    assert held["signature"] == "invalid" and held["state"] == "pending"
    assert not Delivery.objects.exists()


def test_duty_officers_may_act_for_any_sender_and_are_named_in_the_audit(lane, users, client):
    pem_key, pem_cert = signing_certificate()
    SenderCertificate.objects.create(sender=VICTIM, pem=pem_cert.decode())
    original = post_cap(client, lane["victim_token"], xml_signed(cap(), pem_key, pem_cert)).json()
    duty = ApiToken.issue(users["duty"], "t")[1]
    # Relaying by hand: an unsigned Cancel in the agency's name, from the duty officer's account, goes out.
    ref = f"{VICTIM},SEC-001,{SENT}"
    cancel = cap("SEC-006", sent="2026-06-01T09:00:00+08:00", msg_type="Cancel", references=ref)
    relayed = post_cap(client, duty, cancel)
    assert relayed.status_code == 201 and relayed.json()["state"] == "released"
    assert Alert.objects.get(pk=original["id"]).state == AlertState.CANCELLED
    received = AuditEvent.objects.get(action="alert.received", object_id=str(relayed.json()["id"]))
    assert received.actor_name == "duty" and received.changes["on_behalf_of"] == VICTIM
    cancelled = AuditEvent.objects.get(action="alert.cancelled", object_id=str(original["id"]))
    assert cancelled.actor_name == "duty"


def test_sender_identities_are_managed_by_admins_over_the_api_and_in_the_django_admin(lane, users, client):
    admin = ApiToken.issue(users["admin"], "t")[1]
    newcomer = make_user("ganzhou", Role.ALERT_SENDER)
    token = ApiToken.issue(newcomer, "t")[1]
    assert post_cap(client, token, cap(sender="gzqx@cma.gov.cn")).status_code == 403
    for who in ("duty", "chief"):
        denied = api(client, "post", "/alert-senders", ApiToken.issue(users[who], "t")[1],
                     {"username": "ganzhou", "sender": "gzqx@cma.gov.cn"})  # fmt: skip
        assert denied.status_code == 403
    created = api(client, "post", "/alert-senders", admin, {"username": "ganzhou", "sender": "gzqx@cma.gov.cn"})
    assert created.status_code == 201, created.content
    assert api(client, "post", "/alert-senders", admin,
               {"username": "ganzhou", "sender": "gzqx@cma.gov.cn"}).status_code == 409  # fmt: skip
    not_a_sender = api(client, "post", "/alert-senders", admin, {"username": "reporter", "sender": "x@y"})
    assert not_a_sender.status_code == 422
    listed = api(client, "get", "/alert-senders", admin).json()
    assert {"id": created.json()["id"], "username": "ganzhou", "sender": "gzqx@cma.gov.cn"} in [
        {k: row[k] for k in ("id", "username", "sender")} for row in listed
    ]
    assert post_cap(client, token, cap(sender="gzqx@cma.gov.cn")).status_code == 201
    assert api(client, "delete", f"/alert-senders/{created.json()['id']}", admin).status_code == 204
    assert post_cap(client, token, cap("SEC-007", sender="gzqx@cma.gov.cn")).status_code == 403
    actions = set(AuditEvent.objects.filter(object_type="alerts.senderidentity").values_list("action", flat=True))
    assert {"alert.sender_bound", "alert.sender_unbound"} <= actions
    # The Django admin edits them too, through the audited admin class.
    browser = Client()
    users["admin"].is_staff = users["admin"].is_superuser = True
    users["admin"].save()
    browser.force_login(users["admin"])
    assert browser.get("/admin/alerts/senderidentity/").status_code == 200
    added = browser.post("/admin/alerts/senderidentity/add/", {"user": newcomer.pk, "sender": "gz2@cma.gov.cn",
                                                                 "note": ""})  # fmt: skip
    assert added.status_code == 302, added.content.decode()[-2000:]
    assert AuditEvent.objects.filter(action="admin.add", object_type="alerts.senderidentity").exists()
    assert browser.get("/admin/alerts/sendercertificate/").status_code == 200


# -- 2. scope ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["Restricted", "Private"])
def test_restricted_and_private_alerts_reach_only_channels_marked_for_them(lane, users, client, scope):
    internal = make_channel(users["admin"], "sms", "webhook", slug="fxb-sms", url=NOWHERE, secret="k")
    Coverage.objects.create(channel=internal, area_codes=["360000"], accepts_restricted=True)
    closed = post_cap(client, lane["victim_token"], cap(scope=scope, headline="内部：水库泄洪调度预警")).json()
    assert closed["state"] == "released"
    reached = set(Delivery.objects.filter(rendition__publication__source_id=closed["id"])
                  .values_list("channel__slug", flat=True))  # fmt: skip
    assert reached == {"fxb-sms"}
    public = post_cap(client, lane["victim_token"], cap("SEC-PUB")).json()
    reached = set(Delivery.objects.filter(rendition__publication__source_id=public["id"])
                  .values_list("channel__slug", flat=True))  # fmt: skip
    assert reached == {"pub-sms", "pub-app", "fxb-sms"}


@pytest.mark.parametrize("scope", ["Restricted", "Private"])
def test_restricted_and_private_alerts_are_not_on_public_pages(lane, users, client, scope):
    closed = post_cap(client, lane["victim_token"], cap(scope=scope, headline="内部：水库泄洪调度预警")).json()
    public = post_cap(client, lane["victim_token"], cap("SEC-PUB", headline="公开：暴雨橙色预警")).json()
    anonymous = Client()
    feed = anonymous.get("/alerts/feed.atom").content.decode()
    assert "公开：暴雨橙色预警" in feed
    assert "内部" not in feed and "秘" not in feed and "fxb@" not in feed
    assert anonymous.get(f"/alerts/{closed['id']}/cap.xml").status_code == 404
    assert anonymous.get(f"/alerts/{public['id']}/cap.xml").status_code == 200
    # Liaisons and reporters are signed in but may not see alerts: still nothing.
    for who in ("reporter", "liaison_em"):
        signed_in = Client()
        signed_in.force_login(users[who])
        assert signed_in.get(f"/alerts/{closed['id']}/cap.xml").status_code == 404
    staff = Client()
    staff.force_login(users["duty"])
    xml = staff.get(f"/alerts/{closed['id']}/cap.xml")
    assert xml.status_code == 200 and "内部：水库泄洪调度预警" in xml.content.decode()
    assert "内部：水库泄洪调度预警" in staff.get("/alerts/").content.decode()


# -- 3. machine accounts and the API walk -----------------------------------------------------------------


def test_a_sender_account_cannot_sign_in_to_the_web_and_the_attempt_is_audited(lane):
    browser = Client()
    answer = browser.post("/login/", {"username": "jxqx", "password": PASSWORD})
    assert answer.status_code == 200 and "_auth_user_id" not in browser.session
    assert "接口" in answer.content.decode() and "不能登录" in answer.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_refused", actor_name="jxqx").exists()
    assert not AuditEvent.objects.filter(action="auth.login", actor_name="jxqx").exists()


def test_a_sender_account_reads_no_planning_calendar(lane, users, client):
    from tongpin.planning.models import Campaign

    Campaign.objects.create(title="合作方秘密策划", starts_on=dt.date.today(), ends_on=dt.date.today())
    answer = api(client, "get", "/calendar", lane["victim_token"])
    assert answer.status_code == 403, answer.content
    assert "秘密" not in answer.content.decode()
    assert api(client, "get", "/calendar/feeds", lane["victim_token"]).status_code == 403
    # Behind the API guard too: a sender account's partner scope is nothing, not "everything" like staff.
    from tongpin.partners.scope import partner_scope

    scope = partner_scope(lane["victim"])
    assert not scope.everything and not scope.partner_ids
    assert partner_scope(users["reporter"]).everything


def _demo():
    from tongpin.web.demo import load_demo

    load_demo()


def _routes() -> list[tuple[str, str]]:
    """Every operation of the NinjaAPI as (METHOD, path template under /api/v1)."""
    from tongpin.api import api as ninja

    schema = ninja.get_openapi_schema(path_prefix="")
    found = []
    for path, methods in schema["paths"].items():
        for method in methods:
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method.upper(), path))
    assert len(found) > 100  # the walk covers the whole API, not a corner
    return sorted(found)


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)


def _walk(token: str, values: dict[str, str], query: str = "") -> dict[tuple[str, str], tuple[int, str]]:
    client = Client()
    answers = {}
    for method, template in _routes():
        path = _fill(template, values) + (query if method == "GET" else "")
        response = client.generic(method, f"/api/v1{path}", data="{}", content_type="application/json",
                                  HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
        body = response.content.decode("utf-8", "replace") if not getattr(response, "streaming", False) else ""
        answers[(method, template)] = (response.status_code, body)
    return answers


def _any_values() -> dict[str, str]:
    """A real object for every path parameter the API has, so a missing check is not hidden by a 404."""
    from tongpin.analytics.models import Account, Article, MetricImport
    from tongpin.live.models import Anchor, LiveSession, Product
    from tongpin.newsroom.models import Story
    from tongpin.partners.models import ActionItem, Agreement, Commitment, Contact, Meeting, Partner, PublicityRequest
    from tongpin.planning.models import Assignment, Campaign, Event, EventTask, KeyDate, Topic
    from tongpin.publishing.models import Channel, Publication, Rendition

    alert = Alert.objects.first()
    rows = {
        "story_id": Story.objects.first(), "agreement_id": Agreement.objects.first(),
        "commitment_id": Commitment.objects.first(), "action_id": ActionItem.objects.first(),
        "contact_id": Contact.objects.first(), "meeting_id": Meeting.objects.first(),
        "campaign_id": Campaign.objects.first(), "event_id": Event.objects.first(), "topic_id": Topic.objects.first(),
        "assignment_id": Assignment.objects.first(), "request_id": PublicityRequest.objects.first(),
        "key_date_id": KeyDate.objects.first(), "session_id": LiveSession.objects.first(),
        "anchor_id": Anchor.objects.first(), "product_id": Product.objects.first(),
        "account_id": Account.objects.first(), "article_id": Article.objects.first(),
        "import_id": MetricImport.objects.first(), "publication_id": Publication.objects.first(),
        "rendition_id": Rendition.objects.first(), "delivery_id": Delivery.objects.first(),
        "channel_id": Channel.objects.first(), "task_id": EventTask.objects.first(), "alert_id": alert,
    }  # fmt: skip
    values = {name: str(row.pk) for name, row in rows.items() if row is not None}
    values["slug"] = Partner.objects.first().slug
    values["number"] = "1"
    return values


SUBMISSION = {("POST", "/alerts/cap")}


def test_walk_every_api_route_with_the_sender_token_only_submission_answers(lane, settings):
    _demo()
    post_cap(Client(), lane["victim_token"], cap())  # an alert exists, so /alerts/{id} has something to show
    values = _any_values()
    assert len(values) >= 24
    answers = _walk(lane["victim_token"], values)
    allowed = {route: answer[0] for route, answer in answers.items() if 200 <= answer[0] < 300}
    assert set(allowed) <= SUBMISSION, allowed
    refused = answers[("GET", "/stories")]
    assert refused[0] == 403 and json.loads(refused[1])["errors"][0]["code"] == "machine_account"
    # The OpenAPI document stays readable (it describes, it holds no data).
    assert Client().get("/api/v1/openapi.json").status_code == 200


def test_walk_without_the_machine_guard_every_route_still_checks_its_capability(lane, monkeypatch):
    """Defence in depth: with the central guard switched off, each endpoint's own check refuses the sender."""
    from tongpin.core import api_auth

    _demo()
    post_cap(Client(), lane["victim_token"], cap())
    monkeypatch.setattr(api_auth, "MACHINE_ROLES", frozenset())
    answers = _walk(lane["victim_token"], _any_values())
    allowed = {route: answer[0] for route, answer in answers.items() if 200 <= answer[0] < 300}
    assert set(allowed) <= SUBMISSION | {("GET", "/me")}, allowed  # /me: the caller's own account, nothing more
    assert json.loads(answers[("GET", "/me")][1])["username"] == "jxqx"


def _other_partner_values(others) -> dict[str, str]:
    """Path parameters naming the other partners' objects (the liaison's own partner's are never chosen)."""
    from tongpin.analytics.models import Account, Article
    from tongpin.live.models import LiveSession, Product
    from tongpin.newsroom.models import Story
    from tongpin.partners.models import ActionItem, Agreement, Commitment, Contact, Meeting, PublicityRequest
    from tongpin.planning.models import Campaign, KeyDate, Topic
    from tongpin.publishing.models import Publication, Rendition

    theirs = {"partner__in": others}
    rows = {
        "story_id": Story.objects.filter(**theirs), "agreement_id": Agreement.objects.filter(**theirs),
        "commitment_id": Commitment.objects.filter(agreement__partner__in=others),
        "action_id": ActionItem.objects.filter(**theirs), "contact_id": Contact.objects.filter(**theirs),
        "meeting_id": Meeting.objects.filter(**theirs), "campaign_id": Campaign.objects.filter(**theirs),
        "topic_id": Topic.objects.filter(**theirs), "request_id": PublicityRequest.objects.filter(**theirs),
        "key_date_id": KeyDate.objects.filter(**theirs), "session_id": LiveSession.objects.filter(**theirs),
        "product_id": Product.objects.filter(**theirs), "account_id": Account.objects.filter(**theirs),
        "article_id": Article.objects.filter(account__partner__in=others),
        "publication_id": Publication.objects.filter(**theirs),
        "rendition_id": Rendition.objects.filter(publication__partner__in=others),
        "delivery_id": Delivery.objects.filter(rendition__publication__partner__in=others),
    }  # fmt: skip
    values = {name: str(found.first().pk) for name, found in rows.items() if found.exists()}
    values["slug"] = others[0].slug
    return values


# Lists only station staff may read (a liaison reads their partner's stories, plans, requests and reports, a
# review queue of steps naming them, and an empty list of assignments).
STAFF_ONLY = [
    "/audit", "/deliveries", "/channels", "/topics", "/key-dates", "/analytics/accounts",
    "/analytics/groups", "/analytics/rankings", "/live/anchors", "/live/products", "/live/sessions", "/live/sales",
    "/alerts", "/proofread/rules.csv",
]  # fmt: skip


def test_walk_every_api_route_with_a_liaison_token_returns_nothing_of_another_partner(db):
    from tongpin.core.models import User
    from tongpin.partners.models import Partner

    _demo()
    liaison = User.objects.get(username="liaison_zone")
    mine = Partner.objects.get(liaisons__user=liaison)
    others = list(Partner.objects.exclude(pk=mine.pk).order_by("-pk"))
    assert others
    markers = set()
    for partner in others:
        markers |= {partner.name, partner.short_name, f'"{partner.slug}"'} - {""}
    token = ApiToken.issue(liaison, "t")[1]
    values = _other_partner_values([p for p in others if p.slug == "jx-yjgl"] or others)
    answers = _walk(token, values, query=f"?partner={values['slug']}")
    leaks = {}
    for route, (status, body) in answers.items():
        found = sorted(m for m in markers if m in body)
        if 200 <= status < 300 and found:
            leaks[route] = found
    assert not leaks, leaks
    for path in STAFF_ONLY:
        status = answers[("GET", path)][0]
        assert not 200 <= status < 300, (path, status)


# -- over HTTP, against a running server -------------------------------------------------------------------


class Http:
    """A tiny urllib client with cookies (for the web sign-in) and bearer tokens (for the API)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def call(self, method: str, path: str, body: bytes | None = None, token: str | None = None,
             content_type: str = "application/json", form: dict | None = None) -> tuple[int, str]:  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if form is not None:
            body, content_type = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
            headers["Referer"] = self.base + path
        if body is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:  # loopback only
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def json(self, method: str, path: str, token: str, payload=None) -> tuple[int, dict]:
        status, text = self.call(method, path, json.dumps(payload).encode() if payload is not None else None, token)
        return status, (json.loads(text) if text.strip().startswith(("{", "[")) else {})

    def cap(self, token: str, data: bytes) -> tuple[int, dict]:
        status, text = self.call("POST", "/api/v1/alerts/cap", data, token, "application/xml")
        return status, json.loads(text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _tongpin(home: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TONGPIN_DATABASE_URL"}
    env["TONGPIN_HOME"] = str(home)
    done = subprocess.run([sys.executable, "-m", "tongpin", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.fixture
def running(tmp_path):
    """`tongpin serve --demo` on a free loopback port, with its own TONGPIN_HOME (SQLite)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "TONGPIN_DATABASE_URL"}
    env["TONGPIN_HOME"] = str(tmp_path)
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "tongpin", "serve", "--demo", "--port", str(port), "--workers", "1", "--no-worker"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(process, base, log, tmp_path / "serve.log", 90)
    yield base, tmp_path
    process.terminate()
    process.wait(timeout=20)
    log.close()


def test_the_attacks_over_http_against_a_running_server(running):
    base, home = running
    web = Http(base)
    tokens = {name: _tongpin(home, "token", "create", name, "--name", "security-test") for name in ("jxqx", "admin")}
    _tongpin(home, "createuser", "rogue", "--role", "alert_sender", "--password", "rogue-pass-123")
    tokens["rogue"] = _tongpin(home, "token", "create", "rogue")
    status, bound = web.json("POST", "/api/v1/alert-senders", tokens["admin"], {"username": "rogue", "sender": ROGUE})
    assert status == 201, bound
    # The demo's sender account is bound to the provincial observatory's identity and submits as before.
    now = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))
    sent = now.replace(microsecond=0).isoformat()
    status, original = web.cap(tokens["jxqx"], cap("HTTP-001", sent=sent))
    assert status == 201 and original["state"] == "released", original
    ref = f"{VICTIM},HTTP-001,{sent}"
    later = (now + dt.timedelta(minutes=5)).replace(microsecond=0).isoformat()
    # 1. The rogue agency cannot cancel it by writing the victim's sender, nor by naming it under its own.
    status, refused = web.cap(tokens["rogue"], cap("HTTP-X", sender=VICTIM, sent=later, msg_type="Cancel",
                                                   references=ref))  # fmt: skip
    assert status == 403 and refused["errors"][0]["code"] == "sender_not_allowed"
    status, own = web.cap(tokens["rogue"], cap("HTTP-Y", sender=ROGUE, sent=later, msg_type="Cancel", references=ref))
    assert status == 201 and "foreign_reference" in [w["code"] for w in own["warnings"]]
    status, still = web.json("GET", f"/api/v1/alerts/{original['id']}", tokens["admin"])
    assert status == 200 and still["state"] == "released"
    # 2. A Restricted warning reaches no public channel and no public page.
    status, closed = web.cap(tokens["jxqx"], cap("HTTP-R", sent=later, scope="Restricted", headline="内部：泄洪调度"))
    assert status == 201 and closed["state"] == "released"
    status, detail = web.json("GET", f"/api/v1/alerts/{closed['id']}", tokens["admin"])
    assert detail["deliveries"] == [] and detail["renditions"] == []
    status, feed = web.call("GET", "/alerts/feed.atom")
    assert status == 200 and "HTTP-001" in feed and "内部" not in feed
    assert web.call("GET", f"/alerts/{closed['id']}/cap.xml")[0] == 404
    # 3. The sender account reads nothing but may submit; it cannot sign in to the web.
    for path in ("/api/v1/calendar", "/api/v1/calendar/feeds", "/api/v1/partners", "/api/v1/me", "/api/v1/alerts"):
        status, body = web.json("GET", path, tokens["jxqx"])
        assert status == 403 and body["errors"][0]["code"] == "machine_account", (path, status)
    login_page = web.call("GET", "/login/")[1]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    status, page = web.call("POST", "/login/", form={"username": "rogue", "password": "rogue-pass-123",
                                                     "csrfmiddlewaretoken": csrf})  # fmt: skip
    assert status == 200 and "不能登录" in page
    assert web.call("GET", "/alerts/")[0] == 302  # still signed out: the console sends it to the sign-in page
