"""The HTTP SMS gateway transmitter and its delivery reports (issue 16): a warning texted through a local fake
gateway, reports signed with the channel's secret updating reach per recipient; bad signatures, unknown channels,
unknown message ids and statuses refused with codes, logged, nothing changed."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from tongpin.alerts.models import Coverage, ReleasePolicy
from tongpin.publishing.models import Delivery, DeliveryRecipient, DeliveryState, Reach, RecipientState
from tongpin.publishing.transmitters import webhook

from .publishing_support import LocalServer, Sink, drain, make_channel
from .test_alerts_cap import cap

NUMBERS = ["13800000001", "13800000002", "13800000003"]
REPORT_SECRET = "report-secret-1"  # noqa: S105 (a test value)


class FakeGateway(LocalServer):
    """An SMS gateway on 127.0.0.1: answers each batch with a message id per recipient ("ok"), one batch id
    ("batch"), junk ("garbage") or 503 ("down")."""

    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.requests: list[tuple[dict, dict]] = []  # (headers, JSON body)
        super().__init__("/sms/send")

    def answer(self, data: bytes, headers, path: str) -> tuple[int, bytes]:
        body = json.loads(data)
        self.requests.append((dict(headers), body))
        if self.mode == "down":
            return 503, b'{"error": "maintenance"}'
        if self.mode == "garbage":
            return 200, b"<html>ok</html>"
        if self.mode == "batch":
            return 200, json.dumps({"batch_id": f"B-{body['id'][:8]}"}).encode()
        messages = [{"recipient": n, "message_id": f"M-{body['id'][:8]}-{i}"} for i, n in enumerate(body["recipients"])]
        return 200, json.dumps({"batch_id": f"B-{body['id'][:8]}", "messages": messages}).encode()


@pytest.fixture
def sender(sender):  # conftest's bound account, with every level released at once
    ReleasePolicy.objects.create(name="自动", sender="*", min_level="blue", action="auto")
    return sender


def _sms_channel(users, url: str, **more):
    settings = dict(url=url, api_key="gw-key-1", recipients="\n".join(NUMBERS), report_secret=REPORT_SECRET,
                    signature="江西台")  # fmt: skip
    settings.update(more)
    channel = make_channel(users["admin"], "sms", "sms_gateway", slug="jx-sms", **settings)
    Coverage.objects.create(channel=channel, area_codes=["360000"], min_level="blue")
    return channel


def _receive(sender, data: bytes):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    [received] = receive(Actor(user=sender), data)
    return received.alert


def _report(reports: list[dict], secret: str = REPORT_SECRET, slug: str = "jx-sms", timestamp: str | None = None):
    body = json.dumps({"reports": reports}).encode()
    stamp = timestamp or str(int(time.time()))
    return Client().post(
        f"/api/v1/sms/reports/{slug}", data=body, content_type="application/json",
        HTTP_X_TONGPIN_TIMESTAMP=stamp, HTTP_X_TONGPIN_SIGNATURE=webhook.sign(secret, stamp, body),
    )  # fmt: skip


def _sent(users, sender, mode: str = "ok", **more) -> tuple[Delivery, FakeGateway]:
    with FakeGateway(mode) as gateway:
        _sms_channel(users, gateway.url, **more)
        alert = _receive(sender, cap())
        drain()
    return Delivery.objects.get(rendition__publication_id=alert.publication_id), gateway


def test_a_warning_goes_through_the_gateway_and_waits_for_reports(users, sender, allow_loopback):
    delivery, gateway = _sent(users, sender)
    [(headers, body)] = gateway.requests
    assert headers["Authorization"] == "Bearer gw-key-1"
    assert headers["Idempotency-Key"] == delivery.idempotency_key == body["id"]
    assert body["recipients"] == NUMBERS and body["text"].startswith("【江西台】")
    assert body["priority"] == "high" and body["report_url"].endswith("/api/v1/sms/reports/jx-sms")
    assert delivery.state == DeliveryState.SUCCESS and delivery.last_code == "sms_accepted"
    assert delivery.received_at is not None and delivery.reach == Reach.WAITING and delivery.reach_total == 3
    rows = list(DeliveryRecipient.objects.filter(delivery=delivery).values_list("recipient", "remote_id", "state"))
    assert [(r, s) for r, _m, s in rows] == [(n, RecipientState.WAITING) for n in NUMBERS]
    assert len({m for _r, m, _s in rows}) == 3


def test_reports_update_reach_per_recipient(users, sender, allow_loopback, client_for):
    delivery, _gateway = _sent(users, sender)
    ids = dict(DeliveryRecipient.objects.filter(delivery=delivery).values_list("recipient", "remote_id"))
    answer = _report([
        {"message_id": ids[NUMBERS[0]], "status": "delivered", "at": "2026-06-01T08:00:05+08:00"},
        {"message_id": ids[NUMBERS[1]], "status": "DELIVRD"},
    ])  # fmt: skip
    assert answer.status_code == 200 and answer.json() == {"accepted": 2}
    delivery.refresh_from_db()
    assert (delivery.reach, delivery.reach_ok, delivery.reach_failed) == (Reach.WAITING, 2, 0)
    assert delivery.reached_at is None  # one report is still missing
    assert _report([{"message_id": ids[NUMBERS[2]], "status": "UNDELIV", "code": "MK:0001"}]).status_code == 200
    delivery.refresh_from_db()
    assert (delivery.reach, delivery.reach_total, delivery.reach_ok, delivery.reach_failed) == (Reach.PARTIAL, 3, 2, 1)
    assert delivery.reached_at is not None
    failed = DeliveryRecipient.objects.get(delivery=delivery, recipient=NUMBERS[2])
    assert failed.state == RecipientState.FAILED and failed.code == "MK:0001" and failed.masked == "138****0003"
    # A repeat, then a late delivered report for the failed one: the last word counts.
    assert _report([{"message_id": ids[NUMBERS[2]], "status": "delivered"}]).status_code == 200
    delivery.refresh_from_db()
    assert (delivery.reach, delivery.reach_ok, delivery.reach_failed) == (Reach.REACHED, 3, 0)

    api = client_for("duty").get(f"/api/v1/alerts/{delivery.rendition.publication.source_id}").json()
    [shown] = api["deliveries"]
    assert shown["reach"]["recipients"] == {"total": 3, "reached": 3, "failed": 0} and shown["reached_at"]
    console = client_for("duty").get("/alerts/").content.decode()
    assert "已到达 3/3" in console
    assert NUMBERS[0] not in console  # numbers are personal data: never on the console
    publication = delivery.rendition.publication_id
    page = client_for("admin").get(f"/publications/{publication}/").content.decode()
    assert "接收方 3 个" in page and "138****0003 · 已到达" in page and NUMBERS[2] not in page
    shown = client_for("admin").get(f"/api/v1/publications/{publication}").json()["deliveries"][0]["reach"]
    assert shown["reach"] == "reached" and shown["recipients"]["reached"] == 3


def test_a_batch_id_with_the_recipient_identifies_each_report(users, sender, allow_loopback):
    delivery, _gateway = _sent(users, sender, mode="batch")
    batch = delivery.remote_ref
    assert set(DeliveryRecipient.objects.filter(delivery=delivery).values_list("remote_id", flat=True)) == {batch}
    refused = _report([{"message_id": batch, "status": "delivered"}])  # which of the three?
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "unknown_message"
    reports = [{"message_id": batch, "recipient": n, "status": "delivered"} for n in NUMBERS]
    assert _report(reports).status_code == 200
    delivery.refresh_from_db()
    assert delivery.reach == Reach.REACHED


def test_bad_reports_are_refused_with_codes_logged_and_change_nothing(users, sender, allow_loopback, caplog):
    delivery, _gateway = _sent(users, sender)
    known = DeliveryRecipient.objects.filter(delivery=delivery).first().remote_id
    good = [{"message_id": known, "status": "delivered"}]
    cases = [
        (_report(good, secret="wrong"), 401, "bad_signature"),
        (_report(good, timestamp=str(int(time.time()) - 3600)), 401, "bad_signature"),  # a replay
        (_report(good, slug="nope"), 404, "unknown_channel"),
        (_report([*good, {"message_id": "M-forged", "status": "delivered"}]), 422, "unknown_message"),
        (_report([{"message_id": known, "status": "maybe"}]), 422, "unknown_status"),
    ]
    unsigned = Client().post("/api/v1/sms/reports/jx-sms", data=json.dumps({"reports": good}),
                             content_type="application/json")  # fmt: skip
    cases.append((unsigned, 401, "bad_signature"))
    for answer, status, code in cases:
        assert answer.status_code == status and answer.json()["errors"][0]["code"] == code, answer.content
    assert not DeliveryRecipient.objects.exclude(state=RecipientState.WAITING).exists()
    delivery.refresh_from_db()
    assert delivery.reach == Reach.WAITING and delivery.reach_ok == 0
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "bad or missing signature" in logged and "M-forged" in logged and "no SMS gateway channel" in logged


def test_a_gateway_that_is_down_is_retried_and_other_channels_still_go(users, sender, allow_loopback):
    with FakeGateway("down") as gateway, Sink() as sink:
        _sms_channel(users, gateway.url)
        web = make_channel(users["admin"], "web", "webhook", slug="jx-web", url=sink.url, secret="k")
        Coverage.objects.create(channel=web, area_codes=["360000"], min_level="blue")
        alert = _receive(sender, cap())
        drain()
    found = {d.channel.kind: d for d in Delivery.objects.filter(rendition__publication_id=alert.publication_id)}
    assert found["sms"].state == DeliveryState.RETRYING and found["sms"].last_code == "http_503"
    assert found["sms"].sent_at is None and found["sms"].reach == Reach.UNKNOWN
    assert found["web"].state == DeliveryState.SUCCESS and len(sink.received) == 1


def test_an_answer_without_ids_is_sent_untracked_never_sent_twice(users, sender, allow_loopback):
    delivery, gateway = _sent(users, sender, mode="garbage", auth="x-api-key")
    assert gateway.requests[0][0]["X-API-Key"] == "gw-key-1" and "Authorization" not in gateway.requests[0][0]
    assert delivery.state == DeliveryState.SUCCESS and delivery.last_code == "sms_untracked"
    assert delivery.reach == Reach.UNKNOWN and not DeliveryRecipient.objects.filter(delivery=delivery).exists()


def test_the_channel_form_takes_the_gateway_settings(users, client_for):
    page = client_for("admin").get("/channels/new/?kind=sms&transmitter=sms_gateway").content.decode()
    assert "网关密钥" in page and "<textarea" in page and "状态报告签名密钥" in page
    assert "Authorization 头（Bearer）" in page
    from tongpin.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        make_channel(users["admin"], "sms", "sms_gateway", slug="bad-sms", url="https://sms.example.cn/send",
                     api_key="k", recipients="13800000001, 12ab")  # fmt: skip
    assert refused.value.errors[0].location == "settings.recipients"
