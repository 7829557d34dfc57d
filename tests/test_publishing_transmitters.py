"""Transmitters against local destinations: a folder, an SMTP server, a fake of the WeChat API."""

import io
import json
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tongpin.core.errors import ValidationFailed
from tongpin.newsroom.assets import attach_asset
from tongpin.newsroom.models import Story, StoryStatus
from tongpin.newsroom.publish import publish_story
from tongpin.publishing import channels_admin
from tongpin.publishing.models import Delivery, DeliveryAction, DeliveryState
from tongpin.publishing.secrets import reveal
from tongpin.publishing.transmitters import wechat as wechat_module

from .conftest import actor, codes, free_port, new_story
from .publishing_support import approved_story, drain, make_channel
from .wechat_fake import FakeWeChat


@pytest.fixture
def outbox(settings, tmp_path):
    settings.TONGPIN_OUTBOX = tmp_path / "outbox"
    return settings.TONGPIN_OUTBOX


def test_file_drop_writes_one_whole_file_per_key(users, outbox):
    channel = make_channel(users["admin"], "web", "file_drop", folder="website")
    story = approved_story(users["reporter"], title="高新区企业座谈会召开", body_html="<p>正文一。</p>")
    publish_story(actor(users["desk"]), story.pk, [channel.pk])
    drain()
    delivery = Delivery.objects.get()
    files = sorted((outbox / "website").iterdir())
    assert [f.name for f in files] == [f"{delivery.idempotency_key}.json"]  # no temporary files left
    data = json.loads(files[0].read_text(encoding="utf-8"))
    assert data["fields"]["title"] == "高新区企业座谈会召开" and data["action"] == "publish"
    # A repeated send (after a crash) rewrites the same file instead of adding one.
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.RETRYING, due_at=timezone.now())
    drain()
    assert len(list((outbox / "website").iterdir())) == 1


def test_file_drop_folder_cannot_escape_the_outbox(users, outbox):
    for folder in ("../etc", "/tmp/x", "", "a/../../b"):
        with pytest.raises(ValidationFailed) as error:
            make_channel(users["admin"], "web", "file_drop", slug="bad", folder=folder)
        assert error.value.errors[0].location == "settings.folder"


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


def test_smtp_sends_a_mail_with_the_idempotency_key_as_message_id(users, allow_loopback):
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = make_channel(
            users["admin"],
            "web",
            "smtp",
            host="127.0.0.1",
            port=port,
            from_address="newsroom@tv.example",
            to="office@gov.example, chief@gov.example",
        )
        story = approved_story(users["reporter"], title="合作简报第一期", body_html="<p>双方召开联席会议。</p>")
        publish_story(actor(users["desk"]), story.pk, [channel.pk])
        drain()
    finally:
        controller.stop()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.SUCCESS, delivery.last_error
    [envelope] = inbox.messages
    assert envelope.rcpt_tos == ["office@gov.example", "chief@gov.example"]
    text = envelope.content.decode()
    assert f"Message-ID: <{delivery.idempotency_key}@tongpin>" in text


def test_smtp_down_is_retried(users, allow_loopback):
    channel = make_channel(
        users["admin"], "web", "smtp", host="127.0.0.1", port=9, from_address="a@b.example", to="c@d.example"
    )
    publish_story(actor(users["desk"]), approved_story(users["reporter"]).pk, [channel.pk])
    drain()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.RETRYING and delivery.last_code == "unreachable"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def fake_wechat():
    wechat_module._tokens.clear()
    with FakeWeChat(publishing_polls=1) as fake:
        yield fake


def _wechat_channel(users, fake, **extra):
    return make_channel(
        users["admin"], "wechat", "wechat_api", app_id="wx-test", app_secret="secret-1", api_base=fake.base, **extra
    )


def _story_with_cover(users):
    # The cover comes before approval: a picture added to an approved story sends it back to review.
    story = new_story(users["reporter"], title="应急科普：暴雨来了怎么办", summary="六个要点请收好。")
    attach_asset(actor(users["reporter"]), story.pk, SimpleUploadedFile("cover.png", _png(), "image/png"), "封面")
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.APPROVED)
    return story


def test_wechat_upload_draft_publish_and_poll(users, fake_wechat, allow_loopback):
    channel = _wechat_channel(users, fake_wechat)
    story = _story_with_cover(users)
    publish_story(actor(users["desk"]), story.pk, [channel.pk])
    drain()
    delivery = Delivery.objects.get()
    # Submitted, WeChat still publishing: the delivery waits to poll, holding the publish id (not resubmitting).
    assert delivery.state == DeliveryState.RETRYING and delivery.remote_ref.startswith("publish:"), delivery.last_error
    assert delivery.attempts == 0
    assert delivery.received_at is not None and delivery.reach == "waiting"  # WeChat has it, publishing
    Delivery.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    drain()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCESS
    assert delivery.reach == "reached" and delivery.reached_at == delivery.delivered_at  # the publish result
    assert delivery.remote_url.startswith("https://mp.weixin.qq.com/s/ARTICLE-")
    assert fake_wechat.calls.count("/cgi-bin/freepublish/submit") == 1
    [draft] = fake_wechat.drafts.values()
    assert draft["title"] == "应急科普：暴雨来了怎么办" and draft["digest"] == "六个要点请收好。"
    assert draft["thumb_media_id"] in fake_wechat.materials


def test_wechat_token_expiry_is_renewed_once(users, fake_wechat, allow_loopback):
    channel = _wechat_channel(users, fake_wechat, default_cover_media_id="DEFAULT")
    fake_wechat.publishing_polls = 0
    publish_story(actor(users["desk"]), approved_story(users["reporter"]).pk, [channel.pk])
    drain()
    fake_wechat.expire_tokens()
    publish_story(actor(users["desk"]), approved_story(users["reporter"], title="第二篇").pk, [channel.pk])
    drain()
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SUCCESS}
    assert fake_wechat.calls.count("/cgi-bin/token") == 2


def test_wechat_errors_busy_is_retried_and_bad_media_fails(users, fake_wechat, allow_loopback):
    channel = _wechat_channel(users, fake_wechat, default_cover_media_id="DEFAULT")
    fake_wechat.fail_next = [-1]
    publish_story(actor(users["desk"]), approved_story(users["reporter"]).pk, [channel.pk])
    drain()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.RETRYING and delivery.last_code == "wechat_-1"
    Delivery.objects.all().delete()
    fake_wechat.fail_next = [40007]
    publish_story(actor(users["desk"]), approved_story(users["reporter"], title="另一篇").pk, [channel.pk])
    drain()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.last_code == "wechat_40007"


def test_wechat_wrong_secret_fails_clearly(users, fake_wechat, allow_loopback):
    channel = make_channel(
        users["admin"], "wechat", "wechat_api", app_id="wx-test", app_secret="wrong", api_base=fake_wechat.base,
        default_cover_media_id="DEFAULT",
    )  # fmt: skip
    publish_story(actor(users["desk"]), approved_story(users["reporter"]).pk, [channel.pk])
    drain()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.last_code == "wechat_40013"


def test_wechat_withdraw_deletes_the_article(users, fake_wechat, allow_loopback):
    from tongpin.newsroom.models import StoryStatus
    from tongpin.newsroom.stories import set_status

    channel = _wechat_channel(users, fake_wechat, default_cover_media_id="DEFAULT")
    fake_wechat.publishing_polls = 0
    story = approved_story(users["reporter"])
    publish_story(actor(users["desk"]), story.pk, [channel.pk])
    drain()
    story.refresh_from_db()
    set_status(actor(users["chief"]), story, StoryStatus.WITHDRAWN, "撤稿")
    drain()
    withdraw = Delivery.objects.get(action=DeliveryAction.WITHDRAW)
    assert withdraw.state == DeliveryState.SUCCESS
    assert fake_wechat.deleted and fake_wechat.deleted[0].startswith("ARTICLE-")


def test_secrets_never_show_and_survive_an_edit(users, fake_wechat):
    channel = _wechat_channel(users, fake_wechat)
    shown = channels_admin.public_settings(channel)
    assert shown["app_secret"] == channels_admin.SECRET_SHOWN and "secret-1" not in json.dumps(shown)
    channels_admin.update_channel(
        actor(users["admin"]),
        channel.pk,
        channels_admin.ChannelInput(settings={**shown, "app_secret": "", "app_id": "wx-test"}),
    )
    channel.refresh_from_db()
    assert reveal(channel)["app_secret"] == "secret-1"


def test_channel_settings_are_checked(users):
    with pytest.raises(ValidationFailed) as error:
        make_channel(users["admin"], "app", "webhook", url="ftp://x", secret="")
    assert {"invalid_url", "required"} <= codes(error)
    with pytest.raises(ValidationFailed) as error:
        make_channel(users["admin"], "app", "webhook", url="https://x.example", secret="k", colour="red")
    assert error.value.errors[0].code == "unknown_setting"
