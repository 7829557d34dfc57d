"""Cell broadcast / flash SMS (小区广播/闪信) and TV pop-up (电视弹窗) channels (issue 16): their renditions within each
form's limits, handed to an operator's interface (a fake receiver on 127.0.0.1) as a signed document with the
warning's facts; set up as 绿色通道 for red warnings through coverage."""

from __future__ import annotations

import json

import pytest

from tongpin.alerts.models import Coverage, ReleasePolicy
from tongpin.publishing.channels.warnings import CellBroadcast, cell_pages
from tongpin.publishing.models import Delivery, DeliveryState
from tongpin.publishing.transmitters import webhook

from .publishing_support import Sink, drain, make_channel
from .test_alerts_cap import cap

LONG = "预计未来6小时南昌市区及新建、进贤等地降雨量将达100毫米以上，局地伴有雷电、短时大风，" * 2 + "请注意防范山洪。"


@pytest.fixture
def sender(sender):  # conftest's bound account, with every level released at once
    ReleasePolicy.objects.create(name="自动", sender="*", min_level="blue", action="auto")
    return sender


def _receive(sender, data: bytes):
    from tongpin.alerts.intake import receive
    from tongpin.core.audit import Actor

    [received] = receive(Actor(user=sender), data)
    return received.alert


def _red(identifier: str = "JX-2026-001", sent: str = "08:00:00") -> bytes:
    data = cap().replace(b"<severity>Severe<", b"<severity>Extreme<").replace("橙色".encode(), "红色".encode())
    data = data.replace("预计未来6小时降雨量将达50毫米以上。".encode(), LONG.encode())
    return data.replace(b"JX-2026-001<", f"{identifier}<".encode()).replace(b"T08:00:00+", f"T{sent}+".encode())


def _green_lane(users, url: str) -> dict:
    """Cell broadcast (flash SMS and paged) and TV pop-up, each carrying red warnings only."""
    made = {
        "flash": make_channel(users["admin"], "cell_broadcast", "warning_push", slug="jx-flash", url=url,
                              secret="op-secret", mode="flash"),
        "cbs": make_channel(users["admin"], "cell_broadcast", "warning_push", slug="jx-cbs", url=url,
                            secret="op-secret", mode="cbs", max_pages=3),
        "popup": make_channel(users["admin"], "tv_popup", "warning_push", slug="jx-popup", url=url,
                              secret="op-secret", max_chars=120, display_seconds=90),
    }  # fmt: skip
    for channel in made.values():
        Coverage.objects.create(channel=channel, area_codes=["360000"], min_level="red")
    return made


def test_a_red_warning_reaches_the_operators_with_the_fields_they_need(users, sender, allow_loopback):
    with Sink() as operator:
        _green_lane(users, operator.url)
        alert = _receive(sender, _red())
        drain()
    documents = {}
    for entry in operator.received:
        headers, body = entry["headers"], entry["body"]
        assert webhook.verify("op-secret", headers["X-Tongpin-Timestamp"], headers["X-Tongpin-Signature"], body)
        documents[json.loads(body)["channel"]] = json.loads(body)
    assert set(documents) == {"jx-flash", "jx-cbs", "jx-popup"}
    popup = documents["jx-popup"]
    assert popup["kind"] == "tv_popup" and popup["action"] == "publish" and popup["priority"] == "urgent"
    assert popup["identifier"] == "jxqx@cma.gov.cn,JX-2026-001,2026-06-01T08:00:00+08:00"
    assert (popup["event"], popup["level"], popup["level_code"], popup["severity"]) == ("暴雨", "red", 1, "Extreme")
    assert popup["area_codes"] == ["360100000000"] and popup["area_desc"] == "南昌市"
    assert popup["start"].startswith("2026-06-01T") and popup["msg_type"] == "Alert" and popup["drill"] is False
    assert popup["title"] == "暴雨红色预警" and len(popup["text"]) <= 120 and popup["display_seconds"] == 90
    # One cell-broadcast rendition serves both channels: fitted to the stricter (a flash SMS, 70 characters).
    cbs = documents["jx-cbs"]
    assert len(cbs["text"]) <= 70 and cbs["text"].startswith("【暴雨红色预警】") and cbs["pages"] == 2
    deliveries = Delivery.objects.filter(rendition__publication_id=alert.publication_id)
    assert {d.state for d in deliveries} == {DeliveryState.SUCCESS}
    assert all(d.received_at is not None for d in deliveries)  # the operator's 2xx


def test_an_orange_warning_stays_off_the_green_lane_and_a_cancel_reaches_it(users, sender, allow_loopback):
    with Sink() as operator:
        _green_lane(users, operator.url)
        orange = _receive(sender, cap().replace(b"JX-2026-001<", b"JX-2026-000<"))
        drain()
        assert orange.publication_id is None and operator.received == []  # no channel takes orange
        _receive(sender, _red())
        drain()
        ref = "<references>jxqx@cma.gov.cn,JX-2026-001,2026-06-01T08:00:00+08:00</references>"
        cancel = cap(msg_type="Cancel", extra_head=ref, info="").replace(b"JX-2026-001<", b"JX-2026-009<")
        _receive(sender, cancel.replace(b"<sent>2026-06-01T08:00:00", b"<sent>2026-06-01T10:00:00"))
        drain()
    documents = [json.loads(e["body"]) for e in operator.received]
    withdrawn = [d for d in documents if d["action"] == "withdraw"]
    cancels = [d for d in documents if d["msg_type"] == "Cancel"]
    assert {d["channel"] for d in withdrawn} == {"jx-flash", "jx-cbs", "jx-popup"}
    assert {d["channel"] for d in cancels} == {"jx-flash", "jx-cbs", "jx-popup"}
    assert all(d["references"] == ["jxqx@cma.gov.cn,JX-2026-001,2026-06-01T08:00:00+08:00"] for d in cancels)
    assert all(d["level"] == "red" and d["text"].startswith("【预警解除】") for d in cancels)


def test_cell_broadcast_pages_and_limits():
    assert cell_pages("测" * 41) == 1 and cell_pages("测" * 42) == 2 and cell_pages("a" * 93) == 1
    formatter = CellBroadcast()
    assert [f.code for f in formatter.check({"text": "测" * 124}, {"mode": "cbs", "max_pages": 3})] == [
        "too_many_pages"
    ]
    assert formatter.check({"text": "测" * 123}, {"mode": "cbs", "max_pages": 3}) == []
    assert [f.code for f in formatter.check({"text": "测" * 71}, {"mode": "flash"})] == ["too_long"]


@pytest.mark.parametrize(("kind", "words"), [("cell_broadcast", "最多页数"), ("tv_popup", "显示时长")])
def test_the_channel_form_works_for_the_operator_kinds(client_for, users, kind, words):
    page = client_for("admin").get(f"/channels/new/?kind={kind}&transmitter=warning_push").content.decode()
    assert words in page and "签名密钥" in page and "接口地址" in page
    if kind == "cell_broadcast":
        assert "闪信（70 个汉字）" in page
