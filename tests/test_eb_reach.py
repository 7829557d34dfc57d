"""What "reached" means (issue 16): sent, received and reached per delivery, from the emergency-broadcast platform's
feedback, shown on the duty console and the alert's page and returned by GET /api/v1/alerts/{id}; and the bad input
the platform lane must survive (feedback about another message, an expired station certificate)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tongpin.alerts.models import Coverage, ReleasePolicy
from tongpin.publishing import ebpackage
from tongpin.publishing.models import Channel, Delivery, DeliveryState, Reach

from .publishing_support import Sink, drain, make_channel
from .test_alerts_cap import cap
from .test_emergency_broadcast import PLATFORM_KEY, STATION_KEY, FakePlatform, _platform_channel, _receive


@pytest.fixture
def sender(sender):  # conftest's bound account, with every level released at once
    ReleasePolicy.objects.create(name="自动", sender="*", min_level="blue", action="auto")
    return sender


def _deliveries(alert) -> dict[str, Delivery]:
    return {d.channel.kind: d for d in Delivery.objects.filter(rendition__publication_id=alert.publication_id)}


def _warn_with_a_webhook(users, sender, sink: Sink) -> dict[str, Delivery]:
    """A warning received and sent out on the channels set up so far and on a webhook channel to `sink`: its
    deliveries by channel kind."""
    web = make_channel(users["admin"], "web", "webhook", slug="jx-web", url=sink.url, secret="k")
    Coverage.objects.create(channel=web, area_codes=["360000"], min_level="blue")
    alert = _receive(sender, cap())
    drain()
    return _deliveries(alert)


def test_platform_feedback_makes_a_delivery_sent_received_and_reached(users, sender, allow_loopback, client_for):
    with FakePlatform() as platform, Sink() as sink:
        _platform_channel(users, platform.url)
        web = make_channel(users["admin"], "web", "webhook", slug="jx-web", url=sink.url, secret="k")
        Coverage.objects.create(channel=web, area_codes=["360000"], min_level="blue")
        drop = make_channel(users["admin"], "tv", "file_drop", slug="jx-tv", folder="tv")
        Coverage.objects.create(channel=drop, area_codes=["360000"], min_level="blue")
        alert = _receive(sender, cap())
        drain()
    found = _deliveries(alert)
    eb = found["emergency"]
    assert eb.state == DeliveryState.SUCCESS and eb.reach == Reach.REACHED
    assert eb.sent_at <= eb.received_at <= eb.reached_at == eb.delivered_at  # 已接收 first, 播发完成 last
    assert found["web"].received_at is not None and found["web"].reach == Reach.UNKNOWN  # a 2xx: received, no more
    assert found["tv"].sent_at is not None and found["tv"].received_at is None  # a file drop: nobody confirms

    api = client_for("duty").get(f"/api/v1/alerts/{alert.pk}").json()
    by_channel = {d["channel"]: d for d in api["deliveries"]}
    assert by_channel["eb"]["reach"]["reach"] == "reached" and by_channel["eb"]["reached_at"]
    assert by_channel["eb"]["reach"]["tells_reached"] is True
    assert by_channel["jx-web"]["received_at"] and by_channel["jx-web"]["reach"]["tells_reached"] is False
    assert by_channel["jx-tv"]["sent_at"] and by_channel["jx-tv"]["received_at"] is None
    assert by_channel["jx-tv"]["reach"]["tells_received"] is False

    page = client_for("duty").get(f"/alerts/{alert.pk}/").content.decode()
    assert "已到达" in page and "不回告" in page and "无从得知" in page
    console = client_for("duty").get("/alerts/").content.decode()
    assert "到达 已到达" in console


def test_a_platform_reporting_failure_leaves_the_message_received_but_not_reached(users, sender, allow_loopback):
    with FakePlatform("fail") as platform:
        _platform_channel(users, platform.url)
        alert = _receive(sender, cap())
        drain()
    eb = _deliveries(alert)["emergency"]
    assert eb.state == DeliveryState.FAILED and eb.last_code == "eb_failed"
    assert eb.received_at is not None and eb.reach == Reach.UNREACHED and eb.reached_at is None


class OtherMessagePlatform(FakePlatform):
    """Answers with properly signed feedback — about some other message."""

    def reply_to(self, body: bytes) -> tuple[int, bytes]:
        checked = ebpackage.check(body, ebpackage.public_key_of(STATION_KEY))
        self.received.append(checked)
        feedback = (
            "<EBD><EBDID>R1</EBDID><EBDType>EBMStateResponse</EBDType><EBMStateResponse>"
            "<RptTime>2026-06-01 08:00:01</RptTime><EBMID>99999999999999999999999999999999999</EBMID>"
            "<BrdStateCode>3</BrdStateCode><BrdStateDesc>完成</BrdStateDesc></EBMStateResponse></EBD>"
        ).encode()
        return 200, ebpackage.pack("R1", feedback, {}, PLATFORM_KEY, "PLATFORM")


def test_feedback_about_an_unknown_message_never_counts(users, sender, allow_loopback):
    with OtherMessagePlatform() as platform, Sink() as sink:
        _platform_channel(users, platform.url)
        found = _warn_with_a_webhook(users, sender, sink)
    eb = found["emergency"]
    assert eb.state == DeliveryState.RETRYING and eb.last_code == "eb_feedback_unknown"
    assert eb.last_error and eb.received_at is None and eb.reach == Reach.UNKNOWN  # not taken as received
    attempt = eb.attempt_log.get()
    assert "999999" in attempt.detail  # what the platform named, for admins
    assert found["web"].state == DeliveryState.SUCCESS and len(sink.received) == 1


def test_an_expired_station_certificate_refuses_to_sign_and_other_channels_still_go(
    users, sender, allow_loopback, client_for
):
    public = ebpackage.public_key_of(STATION_KEY)
    now = timezone.now()
    valid = ebpackage.self_signed_certificate(STATION_KEY, "station", now - dt.timedelta(days=1),
                                              now + dt.timedelta(days=30))  # fmt: skip
    expired = ebpackage.self_signed_certificate(STATION_KEY, "station", now - dt.timedelta(days=400),
                                                now - dt.timedelta(days=1))  # fmt: skip
    assert ebpackage.public_key_from_certificate(valid)[0] == public
    with FakePlatform() as platform, Sink() as sink:
        channel = _platform_channel(users, platform.url)
        # Entered while valid; it runs out later (the channel's settings as stored, time having passed).
        settings = dict(channel.settings, certificate=expired.decode())
        Channel.objects.filter(pk=channel.pk).update(settings=settings)
        found = _warn_with_a_webhook(users, sender, sink)
    eb = found["emergency"]
    assert eb.state == DeliveryState.FAILED and eb.last_code == "eb_certificate_expired"
    assert "过期" in eb.last_error and platform.received == []  # nothing signed, nothing sent
    assert found["web"].state == DeliveryState.SUCCESS and len(sink.received) == 1
    console = client_for("duty").get("/alerts/").content.decode()
    assert eb.last_error in console  # the reason in words on the duty console

    # Nothing lost: with a valid certificate the same delivery goes out on retry.
    Channel.objects.filter(pk=channel.pk).update(settings=dict(settings, certificate=valid.decode()))
    from tongpin.core.audit import Actor
    from tongpin.publishing import services

    services.retry_delivery(Actor(user=users["admin"]), eb.pk)
    with FakePlatform() as platform2:
        Channel.objects.filter(pk=channel.pk).update(settings=dict(settings, certificate=valid.decode(),
                                                                   url=platform2.url))  # fmt: skip
        drain()
    eb.refresh_from_db()
    assert eb.state == DeliveryState.SUCCESS and eb.reach == Reach.REACHED
    assert platform2.received[0].valid


@pytest.mark.parametrize("which", ["expired", "mismatch"])
def test_a_channel_refuses_an_expired_or_foreign_certificate_on_entry(users, which):
    from tongpin.core.errors import DomainError

    now = timezone.now()
    key = STATION_KEY if which == "expired" else ebpackage.new_private_key()
    end = now - dt.timedelta(days=1) if which == "expired" else now + dt.timedelta(days=1)
    pem = ebpackage.self_signed_certificate(key, "station", now - dt.timedelta(days=10), end).decode()
    with pytest.raises(DomainError) as refused:
        make_channel(
            users["admin"], "emergency", "eb_platform", slug="eb-cert", url="https://eb.example.cn/ebd",
            signer_code="S", private_key=STATION_KEY, certificate=pem,
            platform_public_key=ebpackage.public_key_of(ebpackage.new_private_key()),
        )  # fmt: skip
    assert "certificate" in refused.value.errors[0].location
