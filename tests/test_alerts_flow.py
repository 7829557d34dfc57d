"""Warnings end to end: intake over HTTP, release policy, targeting, the priority lane, updates, cancellations,
expiry, escalation, signatures, spoken audio, the console."""

import datetime as dt
import json
import shutil
import wave

import pytest
from django.utils import timezone

from tongpin.alerts import release as lifecycle
from tongpin.alerts.models import Alert, AlertState, Coverage, ReleasePolicy, SenderCertificate, SenderIdentity
from tongpin.core.models import AuditEvent, Notification
from tongpin.core.roles import Role
from tongpin.publishing.models import Delivery, DeliveryAction, Priority

from .conftest import make_user, signing_certificate, xml_signed
from .publishing_support import drain, make_channel
from .test_alerts_cap import cap

KINDS = ["tv", "radio", "sms", "app", "wechat", "weibo"]


@pytest.fixture
def channels(users, sink):
    made = {}
    for kind in KINDS:
        extra = {"default_cover_media_id": "COVER"} if kind == "wechat" else {}
        channel = make_channel(users["admin"], kind, "webhook", slug=f"jx-{kind}", url=sink.url, secret="k", **extra)
        # TV and radio carry orange and red only (the station's presentation policy); the rest every level.
        Coverage.objects.create(
            channel=channel, area_codes=["360000"], min_level="orange" if kind in ("tv", "radio") else "blue"
        )
        made[kind] = channel
    return made


@pytest.fixture
def auto(db):
    return ReleasePolicy.objects.create(name="自动", sender="*", min_level="blue", action="auto")


def post(client, token, data: bytes, content_type="application/xml"):
    return client.post("/api/v1/alerts/cap", data=data, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_intake_answers_201_then_200_for_a_duplicate_and_422_413_415_401(
    client, token_for, sender, channels, auto, settings
):
    from tongpin.core.models import ApiToken

    token = ApiToken.issue(sender, "weather")[1]
    created = post(client, token, cap())
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "released" and body["level"] == "orange" and body["released_at"]
    again = post(client, token, cap())
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Alert.objects.count() == 1
    invalid = post(client, token, cap().replace(b"<scope>Public</scope>", b""))
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["code"] == "schema"
    assert post(client, token, b'{"not": "xml"}', "application/json").status_code == 415
    assert post(client, token, b"hello", "application/xml").status_code == 415
    settings.TONGPIN_CAP_MAX_BYTES = 1000
    assert post(client, token, cap() + b" " * 2000).status_code == 413
    assert post(client, "forged-token", cap()).status_code == 401
    assert post(client, token_for("reporter"), cap()).status_code == 403
    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><alert>&b;</alert>'
    assert post(client, token, bomb).json()["errors"][0]["code"] == "dtd_forbidden"
    assert client.get("/healthz").status_code == 200  # the service stays up


def test_released_alert_reaches_every_covering_channel_on_the_priority_lane(users, sender, channels, auto, sink):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    [received] = receive(Actor(user=sender), cap())
    alert = received.alert
    deliveries = Delivery.objects.filter(rendition__publication_id=alert.publication_id)
    assert sorted(d.channel.kind for d in deliveries) == sorted(KINDS)
    assert {d.priority for d in deliveries} == {Priority.HIGH}
    drain()
    payloads = {p["kind"]: p for p in sink.payloads()}
    assert set(payloads) == set(KINDS)
    assert payloads["sms"]["fields"]["text"].startswith("【暴雨橙色预警】")
    assert payloads["tv"]["fields"]["crawl"] is True and "\n" not in payloads["tv"]["fields"]["script"]
    assert payloads["app"]["fields"]["title"] == "暴雨橙色预警"
    actions = list(AuditEvent.objects.filter(object_type="alerts.alert").values_list("action", flat=True))
    assert {"alert.received", "alert.auto_release", "alert.released"} <= set(actions)


def test_blue_alerts_skip_channels_that_carry_orange_and_above(users, sender, channels, auto):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    blue = cap().replace(b"<severity>Severe</severity>", b"<severity>Minor</severity>")
    [received] = receive(Actor(user=sender), blue)
    kinds = {d.channel.kind for d in Delivery.objects.filter(rendition__publication_id=received.alert.publication_id)}
    assert kinds == {"sms", "app", "wechat", "weibo"}


def test_red_interrupts_everything(users, sender, channels, auto):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    red = cap().replace(b"<severity>Severe</severity>", b"<severity>Extreme</severity>")
    [received] = receive(Actor(user=sender), red)
    assert {d.priority for d in Delivery.objects.all()} == {Priority.URGENT}
    assert received.alert.level == "red"


def test_an_alert_elsewhere_reaches_no_channel(users, sender, channels, auto):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    [received] = receive(Actor(user=sender), cap().replace(b"360100", b"440300"))
    assert received.alert.state == AlertState.RELEASED and received.alert.publication_id is None


def test_a_polygon_coverage_meets_a_circle(users, sender, auto, sink):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    channel = make_channel(users["admin"], "app", "webhook", slug="poly", url=sink.url, secret="k")
    square = [[28.0, 115.0], [28.0, 116.5], [29.5, 116.5], [29.5, 115.0], [28.0, 115.0]]
    Coverage.objects.create(channel=channel, polygons=[square])
    data = cap("<circle>28.68,115.89 20</circle>").replace(b"360100", b"999999")
    [received] = receive(Actor(user=sender), data)
    assert Delivery.objects.filter(rendition__publication_id=received.alert.publication_id).count() == 1


def test_tests_and_exercises_reach_only_test_channels(users, sender, channels, auto, sink):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    test_channel = make_channel(users["admin"], "sms", "webhook", slug="drill", url=sink.url, secret="k")
    test_channel.for_tests = True
    test_channel.save()
    Coverage.objects.create(channel=test_channel, everywhere=True)
    [received] = receive(Actor(user=sender), cap().replace(b"<status>Actual</status>", b"<status>Exercise</status>"))
    targets = [d.channel.slug for d in Delivery.objects.filter(rendition__publication_id=received.alert.publication_id)]
    assert targets == ["drill"]


def test_confirmation_policy_waits_for_a_duty_officer_and_escalates(users, sender, channels, client_for):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    ReleasePolicy.objects.create(name="确认", sender="*", min_level="blue", action="confirm", escalate_after=60)
    [received] = receive(Actor(user=sender), cap())
    alert = received.alert
    assert alert.state == AlertState.PENDING and not Delivery.objects.exists()
    assert Notification.objects.filter(user=users["duty"], link=f"/alerts/{alert.pk}/").exists()
    assert lifecycle.escalate_overdue(now=timezone.now()) == 0
    assert lifecycle.escalate_overdue(now=timezone.now() + dt.timedelta(seconds=61)) == 1
    assert Notification.objects.filter(user=users["chief"], text__contains="未确认").exists()
    assert lifecycle.escalate_overdue(now=timezone.now() + dt.timedelta(seconds=120)) == 0  # once
    client_for("editor").post(f"/alerts/{alert.pk}/confirm/")  # not a duty officer: refused, nothing happens
    alert.refresh_from_db()
    assert alert.state == AlertState.PENDING
    response = client_for("duty").post(f"/alerts/{alert.pk}/confirm/", {"note": "核实无误"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.RELEASED and alert.decided_by == users["duty"]
    assert Delivery.objects.count() == len(KINDS)
    # The "please confirm" notices are done for everyone they went to (they stayed unread for ever).
    asked = Notification.objects.filter(link=f"/alerts/{alert.pk}/")
    assert asked.filter(user=users["chief"]).exists() and not asked.filter(read_at=None).exists()


def test_only_duty_officers_decide_and_a_rejected_alert_goes_nowhere(users, sender, channels, token_for, client):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    [received] = receive(Actor(user=sender), cap())  # no policy: confirmation by default
    alert = received.alert
    assert alert.state == AlertState.PENDING
    url = f"/api/v1/alerts/{alert.pk}/reject"
    denied = client.post(
        url, data="{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}"
    )
    assert denied.status_code == 403
    done = client.post(url, data='{"note": "误报"}', content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token_for('duty')}")  # fmt: skip
    assert done.status_code == 200 and done.json()["state"] == "rejected"
    assert not Delivery.objects.exists()


def test_update_replaces_and_cancel_withdraws_everywhere(users, sender, channels, auto, sink):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    actor = Actor(user=sender)
    [first] = receive(actor, cap())
    drain()
    ref = "<references>jxqx@cma.gov.cn,JX-2026-001,2026-06-01T08:00:00+08:00</references>"
    update = cap(msg_type="Update", extra_head=ref).replace(b"JX-2026-001</identifier>", b"JX-2026-002</identifier>")
    update = update.replace(b"<sent>2026-06-01T08:00:00", b"<sent>2026-06-01T09:00:00")
    [second] = receive(actor, update)
    first.alert.refresh_from_db()
    assert first.alert.state == AlertState.SUPERSEDED and second.alert.previous_id == first.alert.pk
    drain()
    assert Delivery.objects.filter(action=DeliveryAction.WITHDRAW).count() == len(KINDS)
    ref2 = "<references>jxqx@cma.gov.cn,JX-2026-002,2026-06-01T09:00:00+08:00</references>"
    cancel = cap(msg_type="Cancel", extra_head=ref2, info="").replace(
        b"JX-2026-001</identifier>", b"JX-2026-003</identifier>"
    )
    cancel = cancel.replace(b"<sent>2026-06-01T08:00:00", b"<sent>2026-06-01T10:00:00")
    [third] = receive(actor, cancel)
    second.alert.refresh_from_db()
    assert second.alert.state == AlertState.CANCELLED and third.alert.state == AlertState.RELEASED
    drain()
    texts = [p["fields"].get("text", "") for p in sink.payloads() if p["kind"] == "sms"]
    assert any(t.startswith("【预警解除】") for t in texts)  # the 解除 message went out on SMS
    chain = [
        a["msg_type"] for a in __import__("tongpin.alerts.queries", fromlist=["x"]).alert_out(third.alert)["chain"]
    ]
    assert chain == ["Alert", "Update", "Cancel"]
    # An Update for the cancelled alert is refused with a reason; nothing is stored.
    late = update.replace(b"JX-2026-002</identifier>", b"JX-2026-004</identifier>").replace(
        b"JX-2026-001,", b"JX-2026-002,"
    )
    late = late.replace(b"2026-06-01T08:00:00+08:00</references>", b"2026-06-01T09:00:00+08:00</references>")
    late = late.replace(b"<sent>2026-06-01T09:00:00", b"<sent>2026-06-01T11:00:00")
    before = Alert.objects.count()
    from tongpin.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as error:
        receive(actor, late)
    assert error.value.errors[0].code == "references_cancelled" and Alert.objects.count() == before


def test_expired_alerts_come_down_by_themselves(users, sender, channels, auto):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    expiring = cap().replace(b"<headline>", b"<expires>2026-06-01T12:00:00+08:00</expires><headline>")
    [received] = receive(Actor(user=sender), expiring)
    drain()
    assert lifecycle.expire_due(now=dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.UTC)) == 0
    assert lifecycle.expire_due(now=dt.datetime(2026, 6, 1, 5, 0, tzinfo=dt.UTC)) == 1
    received.alert.refresh_from_db()
    assert received.alert.state == AlertState.EXPIRED
    assert Delivery.objects.filter(action=DeliveryAction.WITHDRAW).count() == len(KINDS)


def test_unknown_references_are_a_warning_not_an_error(users, sender, channels, auto):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    ref = "<references>x@y,NEVER-SEEN,2026-05-01T08:00:00+08:00</references>"
    [received] = receive(Actor(user=sender), cap(msg_type="Update", extra_head=ref))
    assert "unknown_reference" in [w["code"] for w in received.alert.validation["warnings"]]


def test_xml_signatures_are_checked_against_registered_certificates(users, sender, channels, auto):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    pem_key, pem_cert = signing_certificate()
    signed = xml_signed(cap(), pem_key, pem_cert)
    [untrusted] = receive(Actor(user=sender), signed)
    assert untrusted.alert.signature == "untrusted"
    Alert.objects.all().delete()
    SenderCertificate.objects.create(sender="jxqx@cma.gov.cn", pem=pem_cert.decode())
    [valid] = receive(Actor(user=sender), signed)
    assert valid.alert.signature == "valid"
    Alert.objects.all().delete()
    tampered = signed.replace("50毫米".encode(), "5毫米".encode())
    assert tampered != signed
    [bad] = receive(Actor(user=sender), tampered)
    assert bad.alert.signature == "invalid"


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed")
def test_radio_gets_mandarin_speech_of_the_right_length(users, sender, channels, auto, settings, tmp_path):
    from tongpin.alerts import tts
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    [received] = receive(Actor(user=sender), cap().replace(b"Severe", b"Extreme"))
    radio = Delivery.objects.get(
        channel__kind="radio", rendition__publication_id=received.alert.publication_id
    ).rendition
    path = settings.MEDIA_ROOT / "alerts" / "audio" / radio.fields["audio"]
    with wave.open(str(path)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
    characters = len(radio.fields["script"])
    assert 0.12 * characters < seconds < 0.6 * characters  # speech, not silence and not letters spelled out
    phonemes = tts.EspeakEngine().phonemes("暴雨红色预警，降雨量50mm")
    assert "(en)" not in phonemes and "X'ong35" in phonemes  # 红 hóng in Mandarin tones, no English spelling
    assert "m'i214" in phonemes  # mm was read as 毫米 (háomǐ)


def test_console_detail_composer_and_feed(users, sender, channels, auto, client_for, client):
    duty = client_for("duty")
    page = duty.get("/alerts/new/")
    assert page.status_code == 200
    response = duty.post("/alerts/new/", {"event": "暴雨", "level": "red", "headline": "测试暴雨红色预警",
                                          "description": "全省出现强降雨。", "area_codes": "360000",
                                          "msg_type": "Alert", "status": "Actual", "expires_hours": "6"})  # fmt: skip
    assert response.status_code == 302
    alert = Alert.objects.get()
    assert alert.level == "red" and alert.state == AlertState.RELEASED and alert.sender == "tongpin@localhost"
    detail = duty.get(f"/alerts/{alert.pk}/").content.decode()
    assert "测试暴雨红色预警" in detail and "CAP XML" in detail
    live = duty.get("/alerts/", HTTP_HX_REQUEST="true").content.decode()
    assert "测试暴雨红色预警" in live and "<html" not in live
    assert client_for("reporter").get("/alerts/").status_code == 403
    feed = client.get("/alerts/feed.atom")
    assert feed.status_code == 200 and "测试暴雨红色预警" in feed.content.decode()
    cap_xml = client.get(f"/alerts/{alert.pk}/cap.xml")
    assert cap_xml["Content-Type"].startswith("application/cap+xml") and b"<headline>" in cap_xml.content
    api = client_for("duty").get(f"/api/v1/alerts/{alert.pk}").json()
    assert api["released_at"] and {d["kind"] for d in api["deliveries"]} == set(KINDS)
    assert all("delivered_at" in d for d in api["deliveries"])
    assert json.dumps(api)  # serialisable


def test_composer_refuses_an_update_without_the_original(users, client_for):
    response = client_for("duty").post("/alerts/new/", {"event": "暴雨", "level": "red", "headline": "x",
                                                         "description": "y", "msg_type": "Update"})  # fmt: skip
    assert response.status_code == 200 and "需要选择原预警" in response.content.decode()


def test_composer_refuses_area_codes_that_are_not_gb_t_2260(users, client_for):
    """A user trial typed 99x in the composer and the warning went out with it; the china profile refuses it."""
    form = {"event": "暴雨", "level": "orange", "headline": "暴雨橙色预警", "description": "y", "msg_type": "Alert",
            "area_desc": "南昌市", "expires_hours": "6"}  # fmt: skip
    for code, words in (("99x", "不是 6、9 或 12 位的 GB/T 2260 区划代码"), ("990100", "没有代码为 99 的省份")):
        response = client_for("duty").post("/alerts/new/", {**form, "area_codes": f"360100, {code}"})
        page = response.content.decode()
        assert response.status_code == 200 and words in page and "暴雨橙色预警" in page  # refused, typed text kept
    assert not Alert.objects.exists()


def test_a_sender_cannot_cancel_another_senders_warning(users, sender, channels, auto):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    [original] = receive(Actor(user=sender), cap())
    rogue = make_user("rogue", Role.ALERT_SENDER)
    SenderIdentity.objects.create(user=rogue, sender="rogue@x")  # another agency, legitimately bound to its own
    ref = "<references>jxqx@cma.gov.cn,JX-2026-001,2026-06-01T08:00:00+08:00</references>"
    cancel = cap(msg_type="Cancel", extra_head=ref, info="").replace(b"<sender>jxqx@cma.gov.cn", b"<sender>rogue@x")
    receive(Actor(user=rogue), cancel)
    original.alert.refresh_from_db()
    assert original.alert.state == AlertState.RELEASED  # untouched
    # A duty officer may act on any sender's warning (the composer's messages carry the station as sender).
    duty_cancel = cancel.replace(b"<sender>rogue@x", b"<sender>tongpin@localhost")
    receive(Actor(user=users["duty"]), duty_cancel)
    original.alert.refresh_from_db()
    assert original.alert.state == AlertState.CANCELLED


def test_ids_past_64_bits_are_not_found_not_errors(users, client_for, client):
    huge = 2**70
    duty = client_for("duty")
    assert client.get(f"/alerts/{huge}/cap.xml").status_code == 404
    assert duty.get(f"/alerts/{huge}/").status_code == 404
    assert client_for("desk").get(f"/issues/{huge}/").status_code == 404
    assert client_for("desk").post(f"/renditions/{huge}/edit/").status_code == 404
    response = duty.post("/alerts/new/", {"event": "暴雨", "level": "red", "headline": "x", "description": "y",
                                          "msg_type": "Update", "reference": str(huge)})  # fmt: skip
    assert response.status_code == 200 and "需要选择原预警" in response.content.decode()


def test_a_repeat_of_a_stored_but_undecided_alert_is_decided(users, sender, channels, auto):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    [first] = receive(Actor(user=sender), cap())
    Alert.objects.filter(pk=first.alert.pk).update(state=AlertState.RECEIVED, publication=None)  # as if it crashed
    Delivery.objects.all().delete()
    [again] = receive(Actor(user=sender), cap())
    assert not again.created and again.alert.state == AlertState.RELEASED
    assert Delivery.objects.count() == len(KINDS)


def test_the_same_alert_stored_by_another_request_meanwhile_is_answered_not_stored_twice(
    users, sender, channels, auto, monkeypatch
):
    """Two requests carrying one message at once: the one that stores second answers the stored alert (the
    intake undoes its document and stages it again, rather than a savepoint around every insert)."""
    from tongpin.alerts import intake
    from tongpin.core.audit import Actor

    real, raced = intake._stage, []

    def racing(actor, report):
        stage = real(actor, report)
        if not raced:  # the other request commits between this one's staging and its insert
            raced.append(Alert.objects.create(sender=stage.alert.sender, identifier=stage.alert.identifier,
                                              sent=stage.alert.sent, state=AlertState.RELEASED))  # fmt: skip
        return stage

    monkeypatch.setattr(intake, "_stage", racing)
    [result] = intake.receive(Actor(user=sender), cap())
    assert not result.created and result.alert.pk == raced[0].pk
    assert Alert.objects.count() == 1 and Delivery.objects.count() == 0
    assert not AuditEvent.objects.filter(action="alert.received").exists()  # the undone attempt left nothing


def test_an_alert_repeated_inside_one_wrapper_is_stored_once(users, sender, channels, auto):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    one = cap().split(b"?>", 1)[-1].strip()
    first, second = receive(Actor(user=sender), b"<alerts>" + one + one + b"</alerts>")
    assert first.created and not second.created and second.alert.pk == first.alert.pk
    assert Alert.objects.count() == 1 and Delivery.objects.count() == len(KINDS)


def test_a_new_alert_and_the_repeat_of_an_undecided_one_wait_alike(users, sender, channels):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    ReleasePolicy.objects.create(name="人工确认", sender="*", min_level="blue", action="confirm", escalate_after=120)
    [first] = receive(Actor(user=sender), cap())
    assert first.created and first.alert.state == AlertState.PENDING and first.alert.escalate_after == 120
    waiting = AuditEvent.objects.get(action="alert.awaiting_confirmation", object_id=str(first.alert.pk))
    assert waiting.changes == {"state": ["received", "pending"], "policy": "人工确认"}
    Alert.objects.filter(pk=first.alert.pk).update(state=AlertState.RECEIVED, escalate_after=0)  # as if it crashed
    [again] = receive(Actor(user=sender), cap())
    assert not again.created and again.alert.state == AlertState.PENDING and again.alert.escalate_after == 120
    entries = AuditEvent.objects.filter(action="alert.awaiting_confirmation", object_id=str(first.alert.pk))
    assert [e.changes for e in entries.order_by("id")] == [waiting.changes, waiting.changes]


def _numbered(number: int, msg_type: str = "Alert", refers_to: int | None = None) -> bytes:
    """The fixture's CAP message as JX-2026-1NN sent at 08:NN, an update of JX-2026-1MM when `refers_to`."""
    ref = (
        f"<references>jxqx@cma.gov.cn,JX-2026-{100 + refers_to},2026-06-01T08:{refers_to:02d}:00+08:00</references>"
        if refers_to is not None
        else ""
    )
    data = cap(msg_type=msg_type, extra_head=ref)
    data = data.replace(b"JX-2026-001</identifier>", f"JX-2026-{100 + number}</identifier>".encode())
    return data.replace(b"<sent>2026-06-01T08:00:00", f"<sent>2026-06-01T08:{number:02d}:00".encode())


def test_the_intakes_answer_is_the_alert_as_get_shows_it_and_lists_read_in_fixed_queries(
    client, sender, channels, auto, users, token_for, django_assert_max_num_queries
):
    """The 201 answer is read the short way (rows just written); it must say what GET says, chain included —
    an update's chain holds the earlier update of the same original too. The list reads all its alerts'
    chains, deliveries and pages in a fixed number of queries, not a few per alert."""
    from tongpin.core.models import ApiToken

    token = ApiToken.issue(sender, "weather")[1]
    viewer = token_for("admin")
    answers = []
    for message in (_numbered(1), _numbered(2, "Update", refers_to=1), _numbered(3, "Update", refers_to=1)):
        answer = post(client, token, message)  # the last: the original's second follower
        assert answer.status_code == 201, answer.content
        shown = client.get(f"/api/v1/alerts/{answer.json()['id']}", HTTP_AUTHORIZATION=f"Bearer {viewer}").json()
        assert answer.json() == shown
        answers.append(answer)
    assert [a["id"] for a in answers[2].json()["chain"]] == [a.json()["id"] for a in answers]
    assert len(answers[0].json()["deliveries"]) == len(KINDS) == len(answers[0].json()["renditions"])
    for number in range(4, 12):
        post(client, token, _numbered(number))
    with django_assert_max_num_queries(14):  # auth, count and rows, the chains' steps, deliveries, renditions, pages
        listed = client.get("/api/v1/alerts?limit=50", HTTP_AUTHORIZATION=f"Bearer {viewer}")
    assert listed.status_code == 200 and listed.json()["count"] == 11
    first = next(a for a in listed.json()["results"] if a["id"] == answers[0].json()["id"])
    assert [a["id"] for a in first["chain"]] == [a.json()["id"] for a in answers]
