"""The publishing API and pages: channels, publish, publications, deliveries, feeds, journal, partner isolation."""

import json
from datetime import timedelta

from defusedxml import ElementTree
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from tongpin.core.models import AuditEvent
from tongpin.newsroom.models import Story, StoryStatus
from tongpin.publishing.models import Channel, Delivery, DeliveryAttempt, DeliveryState, JournalIssue, Rendition
from tongpin.publishing.secrets import reveal

from .conftest import actor, api
from .publishing_support import Sink, approved_story, drain, make_channel, review_again


def test_channels_api_create_list_and_secrets_hidden(client, users, token_for, sink):
    admin = token_for("admin")
    body = {
        "name": "客户端推送",
        "slug": "app-push",
        "kind": "app",
        "transmitter": "webhook",
        "settings": {"url": sink.url, "secret": "top-secret"},
    }
    response = api(client, "post", "/channels", admin, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["settings"]["secret"] == "********" and data["settings"]["timeout"] == 10
    listed = api(client, "get", "/channels", token_for("desk")).json()
    assert [c["slug"] for c in listed] == ["app-push"]
    assert "top-secret" not in json.dumps(listed)
    # only admins create; liaisons do not even list
    assert api(client, "post", "/channels", token_for("desk"), {**body, "slug": "x2"}).status_code == 403
    assert api(client, "get", "/channels", token_for("liaison_em")).status_code == 403
    bad = api(client, "post", "/channels", admin, {**body, "slug": "Bad Slug!", "kind": "fax"})
    assert bad.status_code == 422
    assert all({"code", "message", "location"} <= set(e) for e in bad.json()["errors"])


def test_publish_by_api_then_read_the_publication(client, users, token_for, sink):
    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    story = approved_story(users["reporter"], title="全省森林防火宣传月启动")
    response = api(client, "post", f"/stories/{story.pk}/publish", token_for("desk"), {"channels": [channel.pk]})
    assert response.status_code == 201, response.content
    publication = response.json()
    assert publication["state"] == "sending" and publication["renditions"][0]["frozen"]
    assert publication["deliveries"][0]["state"] == "pending"
    drain()
    got = api(client, "get", f"/publications/{publication['id']}", token_for("reporter")).json()
    delivery = got["deliveries"][0]
    assert got["state"] == "done" and delivery["state"] == "success" and delivery["delivered_at"]
    assert delivery["attempt_log"][0]["outcome"] == "success"
    story.refresh_from_db()
    assert story.status == StoryStatus.PUBLISHED
    listed = api(client, "get", f"/stories/{story.pk}/publications", token_for("editor")).json()
    assert [p["id"] for p in listed] == [publication["id"]]


def test_a_story_published_through_the_pipeline_answers_when_it_first_reached_a_channel(
    client, users, token_for, sink
):
    """`published_at` is the first successful delivery — the date partner reports and commitments count by —
    null before anything went out, and it stays that first date when the story goes out again elsewhere."""
    first, second = (make_channel(users["admin"], "app", "webhook", slug=f"app-{n}", url=sink.url, secret="k")
                     for n in (1, 2))  # fmt: skip
    story = approved_story(users["reporter"], title="汛期山洪防御要点")
    path = f"/stories/{story.pk}"
    assert api(client, "get", path, token_for("editor")).json()["published_at"] is None
    api(client, "post", f"{path}/publish", token_for("desk"), {"channels": [first.pk]})
    assert api(client, "get", path, token_for("editor")).json()["published_at"] is None  # queued, not out yet
    drain()
    delivered = Delivery.objects.get(channel=first).delivered_at
    answered = api(client, "get", path, token_for("editor")).json()
    assert answered["status"] == StoryStatus.PUBLISHED
    assert answered["published_at"] is not None
    assert answered["published_at"] == DjangoJSONEncoder().default(delivered)
    Delivery.objects.filter(channel=first).update(delivered_at=delivered - timedelta(days=3))
    api(client, "post", f"{path}/publish", token_for("desk"), {"channels": [second.pk]})
    drain()
    again = api(client, "get", path, token_for("editor")).json()["published_at"]
    assert again == DjangoJSONEncoder().default(delivered - timedelta(days=3))


def test_publish_at_a_time_and_hold_then_edit_and_release(client, users, token_for, sink):
    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    story = approved_story(users["reporter"])
    at = (timezone.now() + timedelta(hours=3)).isoformat()
    scheduled = api(
        client, "post", f"/stories/{story.pk}/publish", token_for("desk"), {"channels": [channel.pk], "at": at}
    )
    assert scheduled.json()["state"] == "scheduled"
    held = api(
        client, "post", f"/stories/{story.pk}/publish", token_for("desk"), {"channels": [channel.pk], "hold": True}
    )
    held = held.json()
    assert held["state"] == "draft" and held["deliveries"] == []
    rendition = held["renditions"][0]["id"]
    too_long = api(client, "patch", f"/renditions/{rendition}", token_for("editor"), {"fields": {"title": "长" * 30}})
    assert too_long.status_code == 200 and too_long.json()["findings"][0]["code"] == "too_long"
    refused = api(client, "post", f"/publications/{held['id']}/release", token_for("desk"))
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "too_long"
    api(client, "patch", f"/renditions/{rendition}", token_for("editor"), {"fields": {"title": "短标题"}})
    unreviewed = api(client, "post", f"/publications/{held['id']}/release", token_for("desk"))
    assert unreviewed.status_code == 409 and unreviewed.json()["errors"][0]["code"] == "not_approved"
    review_again(users, story.pk)  # the edited channel version is reviewed before it goes out
    released = api(client, "post", f"/publications/{held['id']}/release", token_for("desk"))
    assert released.status_code == 200 and released.json()["state"] == "sending"
    assert api(client, "post", f"/publications/{held['id']}/release", token_for("desk")).status_code == 409


def test_bad_publish_requests_get_clear_errors(client, users, token_for, sink):
    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    story = approved_story(users["reporter"])
    desk = token_for("desk")
    naive = api(
        client, "post", f"/stories/{story.pk}/publish", desk, {"channels": [channel.pk], "at": "2026-12-01T08:00:00"}
    )
    assert naive.status_code == 422 and naive.json()["errors"][0]["code"] == "naive_time"
    past = {"channels": [channel.pk], "at": "2025-01-01T09:30:00+08:00"}
    gone = api(client, "post", f"/stories/{story.pk}/publish", desk, past)
    assert gone.status_code == 422 and gone.json()["errors"][0]["code"] == "in_the_past"
    assert gone.json()["errors"][0]["location"].endswith("at") and not Delivery.objects.exists()
    assert api(client, "post", f"/stories/{story.pk}/publish", desk, {"channels": "x"}).status_code == 422
    huge = api(client, "post", f"/stories/{story.pk}/publish", desk, {"channels": [2**70]})
    assert huge.status_code == 422
    assert (
        api(
            client, "post", f"/stories/{story.pk}/publish", token_for("reporter"), {"channels": [channel.pk]}
        ).status_code
        == 403
    )
    assert api(client, "post", "/stories/999999/publish", desk, {"channels": [channel.pk]}).status_code == 404


def test_deliveries_api_retry_and_cancel(client, users, token_for, allow_loopback):
    with Sink(answers=[404]) as sink:
        channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
        story = approved_story(users["reporter"])
        api(client, "post", f"/stories/{story.pk}/publish", token_for("desk"), {"channels": [channel.pk]})
        drain()
        failed = api(client, "get", "/deliveries?state=failed", token_for("duty")).json()
        assert failed["count"] == 1 and failed["results"][0]["last_code"] == "http_404"
        delivery_id = failed["results"][0]["id"]
        assert api(client, "post", f"/deliveries/{delivery_id}/retry", token_for("reporter")).status_code == 403
        retried = api(client, "post", f"/deliveries/{delivery_id}/retry", token_for("duty"))
        assert retried.status_code == 200 and retried.json()["state"] == "retrying"
        cancelled = api(client, "post", f"/deliveries/{delivery_id}/cancel", token_for("duty"))
        assert cancelled.json()["state"] == "cancelled"
        assert api(client, "post", f"/deliveries/{delivery_id}/cancel", token_for("duty")).status_code == 409
    assert api(client, "get", "/deliveries", token_for("liaison_em")).status_code == 403


def test_liaisons_see_only_their_partners_publications(client, users, token_for, sink):
    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    own = approved_story(users["reporter"], partner="em")
    other = approved_story(users["reporter"], partner="zone")
    desk = token_for("desk")
    own_pub = api(client, "post", f"/stories/{own.pk}/publish", desk, {"channels": [channel.pk]}).json()
    other_pub = api(client, "post", f"/stories/{other.pk}/publish", desk, {"channels": [channel.pk]}).json()
    liaison = token_for("liaison_em")
    assert api(client, "get", f"/publications/{own_pub['id']}", liaison).status_code == 200
    assert api(client, "get", f"/publications/{other_pub['id']}", liaison).status_code == 404
    rendition = other_pub["renditions"][0]["id"]
    assert api(client, "patch", f"/renditions/{rendition}", liaison, {"fields": {"title": "x"}}).status_code == 403
    assert api(client, "post", f"/publications/{own_pub['id']}/withdraw", liaison, {}).status_code == 403


def test_withdraw_by_api_cancels_queued_sends(client, users, token_for, sink):
    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    story = approved_story(users["reporter"])
    at = (timezone.now() + timedelta(hours=1)).isoformat()
    publication = api(
        client, "post", f"/stories/{story.pk}/publish", token_for("desk"), {"channels": [channel.pk], "at": at}
    ).json()
    withdrawn = api(
        client, "post", f"/publications/{publication['id']}/withdraw", token_for("chief"), {"reason": "暂缓"}
    )
    assert withdrawn.json()["state"] == "withdrawn"
    assert withdrawn.json()["deliveries"][0]["state"] == "cancelled"


def _scheduled_for_each_partner(users, token_for, sink) -> dict[str, int]:
    """A publication an hour ahead for a story of each partner (em, zone) on one app channel: their ids."""
    from django.test import Client

    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    at = (timezone.now() + timedelta(hours=1)).isoformat()
    ids = {}
    for partner in ("em", "zone"):
        story = approved_story(users["reporter"], partner=partner)
        body = {"channels": [channel.pk], "at": at}
        ids[partner] = api(Client(), "post", f"/stories/{story.pk}/publish", token_for("desk"), body).json()["id"]
    return ids


def test_withdraw_page_hides_other_partners_refuses_non_publishers_and_says_what_it_stopped(users, token_for, sink):
    from django.contrib.messages import get_messages
    from django.test import Client

    ids = _scheduled_for_each_partner(users, token_for, sink)
    liaison, chief = Client(), Client()
    liaison.force_login(users["liaison_em"])
    chief.force_login(users["chief"])
    assert liaison.post(f"/publications/{ids['zone']}/withdraw/").status_code == 404  # not even there for them
    assert liaison.post(f"/publications/{ids['em']}/withdraw/").status_code == 403  # seen, but not theirs to stop
    done = chief.post(f"/publications/{ids['em']}/withdraw/", {"reason": "暂缓"})
    assert done.status_code == 302 and done["Location"] == f"/publications/{ids['em']}/"
    assert [str(m) for m in get_messages(done.wsgi_request)] == ["已撤回：取消 1 条待发，撤下 0 条已发。"]
    assert Delivery.objects.get(rendition__publication_id=ids["em"]).state == DeliveryState.CANCELLED


def _feed_setup(users, sink, **settings):
    feed = make_channel(users["admin"], "web", "feed", slug="news", **settings)
    story = approved_story(users["reporter"], title="高新区举办招聘会", summary="百家企业提供岗位。", tags=["就业"])
    from tongpin.newsroom.publish import publish_story

    publish_story(actor(users["desk"]), story.pk, [feed.pk])
    later = approved_story(users["reporter"], title="明天才发的稿件")
    publish_story(actor(users["desk"]), later.pk, [feed.pk], at=timezone.now() + timedelta(days=1))
    drain()
    return feed, story


def test_rss_atom_and_ninjs_feeds_list_delivered_items_only(client, users, sink):
    feed, story = _feed_setup(users, sink)
    rss = client.get("/feeds/news/rss.xml")
    assert rss.status_code == 200 and rss["Content-Type"].startswith("application/rss+xml")
    items = ElementTree.fromstring(rss.content).findall("./channel/item")
    assert [i.findtext("title") for i in items] == ["高新区举办招聘会"]
    assert items[0].findtext("category") == "就业"
    atom = client.get("/feeds/news/atom.xml")
    entries = ElementTree.fromstring(atom.content).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1
    rendition = Delivery.objects.get(state=DeliveryState.SUCCESS).rendition
    item = client.get(f"/feeds/news/items/{rendition.pk}.json").json()
    assert (
        item["headlines"][0]["value"] == "高新区举办招聘会" and item["type"] == "text" and item["pubstatus"] == "usable"
    )
    scheduled = Delivery.objects.get(state=DeliveryState.PENDING).rendition
    assert client.get(f"/feeds/news/items/{scheduled.pk}.json").status_code == 404
    # withdrawn: gone from the feed
    from tongpin.newsroom.stories import set_status

    story.refresh_from_db()
    set_status(actor(users["chief"]), story, StoryStatus.WITHDRAWN, "撤稿")
    drain()
    assert ElementTree.fromstring(client.get("/feeds/news/rss.xml").content).findall("./channel/item") == []


def test_a_feed_with_an_access_key_is_private(client, users, sink):
    _feed_setup(users, sink, access_key="k3y")
    assert client.get("/feeds/news/rss.xml").status_code == 404
    assert client.get("/feeds/news/rss.xml?key=wrong").status_code == 404
    assert client.get("/feeds/news/rss.xml?key=k3y").status_code == 200


def test_feed_items_link_to_a_page_people_can_read(client, users, sink):
    _feed_setup(users, sink, access_key="k3y")
    rendition = Delivery.objects.get(state=DeliveryState.SUCCESS).rendition
    rss = ElementTree.fromstring(client.get("/feeds/news/rss.xml?key=k3y").content)
    item = rss.find("./channel/item")
    link = item.findtext("link")
    assert link == f"http://testserver/feeds/news/items/{rendition.pk}/?key=k3y"  # a page, not the .json
    alternate = item.find("{http://www.w3.org/2005/Atom}link")
    assert alternate.get("type") == "application/ninjs+json"
    assert alternate.get("href") == f"http://testserver/feeds/news/items/{rendition.pk}.json?key=k3y"
    page = client.get(link.removeprefix("http://testserver"))
    html = page.content.decode()
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "<h1>高新区举办招聘会</h1>" in html and "百家企业提供岗位。" in html
    policy = page["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy  # nothing on it may run
    assert client.get(f"/feeds/news/items/{rendition.pk}.json?key=k3y").status_code == 200  # the alternate works
    assert client.get(f"/feeds/news/items/{rendition.pk}/").status_code == 404  # private without the key
    atom = ElementTree.fromstring(client.get("/feeds/news/atom.xml?key=k3y").content)
    links = atom.findall("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}link")
    kinds = {(x.get("rel"), x.get("type")) for x in links}
    assert kinds == {("alternate", None), ("alternate", "application/ninjs+json")}


def test_story_ninjs_api(client, users, token_for):
    story = approved_story(users["reporter"], title="稿件", summary="摘要", tags=["防汛"])
    data = api(client, "get", f"/stories/{story.pk}/ninjs", token_for("editor")).json()
    assert data["uri"] == f"urn:tongpin:story:{story.pk}:{story.version}"
    assert data["subjects"] == [{"name": "防汛"}] and data["descriptions"][0]["value"] == "摘要"
    assert api(client, "get", f"/stories/{story.pk}/ninjs", token_for("liaison_zone")).status_code == 404


def test_journal_issue_becomes_a_chinese_print_pdf(client, users, partners):
    journal = make_channel(users["admin"], "print", "journal", slug="em-journal", partner="em")
    from tongpin.newsroom.publish import publish_story

    ids = []
    for title in ("全省应急管理工作会议召开", "防汛抗旱知识问答"):
        story = approved_story(
            users["reporter"], partner="em", title=title, body_html="<p>" + "应急管理正文。" * 200 + "</p>"
        )
        publish_story(actor(users["desk"]), story.pk, [journal.pk])
    drain()
    from django.test import Client

    desk = Client()
    desk.force_login(users["desk"])
    page = desk.get(f"/channels/{journal.pk}/issues/")
    assert page.status_code == 200 and "全省应急管理工作会议召开" in page.content.decode()
    ids = [str(r.pk) for r in journal.renditions.order_by("id")]
    response = desk.post(
        f"/channels/{journal.pk}/issues/",
        {"title": "应急管理通讯", "number": "2026年第11期", "issue_date": "2026-11-30", "renditions": ids},
    )
    issue = JournalIssue.objects.get()
    assert response.status_code == 302 and issue.pages >= 3
    pdf = desk.get(f"/issues/{issue.pk}/pdf")
    body = b"".join(pdf.streaming_content)
    assert pdf["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    from weasyprint import HTML

    from tongpin.publishing.journal import render_html

    plain = HTML(string=render_html(issue)).write_pdf(uncompressed_pdf=True)
    assert b"Noto-Serif-CJK-SC" in plain and b"Noto-Sans-CJK-SC" in plain  # the Chinese fonts are found and embedded
    duplicate = desk.post(
        f"/channels/{journal.pk}/issues/",
        {"title": "应急管理通讯", "number": "2026年第11期", "issue_date": "2026-11-30", "renditions": ids},
    )
    assert duplicate.status_code == 200 and JournalIssue.objects.count() == 1
    assert client.get(f"/issues/{issue.pk}/pdf").status_code == 302  # signed out: to the login page
    # Building the PDF loaded WeasyPrint, which loosens Pillow for the whole process: uploads must stay strict.
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_the_journal_api_lists_the_pool_composes_an_issue_and_serves_its_pdf(
    client, users, partners, token_for, client_for
):
    """The printed journal had pages only: a partner's journal issue can now be composed by an API client too."""
    from tongpin.newsroom.publish import publish_story

    journal = make_channel(users["admin"], "print", "journal", slug="em-journal", partner="em")
    web = make_channel(users["admin"], "web", "file_drop", slug="em-web", folder="website")
    for title in ("全省应急管理工作会议召开", "防汛抗旱知识问答"):
        story = approved_story(users["reporter"], partner="em", title=title)
        publish_story(actor(users["desk"]), story.pk, [journal.pk])
    drain()
    desk = token_for("desk")
    pool = api(client, "get", f"/channels/{journal.pk}/journal/pool", desk).json()
    renditions = list(journal.renditions.order_by("id"))
    assert sorted((a["rendition_id"], a["title"]) for a in pool) == [(r.pk, r.fields["title"]) for r in renditions]
    assert {a["publication_id"] for a in pool} == {r.publication_id for r in renditions}
    ids = [r.pk for r in reversed(renditions)]  # printed in the order given
    body = {"number": "2026年第12期", "issue_date": "2026-12-04", "rendition_ids": ids}
    made = api(client, "post", f"/channels/{journal.pk}/journal/issues", desk, body)
    assert made.status_code == 201, made.json()
    issue = JournalIssue.objects.get()
    assert made.json() == {"id": issue.pk, "channel_id": journal.pk, "number": "2026年第12期", "title": "print-journal",
                           "issue_date": "2026-12-04", "pages": issue.pages, "built_at": made.json()["built_at"],
                           "rendition_ids": ids, "pdf": f"/api/v1/journal-issues/{issue.pk}/pdf"}  # fmt: skip
    assert issue.pages >= 1 and issue.created_by == users["desk"]
    assert api(client, "get", f"/channels/{journal.pk}/journal/issues", desk).json() == [made.json()]
    assert api(client, "get", f"/journal-issues/{issue.pk}", desk).json() == made.json()
    pdf = api(client, "get", f"/journal-issues/{issue.pk}/pdf", desk)
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")
    # Refusals: the same number again, nothing chosen, a rendition not in this journal's pool, the wrong channel.
    again = api(client, "post", f"/channels/{journal.pk}/journal/issues", desk, body)
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "duplicate"
    issues = f"/channels/{journal.pk}/journal/issues"
    empty = api(client, "post", issues, desk, {**body, "number": "13", "rendition_ids": []})
    assert empty.status_code == 422 and {e["code"] for e in empty.json()["errors"]} == {"required"}
    alien = api(client, "post", issues, desk, {**body, "number": "13", "rendition_ids": [10**6]})
    assert alien.status_code == 422 and alien.json()["errors"][0]["code"] == "not_in_pool"
    assert api(client, "get", f"/channels/{web.pk}/journal/pool", desk).status_code == 404  # not a journal
    assert api(client, "get", "/journal-issues/999999", desk).status_code == 404
    assert JournalIssue.objects.count() == 1
    # Without the capability to publish: 403 whatever the id, so channel and issue ids tell a liaison nothing.
    for name in ("liaison_em", "liaison_zone"):
        for path in (f"/channels/{journal.pk}/journal/issues", "/channels/999999/journal/issues",
                     f"/journal-issues/{issue.pk}/pdf", "/journal-issues/999999"):  # fmt: skip
            assert api(client, "get", path, token_for(name)).status_code == 403, (name, path)
        # The pages too: the journal is the publishers' area (docs/publishing.md), an area check whatever the id.
        for page in (f"/issues/{issue.pk}/", f"/issues/{issue.pk}/pdf", "/issues/999999/", "/issues/999999/pdf"):
            assert client_for(name).get(page).status_code == 403, (name, page)


def test_journal_issue_form_starts_today_and_keeps_a_refused_entry(users, partners, client_for):
    from tongpin.newsroom.publish import publish_story

    journal = make_channel(users["admin"], "print", "journal", slug="em-journal", partner="em")
    story = approved_story(users["reporter"], partner="em", title="防汛抗旱知识问答")
    publish_story(actor(users["desk"]), story.pk, [journal.pk])
    drain()
    desk = client_for("desk")
    page = desk.get(f"/channels/{journal.pk}/issues/").content.decode()
    assert f'name="issue_date" value="{timezone.localdate().isoformat()}"' in page  # a date the input can show
    rendition = journal.renditions.get()
    refused = desk.post(
        f"/channels/{journal.pk}/issues/",
        {"title": "应急管理通讯", "number": "", "issue_date": "2026-11-30", "renditions": [str(rendition.pk)]},
    )
    body = refused.content.decode()
    assert refused.status_code == 200 and "请填写期号" in body and JournalIssue.objects.count() == 0
    assert 'value="应急管理通讯"' in body and 'value="2026-11-30"' in body and f'value="{rendition.pk}" checked' in body


def test_the_publish_page_refuses_a_time_gone_by_on_the_field_and_keeps_it(client_for, users, sink):
    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    story = approved_story(users["reporter"])
    desk = client_for("desk")
    for button in ("send", "hold"):
        response = desk.post(
            f"/stories/{story.pk}/publish/", {"channels": [str(channel.pk)], "at": "2025-01-01T09:30", button: "1"}
        )
        page = response.content.decode()
        assert response.status_code == 200 and "已提交发布" not in page
        assert 'class="field-error" id="at-error">定时发布时间已过：2025-01-01 09:30；立即发布请留空。' in page
        assert 'value="2025-01-01T09:30"' in page
    assert not Delivery.objects.exists() and not Rendition.objects.exists()


def test_publishing_pages_render_for_staff(client_for, users, sink):
    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    story = approved_story(users["reporter"], title="页面测试稿件")
    desk = client_for("desk")
    page = desk.get(f"/stories/{story.pk}/publish/")
    assert page.status_code == 200 and channel.name in page.content.decode()
    response = desk.post(f"/stories/{story.pk}/publish/", {"channels": [str(channel.pk)], "hold": "1"})
    assert response.status_code == 302
    publication_page = desk.get(response["Location"]).content.decode()
    assert "确认发布" in publication_page and "页面测试稿件" in publication_page
    assert client_for("admin").get("/channels/").status_code == 200
    assert client_for("admin").get(f"/channels/{channel.pk}/").status_code == 200
    assert client_for("admin").get("/channels/new/?kind=wechat&transmitter=wechat_api").status_code == 200
    assert client_for("duty").get("/deliveries/").status_code == 200
    assert client_for("reporter").get("/deliveries/").status_code == 403
    assert client_for("liaison_em").get("/channels/").status_code == 403
    assert desk.get(f"/stories/{story.pk}/").content.decode().count("发布情况") == 1


def test_channel_form_creates_a_channel_and_keeps_secrets(client_for, users, sink):
    admin = client_for("admin")
    response = admin.post(
        "/channels/new/",
        {"kind": "sms", "transmitter": "webhook", "name": "短信平台", "slug": "sms", "s_url": sink.url,
         "s_secret": "abc", "s_timeout": "5", "s_signature": "江西台", "s_max_segments": "2", "save": "1"},
    )  # fmt: skip
    channel = Channel.objects.get(slug="sms")
    assert response.status_code == 302 and reveal(channel)["secret"] == "abc"
    page = admin.get(f"/channels/{channel.pk}/").content.decode()
    assert "abc" not in page
    edit = {"name": "短信平台2", "s_url": sink.url, "s_secret": "", "s_timeout": "5", "s_signature": "江西台"}
    admin.post(f"/channels/{channel.pk}/", {**edit, "s_max_segments": "2", "is_active": "on"})
    channel.refresh_from_db()
    assert channel.name == "短信平台2" and reveal(channel)["secret"] == "abc"
    bad = admin.post(
        "/channels/new/", {"kind": "sms", "transmitter": "webhook", "name": "x", "slug": "x-1", "save": "1"}
    )
    assert bad.status_code == 200 and "不能为空" in bad.content.decode()


def test_the_far_ends_words_are_for_channel_managers_and_the_log_lists_no_attempts(client, users, token_for, sink):
    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    story = approved_story(users["reporter"])
    publication = api(client, "post", f"/stories/{story.pk}/publish", token_for("desk"), {"channels": [channel.pk]})
    drain()
    DeliveryAttempt.objects.update(detail="HTTP 200 接收成功")
    path = f"/publications/{publication.json()['id']}"
    [seen_by_admin] = api(client, "get", path, token_for("admin")).json()["deliveries"][0]["attempt_log"]
    [seen_by_desk] = api(client, "get", path, token_for("desk")).json()["deliveries"][0]["attempt_log"]
    assert seen_by_admin["detail"] == "HTTP 200 接收成功" and seen_by_desk["detail"] == ""
    assert {k: v for k, v in seen_by_admin.items() if k != "detail"} == {
        k: v for k, v in seen_by_desk.items() if k != "detail"
    }
    [logged] = api(client, "get", "/deliveries", token_for("admin")).json()["results"]
    assert logged["attempt_log"] == [] and logged["channel"] == channel.slug
    assert logged["publication_id"] == publication.json()["id"] and set(logged["reach"]) >= {"reach", "tells_received"}


def test_a_refused_rendition_edit_keeps_what_was_typed(client_for, users, sink):
    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    story = approved_story(users["reporter"], title="汛期出行提示")
    held = client_for("desk").post(f"/stories/{story.pk}/publish/", {"channels": [str(channel.pk)], "hold": "1"})
    assert held.status_code == 302
    rendition = Rendition.objects.get(publication__source_id=story.pk, channel=channel)
    # The story went out meanwhile (another publication): a held channel version can no longer be edited.
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.PUBLISHED)
    refused = client_for("editor").post(f"/renditions/{rendition.pk}/edit/", {"f_title": "汛期出行提示（修改）"})
    page = refused.content.decode()
    assert refused.status_code == 200 and "不能直接修改" in page  # the publication's page again, not a redirect
    assert 'value="汛期出行提示（修改）"' in page and "<details open>" in page
    rendition.refresh_from_db()
    assert rendition.fields["title"] == "汛期出行提示" and rendition.edited_at is None


def test_an_html_channel_version_is_edited_in_the_rich_editor_not_as_markup(client_for, users, sink):
    channel = make_channel(users["admin"], "web", "webhook", url=sink.url, secret="k")
    story = approved_story(users["reporter"], body_html="<p>记者从<strong>省应急管理厅</strong>获悉。</p>")
    held = client_for("desk").post(f"/stories/{story.pk}/publish/", {"channels": [str(channel.pk)], "hold": "1"})
    rendition = Rendition.objects.get(publication__source_id=story.pk, channel=channel)
    editor = client_for("editor")
    page = editor.get(held["Location"]).content.decode()
    box = f"f{rendition.pk}_body_html"
    # The editor over the body's box (editor.js reads the box's markup into formatted paragraphs), and only there.
    assert f'<div class="editor" data-editor-for="{box}" hidden>' in page and page.count('class="editor"') == 1
    assert f'aria-describedby="{box}-keys"' in page and "/static/web/editor.js" in page
    assert 'name="f_body_html" rows="8">&lt;p&gt;记者从&lt;strong&gt;' in page  # read into the editor by editor.js
    # What the editor hands back is kept with its formatting.
    edited = "<p>记者从<strong>省应急管理厅</strong>获悉。</p><h3>转移安置</h3><ul><li>已转移 300 人</li></ul>"
    editor.post(f"/renditions/{rendition.pk}/edit/", {"f_title": "标题", "f_body_html": edited})
    rendition.refresh_from_db()
    assert rendition.fields["body_html"] == edited


def test_a_hand_edit_keeps_what_the_channel_keeps_as_its_own_version_does(client_for, users, sink):
    """A web page keeps a story's links; a hand edit of its body did not (every attribute went). The edit is now
    cleaned by the channel's own rule: the web version keeps http(s) links, print keeps its tags and no link."""
    web = make_channel(users["admin"], "web", "webhook", url=sink.url, secret="k")
    journal = make_channel(users["admin"], "print", "webhook", url=sink.url, secret="k")
    link = '<a href="https://yjglt.jiangxi.gov.cn/" rel="noopener noreferrer nofollow">省应急管理厅</a>'
    story = approved_story(users["reporter"], body_html=f"<p>详见{link}网站。</p>")
    client_for("desk").post(f"/stories/{story.pk}/publish/", {"channels": [str(web.pk), str(journal.pk)], "hold": "1"})
    versions = {r.channel_id: r for r in Rendition.objects.filter(publication__source_id=story.pk)}
    assert link in versions[web.pk].fields["body_html"]  # as made from the story
    edited = (f"<p>详见{link}网站。</p>"
              "<p><a href=\"javascript:alert(1)\">坏链接</a><table><tr><td>表</td></tr></table></p>")
    for channel in (web, journal):
        client_for("editor").post(f"/renditions/{versions[channel.pk].pk}/edit/",
                                  {"f_title": "标题", "f_body_html": edited})  # fmt: skip
        versions[channel.pk].refresh_from_db()
    web_body, print_body = versions[web.pk].fields["body_html"], versions[journal.pk].fields["body_html"]
    assert link in web_body and "javascript" not in web_body and "<td>表</td>" in web_body
    assert "<a" not in print_body and "省应急管理厅" in print_body and "<table" not in print_body and "表" in print_body


def test_a_held_publication_can_be_discarded_and_leaves_the_story_page(client, client_for, users, token_for, sink):
    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    story = approved_story(users["reporter"], title="两次先预览")
    desk = client_for("desk")
    ask = {"channels": [str(channel.pk)], "hold": "1"}
    first, second = (desk.post(f"/stories/{story.pk}/publish/", ask)["Location"] for _ in range(2))
    page = desk.get(first).content.decode()
    assert f'action="/publications/{first.split("/")[2]}/discard/"' in page and "data-confirm=" in page
    assert desk.get(f"/stories/{story.pk}/").content.decode().count("/publications/") == 2
    done = desk.post(f"{first}discard/", follow=True).content.decode()
    assert "已放弃这次发布。" in done and "已放弃，不会发出" in done and "确认发布" not in done
    assert "修改这个渠道的版本" not in done  # its channel versions are no longer edited
    story_page = desk.get(f"/stories/{story.pk}/").content.decode()
    assert second in story_page and first not in story_page  # the discarded one is gone from the story page
    first_id = int(first.split("/")[2])
    event = AuditEvent.objects.get(action="publication.discard")
    assert event.object_id == str(first_id) and event.actor == users["desk"]
    # Nothing more can be done with it: released, edited or discarded again.
    refused = api(client, "post", f"/publications/{first_id}/release", token_for("desk"))
    assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "discarded"
    rendition = Rendition.objects.get(publication_id=first_id)
    edit = api(client, "patch", f"/renditions/{rendition.pk}", token_for("editor"), {"fields": {"title": "改"}})
    assert edit.status_code == 409 and edit.json()["errors"][0]["code"] == "discarded"
    assert api(client, "post", f"/publications/{first_id}/discard", token_for("desk")).status_code == 409
    # The API discards the other one; a reporter may not, and a released publication is withdrawn, not discarded.
    second_id = int(second.split("/")[2])
    assert api(client, "post", f"/publications/{second_id}/discard", token_for("reporter")).status_code == 403
    answer = api(client, "post", f"/publications/{second_id}/discard", token_for("desk"))
    assert answer.status_code == 200 and answer.json()["state"] == "cancelled"
    sent = api(client, "post", f"/stories/{story.pk}/publish", token_for("desk"), {"channels": [channel.pk]})
    late = api(client, "post", f"/publications/{sent.json()['id']}/discard", token_for("desk"))
    assert late.status_code == 409 and late.json()["errors"][0]["code"] == "not_held"
    assert not Delivery.objects.filter(rendition__publication_id__in=[first_id, second_id]).exists()


def test_the_review_page_labels_an_sms_versions_number_of_parts_in_chinese(client, client_for, users, token_for, sink):
    channel = make_channel(users["admin"], "sms", "webhook", url=sink.url, secret="k", signature="江西台")
    story = approved_story(users["reporter"], title="暴雨预警", summary="今夜有暴雨。")
    hold = {"channels": [channel.pk], "hold": True}
    held = api(client, "post", f"/stories/{story.pk}/publish", token_for("desk"), hold)
    rendition = held.json()["renditions"][0]["id"]
    text = {"fields": {"text": "【江西台】今夜有暴雨，请注意防范。"}}
    assert api(client, "patch", f"/renditions/{rendition}", token_for("editor"), text).status_code == 200
    page = client_for("editor").get(f"/review/stories/{story.pk}/").content.decode()
    assert "<dt>短信内容</dt>" in page and "<dt>短信条数</dt><dd>1</dd>" in page and "segments" not in page
    # A channel version recorded before the label existed is labelled too.
    revision = Story.objects.get(pk=story.pk).revisions.order_by("-number").first()
    for version in revision.channel_versions:
        version["labels"].pop("segments")
    revision.save(update_fields=["channel_versions"])
    assert "<dt>短信条数</dt>" in client_for("editor").get(f"/review/stories/{story.pk}/").content.decode()


def test_channels_api_answers_field_by_field(client, users, token_for, sink):
    """The JSON of create, list, get, change, pause and resume of a channel; 403 for who may not, 404 with the
    channel's own code for an unknown id."""
    admin, desk, liaison = token_for("admin"), token_for("desk"), token_for("liaison_em")
    body = {"name": "推送", "slug": "push", "kind": "app", "transmitter": "webhook", "partner": "em",
            "settings": {"url": sink.url, "secret": "s3"}}  # fmt: skip
    made = api(client, "post", "/channels", admin, body)
    channel = {"id": made.json()["id"], "name": "推送", "slug": "push", "kind": "app", "transmitter": "webhook",
               "settings": made.json()["settings"], "partner": "em", "is_active": True, "for_tests": False,
               "paused": False, "paused_reason": "", "consecutive_failures": 0, "max_attempts": 6}  # fmt: skip
    assert (made.status_code, made.json()) == (201, channel) and channel["settings"]["secret"] == "********"
    path = f"/channels/{channel['id']}"
    assert api(client, "get", "/channels", desk).json() == [channel]
    assert api(client, "get", path, desk).json() == channel
    assert api(client, "get", path, liaison).status_code == 403
    missing = api(client, "get", "/channels/999999", admin)
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "channel_not_found"
    assert api(client, "patch", "/channels/999999", admin, {"name": "x"}).status_code == 404
    refused = api(client, "patch", path, desk, {"name": "x"})
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "forbidden"
    changed = api(client, "patch", path, admin, {"name": "推送二", "partner": "", "max_attempts": 3})
    channel = {**channel, "name": "推送二", "partner": None, "max_attempts": 3}
    assert (changed.status_code, changed.json()) == (200, channel)
    assert api(client, "get", path, admin).json() == channel
    paused = api(client, "post", f"{path}/pause", admin, {"reason": "维护"})
    assert paused.json() == {**channel, "paused": True, "paused_reason": "维护"}
    assert api(client, "post", f"{path}/pause", admin, {}).json()["errors"][0]["code"] == "unchanged"
    assert api(client, "post", f"{path}/resume", desk).status_code == 403
    assert api(client, "post", f"{path}/resume", admin).json() == channel
    assert api(client, "post", "/channels/999999/resume", admin).status_code == 404


def test_withdraw_by_api_hides_other_partners_and_refuses_non_publishers(users, token_for, sink):
    from django.test import Client

    ids = _scheduled_for_each_partner(users, token_for, sink)
    liaison = token_for("liaison_em")
    hidden = api(Client(), "post", f"/publications/{ids['zone']}/withdraw", liaison, {"reason": "x"})
    assert hidden.status_code == 404 and hidden.json()["errors"][0]["code"] == "publication_not_found"
    refused = api(Client(), "post", f"/publications/{ids['em']}/withdraw", liaison, {"reason": "x"})
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "forbidden"
    assert Delivery.objects.get(rendition__publication_id=ids["em"]).state == DeliveryState.PENDING
    done = api(Client(), "post", f"/publications/{ids['em']}/withdraw", token_for("chief"), {"reason": "暂缓"})
    assert done.status_code == 200 and done.json()["state"] == "withdrawn"


def test_channel_types_answer_every_kind_and_transmitter_with_their_fields_and_settings(client, users, token_for):
    from ninja.responses import NinjaJSONEncoder

    from tongpin.publishing.kinds import ChannelKind
    from tongpin.publishing.plugins import FORMATTERS, TRANSMITTERS

    def settings(plugin) -> list[dict]:
        return [{"name": s.name, "label": str(s.label), "kind": s.kind, "required": s.required, "default": s.default}
                for s in plugin.settings]  # fmt: skip

    kinds = [{"kind": kind, "label": str(ChannelKind(kind).label),
              "fields": [{"name": f.name, "label": str(f.label), "max_length": f.max_length, "max_items": f.max_items}
                         for f in formatter.fields],
              "settings": settings(formatter)} for kind, formatter in FORMATTERS.items()]  # fmt: skip
    transmitters = [{"name": name, "label": str(t.label), "withdraw": t.supports_withdraw, "settings": settings(t)}
                    for name, t in TRANSMITTERS.items()]  # fmt: skip
    answer = api(client, "get", "/channel-types", token_for("reporter"))
    expected = json.dumps({"kinds": kinds, "transmitters": transmitters}, cls=NinjaJSONEncoder)
    assert answer.status_code == 200 and answer.content.decode() == expected
    assert any(t["withdraw"] for t in answer.json()["transmitters"]) and answer.json()["kinds"][0]["fields"]
    assert any(s["default"] is not None for t in answer.json()["transmitters"] for s in t["settings"])


def test_a_held_publication_whose_story_went_back_to_review_offers_no_release(client_for, users, sink):
    channel = make_channel(users["admin"], "app", "webhook", url=sink.url, secret="k")
    story = approved_story(users["reporter"], title="汛期出行提示")
    held = client_for("desk").post(f"/stories/{story.pk}/publish/", {"channels": [str(channel.pk)], "hold": "1"})
    chief = client_for("chief")
    before = chief.get(held["Location"]).content.decode()
    assert "确认发布</button>" in before and "稿件已改，须重新送审" not in before
    rendition = Rendition.objects.get(publication__source_id=story.pk, channel=channel)
    edited = chief.post(f"/renditions/{rendition.pk}/edit/", {"f_title": "汛期出行提示（修改）"}, follow=True)
    page = edited.content.decode()
    assert "修改已记入稿件的新版本" in page  # the story is back in draft: the release would be refused
    assert "确认发布</button>" not in page and "检查无误后点“确认发布”" not in page and "尚未提交发布。" in page
    assert "稿件已改，须重新送审；三审通过后可在此确认发布" in page
    assert f'<a href="/stories/{story.pk}/">送审</a>' in page
    assert "/discard/" in page  # it can still be given up
    review_again(users, story.pk)  # approved again at the edited version: offered again, and it goes out
    again = chief.get(held["Location"]).content.decode()
    assert "确认发布</button>" in again and "稿件已改" not in again
    released = chief.post(f"{held['Location']}release/", follow=True).content.decode()
    assert "已提交发布。" in released
