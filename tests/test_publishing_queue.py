"""The delivery queue end to end against local destinations: states, retries, leases, priority, withdrawal."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tongpin.core.errors import Conflict, Forbidden, ValidationFailed
from tongpin.core.models import AuditEvent, Notification
from tongpin.newsroom.models import Story, StoryStatus
from tongpin.newsroom.publish import publish_story
from tongpin.newsroom.stories import set_status
from tongpin.publishing import queue, services
from tongpin.publishing.models import (
    Channel,
    Delivery,
    DeliveryAction,
    DeliveryState,
    Priority,
    PublicationState,
)
from tongpin.publishing.plugins import Content, Outcome
from tongpin.publishing.transmitters.webhook import verify

from .conftest import actor, new_story
from .publishing_support import Sink, approved_story, drain, make_channel, review_again

SECRET = "s3cret-signing-key"


@pytest.fixture
def hook(users, sink):
    return make_channel(users["admin"], "app", "webhook", url=sink.url, secret=SECRET, timeout=2)


def due_now(**filters) -> None:
    Delivery.objects.filter(**filters).update(due_at=timezone.now() - timedelta(seconds=1))


def test_an_approved_story_goes_out_signed_once_and_becomes_published(users, sink, hook):
    story = approved_story(users["reporter"], title="防汛应急响应提升至三级", summary="全省启动防汛三级应急响应。")
    publication = publish_story(actor(users["desk"]), story.pk, [hook.pk])
    assert publication.state == PublicationState.SENDING
    drain()
    assert len(sink.received) == 1
    entry = sink.received[0]
    headers = {k.lower(): v for k, v in entry["headers"].items()}
    assert verify(SECRET, headers["x-tongpin-timestamp"], headers["x-tongpin-signature"], entry["body"])
    assert not verify("wrong", headers["x-tongpin-timestamp"], headers["x-tongpin-signature"], entry["body"])
    body = json.loads(entry["body"])
    delivery = Delivery.objects.get()
    assert headers["idempotency-key"] == delivery.idempotency_key == body["id"]
    assert body["fields"]["title"] == "防汛应急响应提升至三级" and body["source"] == {
        "type": "story",
        "id": story.pk,
        "version": story.version,
    }
    assert delivery.state == DeliveryState.SUCCESS and delivery.attempts == 1 and delivery.delivered_at
    assert delivery.remote_ref == "remote-1"
    publication.refresh_from_db()
    assert publication.state == PublicationState.DONE
    story.refresh_from_db()
    assert story.status == StoryStatus.PUBLISHED
    assert AuditEvent.objects.filter(action="publication.release").exists()
    assert AuditEvent.objects.filter(action="story.publish", object_id=str(story.pk)).exists()


def test_a_replayed_old_signature_is_refused_by_verify():
    assert not verify(SECRET, "1000", "sha256=00", b"{}", now=1000 + 301)


def test_only_approved_stories_and_only_releasers_publish(users, hook):
    draft = new_story(users["reporter"])
    with pytest.raises(Conflict):
        publish_story(actor(users["desk"]), draft.pk, [hook.pk])
    story = approved_story(users["reporter"])
    with pytest.raises(Forbidden):
        publish_story(actor(users["reporter"]), story.pk, [hook.pk])
    with pytest.raises(ValidationFailed) as error:
        publish_story(actor(users["desk"]), story.pk, [])
    assert error.value.errors[0].code == "required"
    with pytest.raises(ValidationFailed) as error:
        publish_story(actor(users["desk"]), story.pk, [hook.pk, 999999])
    assert error.value.errors[0].code == "channel_not_found"


def test_a_4xx_answer_fails_at_once_without_retry(users, allow_loopback):
    with Sink(answers=[400]) as sink:
        channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret=SECRET)
        publish_story(actor(users["desk"]), approved_story(users["reporter"]).pk, [channel.pk])
        drain()
        due_now()
        drain()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 1 and delivery.last_code == "http_400"
    assert len(sink.received) == 1
    assert delivery.rendition.publication.state == PublicationState.FAILED


def test_5xx_and_429_are_retried_with_backoff_and_the_same_key(users, allow_loopback):
    with Sink(answers=[503, 429]) as sink:
        channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret=SECRET)
        publish_story(actor(users["desk"]), approved_story(users["reporter"]).pk, [channel.pk])
        before = timezone.now()
        drain()
        delivery = Delivery.objects.get()
        assert delivery.state == DeliveryState.RETRYING and delivery.last_code == "http_503"
        assert delivery.due_at >= before + timedelta(seconds=1)  # backoff, not at once
        drain()  # not due yet: nothing happens
        assert len(sink.received) == 1
        for _ in range(2):
            due_now()
            drain()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCESS and delivery.attempts == 3
    keys = {e["headers"]["Idempotency-Key"] for e in sink.received}
    assert keys == {delivery.idempotency_key}
    assert [a.outcome for a in delivery.attempt_log.all()] == ["error", "error", "success"]


def test_attempts_run_out_into_failed(users, allow_loopback):
    with Sink(answers=[500] * 5) as sink:
        channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret=SECRET)
        Channel.objects.filter(pk=channel.pk).update(max_attempts=2)
        publish_story(actor(users["desk"]), approved_story(users["reporter"]).pk, [channel.pk])
        drain()
        due_now()
        drain()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 2


def test_a_hanging_destination_times_out_and_is_retried(users, allow_loopback):
    with Sink(delay=2.0) as sink:
        channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret=SECRET, timeout=1)
        publish_story(actor(users["desk"]), approved_story(users["reporter"]).pk, [channel.pk])
        drain()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.RETRYING and delivery.last_code == "timeout"
    assert "1" in delivery.last_error


def test_an_unreachable_destination_is_retried(users, allow_loopback):
    channel = make_channel(users["admin"], "app", "webhook", url="http://127.0.0.1:9/none", secret=SECRET)
    publish_story(actor(users["desk"]), approved_story(users["reporter"]).pk, [channel.pk])
    drain()
    assert Delivery.objects.get().last_code == "unreachable"


def test_a_channel_that_keeps_failing_is_paused_and_admins_are_told(users, settings, allow_loopback):
    settings.TONGPIN_CHANNEL_PAUSE_AFTER = 2
    with Sink(answers=[500] * 10) as sink:
        channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret=SECRET)
        for _ in range(3):
            publish_story(actor(users["desk"]), approved_story(users["reporter"]).pk, [channel.pk])
        drain()
        channel.refresh_from_db()
        assert channel.paused and channel.consecutive_failures >= 2
        assert Notification.objects.filter(user=users["admin"], text__contains=channel.name).exists()
        # Paused: nothing more is sent, even when due.
        sent = len(sink.received)
        due_now()
        drain()
        assert len(sink.received) == sent
        from tongpin.publishing.channels_admin import set_paused

        set_paused(actor(users["admin"]), channel.pk, False)
        due_now()
        drain()
        assert len(sink.received) > sent


def _deliveries(users, channel, count: int, priority: int) -> list[Delivery]:
    content = Content(source_type="bench", source_id=1, version=1, title="标题", summary="摘要", body_text="正文")
    made = []
    for _ in range(count):
        publication = services.prepare(actor(users["admin"]), content, [channel.pk], priority=priority)
        made.extend(Delivery.objects.filter(rendition__publication=publication))
    return made


def test_higher_priority_is_claimed_first_and_the_lane_takes_only_urgent_work(users, hook):
    _deliveries(users, hook, 5, Priority.NORMAL)
    urgent = _deliveries(users, hook, 1, Priority.URGENT)[0]
    assert [d.id for d in queue.claim("w1", 1)] == [urgent.id]
    Delivery.objects.filter(pk=urgent.pk).update(state=DeliveryState.PENDING, claimed_by="")
    lane = queue.claim("w1", 10, min_priority=Priority.HIGH)
    assert [d.id for d in lane] == [urgent.id]
    assert queue.claim("w2", 10, min_priority=Priority.HIGH) == []


def test_a_claim_takes_at_most_its_limit_across_waiting_and_retrying_rows_in_order(users, hook):
    """On PostgreSQL the claim picks, locks and stamps in one statement: it must take exactly the first `limit`
    rows of both states together, by priority then due time, and stamp each once."""
    normal = _deliveries(users, hook, 3, Priority.NORMAL)
    urgent = _deliveries(users, hook, 2, Priority.URGENT)
    back = timezone.now() - timedelta(minutes=5)
    Delivery.objects.filter(pk=normal[2].pk).update(state=DeliveryState.RETRYING, due_at=back, attempts=1)
    Delivery.objects.filter(pk=urgent[1].pk).update(state=DeliveryState.RETRYING, due_at=back, attempts=1)
    taken = queue.claim("w1", 3)
    assert [d.id for d in taken] == [urgent[1].id, urgent[0].id, normal[2].id]
    assert {d.state for d in taken} == {DeliveryState.IN_PROGRESS} and {d.claimed_by for d in taken} == {"w1"}
    assert [d.attempts for d in taken] == [2, 1, 2] and all(d.started_at and d.lease_until for d in taken)
    assert [d.id for d in queue.claim("w2", 10)] == [normal[0].id, normal[1].id]
    assert queue.claim("w3", 10) == []


def test_an_urgent_send_is_not_stuck_behind_a_slow_backlog(users, allow_loopback):
    """Eight slow ordinary sends fill the ordinary pool; the urgent one still goes at once on the lane."""
    with Sink(delay=1.5) as slow, Sink() as fast:
        slow_channel = make_channel(users["admin"], "app", "webhook", slug="slow", url=slow.url, secret=SECRET)
        fast_channel = make_channel(users["admin"], "sms", "webhook", slug="fast", url=fast.url, secret=SECRET)
        _deliveries(users, slow_channel, 8, Priority.NORMAL)
        urgent = _deliveries(users, fast_channel, 1, Priority.URGENT)[0]
        from tongpin.publishing.dispatcher import Dispatcher

        dispatcher = Dispatcher(threads=2, priority_threads=1, poll=0.01)
        dispatcher.run(once=True)
        received = fast.received[0]["at"]
        first_slow = min(e["at"] for e in slow.received)
        assert received < first_slow + 1.0  # not after the backlog's 1.5 s sends
    urgent.refresh_from_db()
    assert urgent.state == DeliveryState.SUCCESS


def test_a_dead_workers_lease_expires_and_another_worker_sends(users, sink, hook):
    delivery = _deliveries(users, hook, 1, Priority.NORMAL)[0]
    claimed = queue.claim("dead-worker", 10)
    assert [d.id for d in claimed] == [delivery.id]
    assert queue.claim("other", 10) == []  # leased
    Delivery.objects.filter(pk=delivery.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert queue.reclaim_expired() == 1
    drain()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCESS and delivery.attempts == 2
    # The dead worker comes back and reports late: its result is ignored, nothing changes.
    late = queue.Result(delivery.id, 1, "dead-worker", timezone.now(), timezone.now(), error=None)
    queue.record_results("dead-worker", [late])
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCESS and delivery.attempt_log.count() == 1


def test_a_dead_workers_rows_keep_their_place_in_line(users, hook):
    """Reclaimed rows are sent before work queued after them: behind a backlog a killed worker's rows must not
    wait until the whole backlog is sent (bench/failover.py measured 9.8 s when they went to the back)."""
    held = _deliveries(users, hook, 1, Priority.NORMAL)[0]
    assert [d.id for d in queue.claim("dead-worker", 10)] == [held.id]
    backlog = _deliveries(users, hook, 3, Priority.NORMAL)  # queued after the claim, due before the reclaim
    Delivery.objects.filter(pk=held.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert queue.reclaim_expired("survivor") == 1
    assert [d.id for d in queue.claim("survivor", 1)] == [held.id]
    assert len(backlog) == 3


def test_scheduled_publishing_waits_for_its_time(users, sink, hook):
    story = approved_story(users["reporter"])
    at = timezone.now() + timedelta(hours=2)
    publication = publish_story(actor(users["desk"]), story.pk, [hook.pk], at=at)
    assert publication.state == PublicationState.SCHEDULED
    drain()
    assert sink.received == []
    due_now()
    drain()
    assert len(sink.received) == 1
    publication.refresh_from_db()
    assert publication.state == PublicationState.DONE


def test_schedule_times_are_checked(users, hook):
    story = approved_story(users["reporter"])
    with pytest.raises(ValidationFailed) as error:
        publish_story(actor(users["desk"]), story.pk, [hook.pk], at=timezone.now() + timedelta(days=400))
    assert error.value.errors[0].code == "too_far"


def test_a_time_gone_by_is_refused_but_a_minute_late_is_now(users, sink, hook):
    story = approved_story(users["reporter"])
    desk = actor(users["desk"])
    with pytest.raises(ValidationFailed) as error:
        publish_story(desk, story.pk, [hook.pk], at=timezone.now() - timedelta(days=300))
    [refusal] = error.value.errors
    assert refusal.code == "in_the_past" and refusal.location == "at" and "立即发布请留空" in str(refusal.message)
    with pytest.raises(ValidationFailed):  # held for editing: the same time would be kept, so refused as well
        publish_story(desk, story.pk, [hook.pk], at=timezone.now() - timedelta(hours=1), release_now=False)
    assert not Delivery.objects.exists()
    late = publish_story(desk, story.pk, [hook.pk], at=timezone.now() - timedelta(minutes=1))
    assert late.state == PublicationState.SENDING and late.scheduled_at is None


def test_a_story_withdrawn_while_queued_is_never_sent(users, sink, hook):
    story = approved_story(users["reporter"])
    publication = publish_story(actor(users["desk"]), story.pk, [hook.pk], at=timezone.now() + timedelta(hours=1))
    story = Story.objects.get(pk=story.pk)
    set_status(actor(users["chief"]), story, StoryStatus.WITHDRAWN, "事实有误")
    due_now()
    drain()
    assert sink.received == []
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.CANCELLED and delivery.last_error
    publication.refresh_from_db()
    assert publication.state == PublicationState.WITHDRAWN


def test_a_published_story_withdrawn_is_taken_down_where_the_channel_allows(users, sink, hook):
    story = approved_story(users["reporter"])
    publish_story(actor(users["desk"]), story.pk, [hook.pk])
    drain()
    story.refresh_from_db()
    set_status(actor(users["chief"]), story, StoryStatus.WITHDRAWN, "撤稿")
    drain()
    actions = [p["action"] for p in sink.payloads()]
    assert actions == ["publish", "withdraw"]
    withdraw = Delivery.objects.get(action=DeliveryAction.WITHDRAW)
    assert withdraw.state == DeliveryState.SUCCESS and withdraw.priority >= Priority.HIGH


def test_a_withdrawn_channel_shows_one_state_on_its_card_and_in_the_tables(users, sink, hook, client_for):
    """Not "撤回·成功" beside "成功" (read as contradicting each other): the card says 已撤回, the past send's
    成功 only in the badge's title; the delivery tables name the take-down the same way."""
    import re

    story = approved_story(users["reporter"])
    publication = publish_story(actor(users["desk"]), story.pk, [hook.pk])
    drain()
    story.refresh_from_db()
    set_status(actor(users["chief"]), story, StoryStatus.WITHDRAWN, "撤稿")
    drain()
    page = client_for("chief").get(f"/publications/{publication.pk}/").content.decode()
    card = page[page.index(f'id="r{publication.renditions.get().pk}"') : page.index("</section>")]
    badges = re.findall(r'<span class="badge [^"]*" title="([^"]*)">([^<]*)</span>', card)
    assert badges == [("发布：成功", "已撤回")]
    table = page[page.index("<table") :]
    assert re.findall(r'<span class="badge [^"]*">([^<]*)</span>', table) == ["已撤回", "成功"]  # newest first
    log = client_for("duty").get("/deliveries/").content.decode()
    assert "已撤回" in log and "撤回·" not in page + log


def test_cancel_and_retry_by_hand(users, hook):
    delivery = _deliveries(users, hook, 1, Priority.NORMAL)[0]
    with pytest.raises(Forbidden):
        services.cancel_delivery(actor(users["reporter"]), delivery.pk)
    services.cancel_delivery(actor(users["duty"]), delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.CANCELLED
    assert delivery.rendition.publication.state == PublicationState.CANCELLED
    with pytest.raises(Conflict):
        services.cancel_delivery(actor(users["duty"]), delivery.pk)
    services.retry_delivery(actor(users["duty"]), delivery.pk)
    drain()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SUCCESS
    assert AuditEvent.objects.filter(action__in=["delivery.cancel", "delivery.retry"]).count() == 2


def test_a_renditions_error_is_marked_with_a_drawn_icon_not_an_emoji(users, hook, client_for):
    """The error mark before a finding is SVG named 错误: the ⛔ emoji it was showed as a box without an emoji font."""
    story = approved_story(users["reporter"], title="标题")
    publication = publish_story(actor(users["desk"]), story.pk, [hook.pk], release_now=False)
    services.edit_rendition(actor(users["editor"]), publication.renditions.get().pk, {"title": "超" * 21})
    page = client_for("editor").get(f"/publications/{publication.pk}/").content.decode()
    finding = page[page.index('<li class="sev-error">') :]
    finding = finding[: finding.index("</li>")]
    assert '<svg class="icon"' in finding and 'aria-label="错误"' in finding and "⛔" not in page


def test_a_weibo_previews_topics_once_in_its_text(users, sink, client_for):
    """A Weibo post carries its topics in the text (#防汛#…): the preview shows them there, not again as a 话题 list
    under it; the list stays in the edit form. Douyin's topics, not in its caption, are still listed."""
    weibo = make_channel(users["admin"], "weibo", "webhook", url=sink.url, secret=SECRET)
    douyin = make_channel(users["admin"], "douyin", "webhook", url=sink.url, secret=SECRET)
    story = approved_story(users["reporter"], title="标题", tags=["防汛"])
    publication = publish_story(actor(users["desk"]), story.pk, [weibo.pk, douyin.pk], release_now=False)
    page = client_for("editor").get(f"/publications/{publication.pk}/").content.decode()
    cards = {r.kind: page[page.index(f'id="r{r.pk}"') :] for r in publication.renditions.all()}
    weibo_preview = cards["weibo"][: cards["weibo"].index("<details")]
    assert weibo_preview.count("#防汛#") == 1 and "pv-items" not in weibo_preview
    assert "#防汛#" in cards["weibo"][cards["weibo"].index("<textarea") :]  # still there to edit
    assert "pv-items" in cards["douyin"][: cards["douyin"].index("<details")]


def test_renditions_are_editable_until_released_then_frozen(users, sink, hook):
    story = approved_story(users["reporter"], title="标题")
    publication = publish_story(actor(users["desk"]), story.pk, [hook.pk], release_now=False)
    rendition = publication.renditions.get()
    assert publication.state == PublicationState.DRAFT and not Delivery.objects.exists()
    services.edit_rendition(actor(users["editor"]), rendition.pk, {"title": "超" * 21})
    rendition.refresh_from_db()
    assert [f["code"] for f in rendition.blocking] == ["too_long"]
    with pytest.raises(ValidationFailed) as error:
        services.release(actor(users["desk"]), publication.pk)
    assert error.value.errors[0].code == "too_long" and "app" in error.value.errors[0].location
    with pytest.raises(ValidationFailed):
        services.edit_rendition(actor(users["editor"]), rendition.pk, {"nonsense": "x"})
    with pytest.raises(Forbidden):
        services.edit_rendition(actor(users["reporter"]), rendition.pk, {"title": "记者不能改"})
    services.edit_rendition(actor(users["editor"]), rendition.pk, {"title": "改好的推送标题"})
    with pytest.raises(Conflict):  # the hand-edited version goes through review first
        services.release(actor(users["desk"]), publication.pk)
    review_again(users, story.pk)
    services.release(actor(users["desk"]), publication.pk)
    with pytest.raises(Conflict):
        services.edit_rendition(actor(users["editor"]), rendition.pk, {"title": "再改"})
    drain()
    assert sink.payloads()[0]["fields"]["title"] == "改好的推送标题"


def test_a_partners_journal_takes_only_that_partners_stories(users, partners):
    journal = make_channel(users["admin"], "print", "journal", slug="em-journal", partner="em")
    other = approved_story(users["reporter"], partner="zone")
    with pytest.raises(ValidationFailed) as error:
        publish_story(actor(users["desk"]), other.pk, [journal.pk])
    assert error.value.errors[0].code == "other_partner"
    own = approved_story(users["reporter"], partner="em")
    publish_story(actor(users["desk"]), own.pk, [journal.pk])
    drain()
    assert Delivery.objects.get().state == DeliveryState.SUCCESS


def test_the_worker_survives_a_database_blip(users, sink, hook, monkeypatch):
    from django.db import OperationalError

    real, failures = queue.reclaim_expired, []

    def flaky(*args):
        if not failures:
            failures.append(1)
            raise OperationalError("database is locked")
        return real(*args)

    monkeypatch.setattr(queue, "reclaim_expired", flaky)
    story = approved_story(users["reporter"], title="数据库短暂不可用后仍送达")
    publish_story(actor(users["desk"]), story.pk, [hook.pk])
    drain()  # the first round fails on the database; the worker waits a second and carries on
    assert failures == [1] and len(sink.received) == 1
    assert Delivery.objects.get().state == DeliveryState.SUCCESS


def test_a_draft_reads_and_writes_nothing_and_store_writes_it_whole(users, hook, django_assert_num_queries):
    content = Content(source_type="alert", source_id=0, version=1, title="暴雨橙色预警", summary="注意防范")
    with django_assert_num_queries(0):  # channels handed over, no proofreading: nothing read, nothing written
        draft = services.draft(
            actor(users["admin"]), content, [hook.pk], priority=Priority.HIGH, proofread=False, channels=[hook]
        )
    assert [r.channel for r in draft.renditions] == [hook] and draft.renditions[0].fields["title"] == "暴雨橙色预警"
    assert not Delivery.objects.exists()
    content.source_id = 42  # a source may name itself in between (an alert gets its id then)
    publication = services.store(actor(users["admin"]), draft)
    assert (publication.source_id, publication.state) == (42, PublicationState.SENDING)
    delivery = Delivery.objects.get()
    assert delivery.rendition.publication == publication and delivery.priority == Priority.HIGH
    assert delivery.rendition.frozen_at is not None


def test_a_draft_refuses_bad_channels_before_anything_is_written(users, hook):
    Channel.objects.filter(pk=hook.pk).update(is_active=False)
    content = Content(source_type="alert", source_id=1, version=1, title="标题", summary="摘要")
    with pytest.raises(ValidationFailed) as error:
        services.draft(actor(users["admin"]), content, [hook.pk, 999999])
    assert [e.code for e in error.value.errors] == ["channel_inactive", "channel_not_found"]


def test_refreshing_states_names_the_withdrawn_publications(users, hook):
    kept, gone = (_deliveries(users, hook, 1, Priority.NORMAL)[0].rendition.publication for _ in range(2))
    services.withdraw_publication(actor(users["admin"]), gone, "test")
    assert queue.refresh_publications({kept.pk, gone.pk}) == {gone.pk}
    assert queue.refresh_publications(set()) == set()


def test_wake_ups_reach_every_listening_worker_and_nothing_else_wakes_them(db):  # db: on PostgreSQL it NOTIFYs too
    from tongpin.publishing import wakeup

    if not wakeup.supported():
        pytest.skip("wake-ups need Linux abstract sockets; workers poll elsewhere")
    first, second = wakeup.Listener(), wakeup.Listener()
    try:
        assert first.socket is not None and second.socket is not None
        assert first.socket.getsockname() != second.socket.getsockname()
        assert not first.wait(0.05)  # nobody woke it
        wakeup.wake()
        wakeup.wake()
        assert first.wait(5) and second.wait(5)
        assert not first.wait(0.05)  # both wake-ups were taken at once
    finally:
        first.close()
        second.close()
    assert first.socket is None and not first.wait(0.01)


def test_a_worker_without_a_free_wake_up_slot_still_works_by_polling(users, sink, hook):
    from tongpin.publishing import wakeup

    taken = [wakeup.Listener() for _ in range(wakeup.SLOTS)]
    try:
        extra = wakeup.Listener()
        assert extra.socket is None and not extra.wait(0.01)  # all slots in use: it never wakes
        _deliveries(users, hook, 2, Priority.HIGH)
        drain()  # a dispatcher that could not listen finds the work by looking
        assert len(sink.received) == 2
    finally:
        for listener in taken:
            listener.close()


@pytest.mark.django_db(transaction=True)
def test_two_workers_finishing_one_publication_at_once_leave_it_done(users):
    """Worker A records its half of a two-channel publication and holds its transaction open; worker B records
    the other half meanwhile. Counting before A commits, B would see A's delivery still in progress and leave
    the publication "sending" for ever; B must count only after A's result is committed."""
    import threading
    import time

    from django.db import connection, transaction

    first = make_channel(users["admin"], "app", "file_drop", slug="drop-a", folder="a")
    second = make_channel(users["admin"], "app", "file_drop", slug="drop-b", folder="b")
    content = Content(source_type="bench", source_id=1, version=1, title="两路并发", summary="摘要")
    publication = services.prepare(actor(users["desk"]), content, [first.pk, second.pk])
    a, b = (queue.claim(name, 1)[0] for name in ("worker-a", "worker-b"))

    def result(delivery, worker):
        now = timezone.now()
        return queue.Result(delivery.pk, 1, worker, now, now, outcome=Outcome(code="ok"), delivery=delivery)

    a_wrote = threading.Event()
    errors = []

    def worker_a():
        try:
            with transaction.atomic():
                queue.record_results("worker-a", [result(a, "worker-a")])
                a_wrote.set()
                time.sleep(1.0)  # still uncommitted while B records
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            a_wrote.set()
            connection.close()

    thread = threading.Thread(target=worker_a)
    thread.start()
    assert a_wrote.wait(10)
    try:
        queue.record_results("worker-b", [result(b, "worker-b")])
    finally:
        thread.join(20)
    assert not errors
    publication.refresh_from_db()
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SUCCESS}
    assert publication.state == PublicationState.DONE


def test_a_publication_left_sending_after_all_its_deliveries_finished_is_repaired_by_the_worker(users, sink, hook):
    story = approved_story(users["reporter"], title="状态落后的发布")
    publication = publish_story(actor(users["desk"]), story.pk, [hook.pk])
    drain()
    publication.refresh_from_db()
    assert publication.state == PublicationState.DONE
    # As an older version's race left some: every delivery succeeded, the publication still "sending".
    type(publication).objects.filter(pk=publication.pk).update(state=PublicationState.SENDING)
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.APPROVED)
    open_one = approved_story(users["reporter"], title="还在发送中的发布")
    pending = publish_story(actor(users["desk"]), open_one.pk, [hook.pk])
    assert queue.repair_publications() == 1  # only the stale one: the other still has an open delivery
    publication.refresh_from_db()
    pending.refresh_from_db()
    story.refresh_from_db()
    assert publication.state == PublicationState.DONE and pending.state == PublicationState.SENDING
    assert story.status == StoryStatus.PUBLISHED  # the state change is signalled as usual
    type(publication).objects.filter(pk=publication.pk).update(state=PublicationState.SENDING)
    drain()  # a worker sweeps at its start
    publication.refresh_from_db()
    assert publication.state == PublicationState.DONE


def test_rows_of_a_worker_whose_heartbeat_stopped_go_back_to_the_queue_before_its_lease_ends(users, hook, settings):
    from tongpin.publishing import workers
    from tongpin.publishing.models import WorkerBeat

    settings.TONGPIN_WORKER_DEAD_AFTER = 3
    _deliveries(users, hook, 4, 0)
    started = timezone.now()
    for name in ("alive", "dead", "silent"):  # "silent" never beat: only its lease counts
        if name != "silent":
            workers.beat(name, "deliveries", started)
        queue.claim(name, 1)
    WorkerBeat.objects.filter(name="dead").update(beat_at=timezone.now() - timedelta(seconds=10))
    assert [w.name for w in workers.alive()] == ["alive"]
    assert queue.reclaim_expired("dead") == 0  # a worker never hands back its own rows
    assert queue.reclaim_expired("alive") == 1
    states = dict(Delivery.objects.exclude(last_code="").values_list("claimed_by", "last_code"))
    assert states == {"": "lease_expired"}
    assert set(Delivery.objects.filter(state=DeliveryState.IN_PROGRESS).values_list("claimed_by", flat=True)) == {
        "alive",
        "silent",
    }
    workers.stopped("alive")  # a worker that stopped holds nothing any more
    assert queue.reclaim_expired("other") == 1
