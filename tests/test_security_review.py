"""Issue 20 (security fit for government partners): the review and publication holes."""


import pytest
from django.test import Client

from tongpin.core.audit import Actor
from tongpin.core.errors import Forbidden, ValidationFailed
from tongpin.core.models import AuditEvent
from tongpin.newsroom.models import Story, StoryStatus
from tongpin.review import workflow
from tongpin.review.models import ReviewRun, Workflow

from .conftest import api, new_story

pytestmark = pytest.mark.django_db

CLEAN_BODY = "<p>省应急管理厅部署汛期防御工作，要求各地做好转移避险准备。</p>"


def act(user):
    return Actor(user, ip="127.0.0.1", via="test")


# --- 7. an author may not decide on their own story ------------------------------------------------------


def editor_written(users, co_author=None):
    authors = [users["editor"].pk] + ([co_author.pk] if co_author else [])
    story = new_story(users["editor"], title="汛期防御工作部署", body_html=CLEAN_BODY, author_ids=authors)
    workflow.submit(act(users["editor"]), story.pk)
    return Story.objects.get(pk=story.pk)


def test_an_author_cannot_approve_their_own_story(users):
    story = editor_written(users)
    for decision, comment in (("approve", ""), ("changes", "改"), ("reject", "不用")):
        with pytest.raises(Forbidden) as error:
            workflow.decide(act(users["editor"]), story.pk, decision, comment)
        assert error.value.errors[0].code == "own_story"
    with pytest.raises(Forbidden):
        workflow.claim(act(users["editor"]), story.pk)
    assert story.pk not in [s.run.story_id for s in workflow.review_queue(users["editor"])]
    # a colleague of the same role may
    assert story.pk in [s.run.story_id for s in workflow.review_queue(users["editor2"])]
    workflow.decide(act(users["editor2"]), story.pk, "approve")


def test_a_co_author_cannot_decide_at_a_later_step(users):
    story = editor_written(users, co_author=users["desk"])
    workflow.decide(act(users["editor2"]), story.pk, "approve")
    with pytest.raises(Forbidden) as error:
        workflow.decide(act(users["desk"]), story.pk, "approve")
    assert error.value.errors[0].code == "own_story"


def test_a_workflow_may_allow_authors_with_a_recorded_reason(users):
    Workflow.objects.update(allow_author_review=True)
    story = editor_written(users)
    with pytest.raises(ValidationFailed) as error:
        workflow.decide(act(users["editor"]), story.pk, "approve")
    assert error.value.errors[0].location == "author_reason"
    workflow.decide(act(users["editor"]), story.pk, "approve", author_reason="县级台仅一名编辑")
    event = AuditEvent.objects.get(action="review.own_story")
    assert event.changes["reason"] == "县级台仅一名编辑" and event.actor == users["editor"]
    assert ReviewRun.objects.get(story=story).steps.get(order=1).decided_by == users["editor"]


def test_own_story_through_the_api_and_the_page(users, token_for, client_for):
    story = editor_written(users)
    refused = api(Client(), "post", f"/stories/{story.pk}/review", token_for("editor"), {"decision": "approve"})
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "own_story"
    page = client_for("editor").get(f"/review/stories/{story.pk}/")
    assert b'name="decision"' not in page.content
    client_for("editor").post(f"/review/stories/{story.pk}/decide/", {"decision": "approve"})
    assert ReviewRun.objects.get(story=story).steps.get(order=1).status == "active"

    Workflow.objects.update(allow_author_review=True)
    page = client_for("editor").get(f"/review/stories/{story.pk}/")
    assert b'name="author_reason"' in page.content
    done = api(
        Client(),
        "post",
        f"/stories/{story.pk}/review",
        token_for("editor"),
        {"decision": "approve", "author_reason": "夜班仅一人"},
    )
    assert done.status_code == 200


# --- 10. the rule lists (sensitive words) only for staff with the rules capability ----------------------


def test_rule_lists_are_not_readable_by_every_account(users, token_for, client_for):
    for name in ("reporter", "duty", "liaison_em", "orphan_liaison"):
        exported = Client().get("/api/v1/proofread/rules.csv", HTTP_AUTHORIZATION=f"Bearer {token_for(name)}")
        assert exported.status_code == 403, name
        assert client_for(name).get("/review/rules/export.csv").status_code == 403, name
        assert client_for(name).get("/review/rules/").status_code == 403, name
    for name in ("editor", "chief", "admin"):
        exported = Client().get("/api/v1/proofread/rules.csv", HTTP_AUTHORIZATION=f"Bearer {token_for(name)}")
        assert exported.status_code == 200 and "category,term" in exported.content.decode(), name
        assert client_for(name).get("/review/rules/export.csv").status_code == 200, name
    assert Client().get("/review/rules/export.csv").status_code == 302  # to the sign-in page


# --- 11. a liaison sees only their partner's finished stories in a request's progress ---------------------


def test_request_progress_shows_a_liaison_only_their_partners_finished_titles(users, partners, client_for, token_for):
    import datetime as dt

    from django.utils import timezone

    from tongpin.planning import requests as request_service

    wanted = {"title": "汛期宣传", "description": "请报道", "wanted_by": timezone.localdate() + dt.timedelta(days=5)}
    request = request_service.submit_request(act(users["liaison_em"]), wanted)
    _, topic = request_service.accept_request(act(users["desk"]), request.pk)
    titles = {
        "本方草稿标题": ("em", "draft"),
        "本方已发布标题": ("em", "published"),
        "他方已通过标题": ("zone", "approved"),
    }
    for title, (partner, status) in titles.items():
        story = new_story(users["editor"], title=title, partner=partner)
        Story.objects.filter(pk=story.pk).update(topic=topic, status=status)

    page = client_for("liaison_em").get(f"/requests/{request.pk}/").content.decode()
    assert "本方已发布标题" in page
    assert "本方草稿标题" not in page and "他方已通过标题" not in page
    got = Client().get(f"/api/v1/requests/{request.pk}", HTTP_AUTHORIZATION=f"Bearer {token_for('liaison_em')}")
    assert got.json()["stories"] == 2 and got.json()["published"] == 1  # counts: own partner only

    staff_page = client_for("desk").get(f"/requests/{request.pk}/").content.decode()
    assert all(title in staff_page for title in titles)
    staff = Client().get(f"/api/v1/requests/{request.pk}", HTTP_AUTHORIZATION=f"Bearer {token_for('desk')}")
    assert staff.json()["stories"] == 3


# --- 6. what will be published changes only through review ----------------------------------------------


def _png(name="现场.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue())


def _approved(users, **fields):
    """A story taken through the real three steps."""
    story = new_story(users["reporter"], title="汛期防御工作部署", body_html=CLEAN_BODY, **fields)
    review_again(users, story.pk)
    return Story.objects.get(pk=story.pk)


def review_again(users, story_id):
    workflow.submit(act(users["reporter"]), story_id)
    for name in ("editor", "desk", "chief"):
        workflow.decide(act(users[name]), story_id, "approve")


def test_a_picture_added_after_approval_makes_a_revision_that_needs_review(users):
    from tongpin.newsroom.assets import attach_asset
    from tongpin.newsroom.publish import story_content

    story = _approved(users)
    assert story.status == StoryStatus.APPROVED and story.version == 1
    asset = attach_asset(act(users["reporter"]), story.pk, _png())
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT and story.version == 2
    latest = story.revisions.get(number=2)
    assert [a["key"] for a in latest.assets] == [asset.key.hex]
    assert story.revisions.get(number=1).assets == []  # the approved revision stays as it was
    assert AuditEvent.objects.filter(action="story.asset_add", object_id=str(story.pk)).exists()

    from tongpin.core.errors import Conflict
    from tongpin.newsroom.publish import publish_story

    with pytest.raises(Conflict):
        publish_story(act(users["desk"]), story.pk, [])
    review_again(users, story.pk)
    story.refresh_from_db()
    assert story.status == StoryStatus.APPROVED
    assert [i["name"] for i in story_content(story).images] == ["现场.png"]


def test_a_picture_added_in_review_restarts_the_run(users):
    from tongpin.newsroom.assets import attach_asset

    story = new_story(users["reporter"], title="汛期防御工作部署", body_html=CLEAN_BODY)
    workflow.submit(act(users["reporter"]), story.pk)
    workflow.decide(act(users["editor"]), story.pk, "approve")
    attach_asset(act(users["reporter"]), story.pk, _png())
    runs = list(ReviewRun.objects.filter(story=story).order_by("pk"))
    assert [r.status for r in runs] == ["restarted", "in_progress"] and runs[1].revision.number == 2
    with pytest.raises(Forbidden):  # 复审 cannot pass a picture 初审 has not seen
        workflow.decide(act(users["desk"]), story.pk, "approve")


def test_removing_a_picture_after_approval_also_needs_review(users):
    from tongpin.newsroom.assets import attach_asset, delete_asset

    story = new_story(users["reporter"], title="汛期防御工作部署", body_html=CLEAN_BODY)
    asset = attach_asset(act(users["reporter"]), story.pk, _png())
    review_again(users, story.pk)
    delete_asset(act(users["reporter"]), asset.key)
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT and story.revisions.get(number=story.version).assets == []


def test_a_published_story_takes_no_new_pictures(users, token_for, client_for):
    from tongpin.core.errors import Conflict
    from tongpin.newsroom.assets import attach_asset

    story = _approved(users)
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.PUBLISHED)
    with pytest.raises(Conflict) as error:
        attach_asset(act(users["reporter"]), story.pk, _png())
    assert error.value.errors[0].code == "not_editable"
    answer = Client().post(
        f"/api/v1/stories/{story.pk}/assets", {"file": _png()}, HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}"
    )
    assert answer.status_code == 409 and answer.json()["errors"][0]["code"] == "not_editable"
    page = client_for("editor").post(f"/stories/{story.pk}/assets/", {"file": _png()}, follow=True)
    assert page.status_code == 200 and not story.assets.exists()
    assert Story.objects.get(pk=story.pk).version == 1


def test_pictures_through_the_api_and_the_page_send_an_approved_story_back(users, token_for, client_for):
    story = _approved(users)
    made = Client().post(
        f"/api/v1/stories/{story.pk}/assets", {"file": _png()}, HTTP_AUTHORIZATION=f"Bearer {token_for('reporter')}"
    )
    assert made.status_code == 201
    got = Client().get(f"/api/v1/stories/{story.pk}", HTTP_AUTHORIZATION=f"Bearer {token_for('reporter')}").json()
    assert got["status"] == "draft" and got["version"] == 2

    other = _approved(users)
    client_for("reporter").post(f"/stories/{other.pk}/assets/", {"file": _png("图二.png")})
    other.refresh_from_db()
    assert other.status == StoryStatus.DRAFT and other.version == 2


def test_a_channel_version_edited_after_approval_needs_review_before_release(users, token_for, settings):
    from tongpin.newsroom.publish import publish_story
    from tongpin.publishing.models import Publication

    from .publishing_support import make_channel

    channel = make_channel(users["admin"], "app", "webhook", url="http://127.0.0.1:9/", secret="k")
    story = _approved(users)
    held = publish_story(act(users["desk"]), story.pk, [channel.pk], release_now=False)
    rendition = held.renditions.get()
    desk, editor = token_for("desk"), token_for("editor")
    edited = api(Client(), "patch", f"/renditions/{rendition.pk}", editor, {"fields": {"title": "改过的推送标题"}})
    assert edited.status_code == 200
    story.refresh_from_db()
    assert story.status == StoryStatus.DRAFT and story.version == 2
    latest = story.revisions.get(number=2)
    assert latest.channel_versions[0]["fields"]["title"] == "改过的推送标题"
    assert latest.channel_versions[0]["channel"] == channel.slug
    assert Publication.objects.get(pk=held.pk).source_version == 2

    refused = api(Client(), "post", f"/publications/{held.pk}/release", desk)
    assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "not_approved"
    review_again(users, story.pk)
    page = Client()
    page.force_login(users["chief"])
    assert "改过的推送标题" in page.get(f"/review/stories/{story.pk}/").content.decode()
    released = api(Client(), "post", f"/publications/{held.pk}/release", desk)
    assert released.status_code == 200
    # once it went out, the next revision no longer lists it as waiting for review
    from tongpin.newsroom.stories import StoryInput, update_story

    edited = update_story(act(users["reporter"]), story.pk, StoryInput.of(summary="补充摘要"), 2)
    assert edited.revisions.get(number=3).channel_versions == []


def test_a_held_publication_of_older_text_is_not_released(users, token_for):
    from tongpin.newsroom.publish import publish_story
    from tongpin.newsroom.stories import StoryInput, update_story

    from .publishing_support import make_channel

    channel = make_channel(users["admin"], "app", "webhook", url="http://127.0.0.1:9/", secret="k")
    story = _approved(users)
    held = publish_story(act(users["desk"]), story.pk, [channel.pk], release_now=False)
    update_story(act(users["reporter"]), story.pk, StoryInput.of(title="改了标题"), story.version)
    review_again(users, story.pk)
    refused = api(Client(), "post", f"/publications/{held.pk}/release", token_for("desk"))
    assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "stale_version"
