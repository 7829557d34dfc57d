"""Outbound destinations (issue 20, item 8): admin-set channel addresses must not reach internal services, the
address judged is the address connected to, and editors see a status, not the far end's text.

Nothing here connects anywhere but 127.0.0.0/8: names are answered by a fake resolver, and a private or
link-local answer must be refused before any socket is opened (`no_connect` fails the test if one is)."""

import datetime as dt
import socket

import pytest
from aiosmtpd.controller import Controller

from tongpin.core import outbound
from tongpin.core.errors import UpstreamFailed
from tongpin.newsroom.publish import publish_story
from tongpin.publishing.models import Delivery, DeliveryAttempt, DeliveryState
from tongpin.publishing.plugins import PermanentError
from tongpin.publishing.secrets import reveal
from tongpin.publishing.transmitters import http

from .conftest import actor, free_port
from .publishing_support import Sink, approved_story, drain, make_channel

INTERNAL = ["127.0.0.1", "169.254.169.254", "10.0.0.5", "192.168.1.1", "100.64.0.1", "0.0.0.0", "::1",  # noqa: S104
            "fe80::1", "::ffff:127.0.0.1", "fd00::1"]  # fmt: skip


class FakeResolver:
    """Answers names from a table, counting the questions; an answer may be a list used in turn."""

    def __init__(self, table: dict[str, list[str] | str]):
        self.table = table
        self.asked: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        self.asked.append(host)
        answer = self.table.get(host)
        if answer is None:
            try:  # an address literal answers for itself, as getaddrinfo does, without DNS
                socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
            except OSError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            answer = host
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        family = socket.AF_INET6 if ":" in answer else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (answer, port))]


@pytest.fixture
def resolver(monkeypatch):
    def install(table):
        fake = FakeResolver(table)
        monkeypatch.setattr(outbound, "resolver", fake)
        return fake

    return install


@pytest.fixture
def no_connect(monkeypatch):
    """Fail on any attempt to open a connection (the refusal must come first)."""
    opened = []

    def refuse(address, *args, **kwargs):
        opened.append(address)
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return opened


@pytest.fixture(autouse=True)
def _fresh_connections():
    http._connections().clear()  # keep-alive connections from other tests must not stand in for a new one
    yield
    http._connections().clear()


def test_private_and_link_local_answers_are_refused_before_connecting(resolver, no_connect, settings):
    settings.TONGPIN_OUTBOUND_ALLOW = []
    resolver({f"host{i}.example": address for i, address in enumerate(INTERNAL)})
    for i, address in enumerate(INTERNAL):
        with pytest.raises(PermanentError) as refused:
            http.request("POST", f"http://host{i}.example:5432/latest/meta-data", body=b"{}")
        assert refused.value.code == "destination_refused", address
    # an address typed straight in is judged the same way
    for literal in ("http://127.0.0.1:5432/", "http://169.254.169.254/latest/meta-data", "http://[::1]:6379/"):
        with pytest.raises(PermanentError) as refused:
            http.request("GET", literal)
        assert refused.value.code == "destination_refused"
    assert no_connect == []


def test_a_name_with_one_internal_address_among_public_ones_is_refused(monkeypatch, no_connect):
    def two_answers(host, port, *args):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]  # fmt: skip

    monkeypatch.setattr(outbound, "resolver", two_answers)
    with pytest.raises(outbound.DestinationRefused) as refused:
        outbound.resolve("mixed.example", 443)
    assert refused.value.address == "10.1.2.3" and no_connect == []


def test_public_addresses_pass_and_the_allow_list_opens_only_its_networks(settings):
    settings.TONGPIN_OUTBOUND_ALLOW = []
    assert outbound.permitted("93.184.216.34") and outbound.permitted("2400:3200::1")
    assert not outbound.permitted("10.20.1.1") and not outbound.permitted("224.0.0.1")
    settings.TONGPIN_OUTBOUND_ALLOW = ["10.20.0.0/16"]
    assert outbound.permitted("10.20.1.1")
    assert not outbound.permitted("10.21.1.1") and not outbound.permitted("127.0.0.1")


def test_a_webhook_to_an_internal_address_fails_and_nothing_is_sent(users, resolver, settings):
    settings.TONGPIN_OUTBOUND_ALLOW = []
    with Sink() as sink:  # a real receiver on loopback: it must receive nothing
        port = sink.server.server_address[1]
        resolver({"hooks.partner.example": "127.0.0.1"})
        channel = make_channel(users["admin"], "app", "webhook", url=f"http://hooks.partner.example:{port}/hook",
                               secret="k")  # fmt: skip
        story = approved_story(users["reporter"])
        publish_story(actor(users["desk"]), story.pk, [channel.pk])
        drain()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.last_code == "destination_refused"
    assert "TONGPIN_OUTBOUND_ALLOW" in delivery.last_error
    assert sink.received == []


def test_the_connection_goes_to_the_judged_address_not_to_a_second_lookup(users, resolver, allow_loopback):
    with Sink() as sink:
        port = sink.server.server_address[1]
        # the second answer would point at a private address outside the allow-list (DNS rebinding)
        fake = resolver({"hooks.partner.example": ["127.0.0.1", "10.9.9.9"]})
        channel = make_channel(users["admin"], "app", "webhook", url=f"http://hooks.partner.example:{port}/hook",
                               secret="k")  # fmt: skip
        story = approved_story(users["reporter"])
        publish_story(actor(users["desk"]), story.pk, [channel.pk])
        drain()
    assert Delivery.objects.get().state == DeliveryState.SUCCESS
    assert fake.asked == ["hooks.partner.example"]  # asked once; the socket went to 127.0.0.1 by address
    assert sink.received[0]["headers"]["Host"] == f"hooks.partner.example:{port}"


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


def test_smtp_host_is_judged_and_pinned(users, resolver, settings):
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        fake = resolver({"mail.partner.example": ["127.0.0.1", "10.9.9.9"]})
        channel = make_channel(users["admin"], "web", "smtp", host="mail.partner.example", port=port,
                               from_address="news@station.example", to="desk@partner.example")  # fmt: skip
        story = approved_story(users["reporter"])
        publish_story(actor(users["desk"]), story.pk, [channel.pk])
        settings.TONGPIN_OUTBOUND_ALLOW = []
        drain()
        refused = Delivery.objects.get()
        assert refused.state == DeliveryState.FAILED and refused.last_code == "destination_refused"
        assert inbox.messages == []
        settings.TONGPIN_OUTBOUND_ALLOW = ["127.0.0.0/8"]
        fake.table["mail.partner.example"] = ["127.0.0.1", "10.9.9.9"]
        fake.asked.clear()
        publish_story(actor(users["desk"]), story.pk, [channel.pk])
        drain()
    finally:
        controller.stop()
    assert len(inbox.messages) == 1 and fake.asked == ["mail.partner.example"]


def test_wechat_api_base_and_data_sync_are_judged(users, resolver, no_connect, settings):
    from tongpin.analytics import wechat_data
    from tongpin.analytics.models import Account
    from tongpin.publishing.transmitters.wechat import WeChatClient

    settings.TONGPIN_OUTBOUND_ALLOW = []
    resolver({"wx.internal.example": "10.0.0.8"})
    client = WeChatClient("wx-app", "the-app-secret", "http://wx.internal.example:8080")
    with pytest.raises(PermanentError) as refused:
        client.access_token()
    assert refused.value.code == "destination_refused"
    account = Account(name="本台公众号", platform="wechat")
    with pytest.raises(UpstreamFailed) as failed:
        wechat_data.sync(account, dt.date(2026, 11, 1), dt.date(2026, 11, 1), client)
    assert failed.value.errors[0].code == "destination_refused" and failed.value.status == 502
    assert no_connect == []


def test_editors_see_the_status_and_admins_the_far_ends_text(users, client_for, token_for, allow_loopback):
    remote = b"<html>Traceback: db password=hunter2 at 10.0.0.5</html>"
    with Sink(answers=[400], reply=remote) as sink:
        channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
        story = approved_story(users["reporter"])
        publication = publish_story(actor(users["desk"]), story.pk, [channel.pk])
        drain()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.last_code == "http_400"
    assert "Traceback" not in delivery.last_error and "400" in delivery.last_error
    attempt = DeliveryAttempt.objects.get()
    assert "Traceback" not in attempt.message and "Traceback" in attempt.detail
    assert "hunter2" not in attempt.detail  # credentials are redacted even for admins

    def api_detail(user: str) -> str:
        answer = client_for(user).get(
            f"/api/v1/publications/{publication.pk}", HTTP_AUTHORIZATION=f"Bearer {token_for(user)}"
        ).json()
        return answer["deliveries"][0]["attempt_log"][0]["detail"] + answer["deliveries"][0]["last_error"]

    assert "Traceback" not in api_detail("editor")
    assert "Traceback" in api_detail("admin")
    page = client_for("editor").get(f"/publications/{publication.pk}/").content.decode()
    assert "Traceback" not in page
    assert "Traceback" in client_for("admin").get(f"/publications/{publication.pk}/").content.decode()


def test_credentials_in_query_strings_are_redacted():
    url = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=S3CR3T"
    assert "S3CR3T" not in outbound.redact(url) and "appid=wx1" in outbound.redact(url)
    assert "TOK" not in outbound.redact("/cgi-bin/draft/add?access_token=TOK&x=1")


def test_a_wechat_url_never_reaches_the_log_or_the_attempt_notes(users, caplog, resolver, no_connect, settings):
    """The AppSecret and the access token travel in WeChat's query strings: a failure must not write them."""
    settings.TONGPIN_OUTBOUND_ALLOW = []
    resolver({"wx.internal.example": "10.0.0.8"})
    channel = make_channel(users["admin"], "wechat", "wechat_api", app_id="wx-app", app_secret="the-app-secret",
                           api_base="http://wx.internal.example/?secret=the-app-secret",
                           default_cover_media_id="m1")  # fmt: skip
    story = approved_story(users["reporter"])
    publish_story(actor(users["desk"]), story.pk, [channel.pk])
    with caplog.at_level("DEBUG"):
        drain()
    written = caplog.text + " ".join(Delivery.objects.values_list("last_error", flat=True))
    written += " ".join(f"{a.message} {a.detail}" for a in DeliveryAttempt.objects.all())
    assert DeliveryAttempt.objects.exists() and "the-app-secret" not in written



# -- item 9: a stored secret does not follow a changed destination ---------------------------------------------


def _update(admin, channel, **settings):
    from tongpin.publishing import channels_admin

    data = channels_admin.ChannelInput(settings={**channel.settings, **settings})
    return channels_admin.update_channel(actor(admin), channel.pk, data)


def test_changing_a_webhook_url_needs_the_signing_key_again(users):
    from tongpin.core.errors import ValidationFailed

    channel = make_channel(users["admin"], "app", "webhook", url="https://hooks.partner.example/a", secret="old-key")
    kept = _update(users["admin"], channel, url="https://hooks.partner.example/a/", secret="")  # same place
    assert reveal(kept)["secret"] == "old-key"
    with pytest.raises(ValidationFailed) as refused:
        _update(users["admin"], channel, url="https://attacker.example/collect", secret="")
    assert refused.value.errors[0].location == "settings.secret"
    assert refused.value.errors[0].code == "secret_required"
    channel.refresh_from_db()
    assert channel.settings["url"] == "https://hooks.partner.example/a/" and reveal(channel)["secret"] == "old-key"
    moved = _update(users["admin"], channel, url="https://attacker.example/collect", secret="new-key")
    assert reveal(moved)["secret"] == "new-key"


def test_changing_the_wechat_api_base_or_smtp_host_drops_the_secret(users):
    from tongpin.core.errors import ValidationFailed

    wechat = make_channel(users["admin"], "wechat", "wechat_api", app_id="wx-app", app_secret="app-secret",
                          default_cover_media_id="m1")  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        _update(users["admin"], wechat, api_base="https://wx-proxy.example", app_secret="")
    assert refused.value.errors[0].location == "settings.app_secret"
    assert reveal(_update(users["admin"], wechat, timeout=20, app_secret=""))["app_secret"] == "app-secret"

    mail = make_channel(users["admin"], "web", "smtp", host="mail.partner.example", username="news",
                        password="mail-password", from_address="a@station.example", to="b@partner.example")  # fmt: skip
    assert reveal(_update(users["admin"], mail, port=587, password=""))["password"] == "mail-password"
    moved = _update(users["admin"], mail, host="mail.elsewhere.example", password="")
    assert "password" not in moved.settings  # not required: cleared, the admin enters it again


def test_the_channel_form_says_a_secret_must_be_entered_again(users, client_for):
    channel = make_channel(users["admin"], "app", "webhook", url="https://hooks.partner.example/a", secret="old-key")
    page = client_for("admin").get(f"/channels/{channel.pk}/").content.decode()
    assert "更改地址后须重新输入签名密钥" in page
    answer = client_for("admin").post(
        f"/channels/{channel.pk}/",
        {"name": channel.name, "s_url": "https://attacker.example/x", "s_secret": "", "s_timeout": "10",
         "is_active": "on"},
        follow=True,
    )  # fmt: skip
    assert "请重新输入" in answer.content.decode()
    channel.refresh_from_db()
    assert channel.settings["url"] == "https://hooks.partner.example/a"
