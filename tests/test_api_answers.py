"""The exact JSON (keys, their order, values) of the newsroom, review and warning-lane configuration answers,
written out from the stored objects: the output schemas read the objects themselves (docs/architecture.md,
"API resources"), and these tests pin that nothing a client reads changed when the hand-written mappers went."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Min
from django.test import Client
from django.test.utils import CaptureQueriesContext
from ninja.responses import NinjaJSONEncoder
from PIL import Image

from tongpin.alerts.models import Coverage, SenderCertificate, SenderIdentity
from tongpin.api import api as ninja_api
from tongpin.core.roles import Role
from tongpin.newsroom.models import Asset, Revision, Story
from tongpin.publishing.models import Delivery
from tongpin.review import proofing
from tongpin.review.models import ReviewRun

from .conftest import api, make_user, new_story
from .publishing_support import make_channel
from .test_lane_config import certificate_pem

pytestmark = pytest.mark.django_db


def exactly(response, status: int, expected) -> None:
    """The answer is `expected` as the API encodes it, byte for byte (key order included)."""
    assert response.status_code == status, response.content
    assert response.content.decode() == json.dumps(expected, cls=NinjaJSONEncoder)


def story_json(story: Story) -> dict:
    story = Story.objects.get(pk=story.pk)
    return {
        "id": story.pk,
        "title": story.title,
        "summary": story.summary,
        "body_html": story.body_html,
        "status": story.status,
        "status_label": str(story.get_status_display()),
        "version": story.version,
        "partner": story.partner.slug if story.partner_id else None,
        "campaign_id": story.campaign_id,
        "topic_id": story.topic_id,
        "assignment_id": story.assignment_id,
        "tags": [t.name for t in story.tags.all()],
        "channel_intentions": story.channel_intentions,
        "authors": [{"id": a.pk, "username": a.username, "name": str(a)} for a in story.authors.all()],
        "created_at": story.created_at,
        "updated_at": story.updated_at,
        "published_at": Delivery.objects.filter(rendition__publication__source_type="story",
                                                rendition__publication__source_id=story.pk, state="success",
                                                action="publish").aggregate(first=Min("delivered_at"))["first"],
    }


def revision_json(revision: Revision) -> dict:
    return {"number": revision.number, "title": revision.title, "summary": revision.summary,
            "body_html": revision.body_html, "tags": revision.tags, "channel_intentions": revision.channel_intentions,
            "created_by": str(revision.created_by), "created_at": revision.created_at,
            "note": revision.note}  # fmt: skip


def asset_json(asset: Asset) -> dict:
    key = asset.key.hex
    return {"key": key, "kind": asset.kind, "mime_type": asset.mime_type, "original_name": asset.original_name,
            "size": asset.size, "sha256": asset.sha256, "width": asset.width, "height": asset.height,
            "caption": asset.caption, "download_url": f"/api/v1/assets/{key}/download",
            "thumbnail_url": f"/api/v1/assets/{key}/thumbnail" if asset.thumbnail else None}  # fmt: skip


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_story_answers_are_the_stored_story(users, partners, token_for):
    token = token_for("reporter")
    body = {"title": "汛期防御工作部署", "summary": "摘要", "body_html": "<p>第一段</p>", "partner": "em",
            "tags": ["防汛", "应急"], "channel_intentions": ["wechat", "sms"],
            "author_ids": [users["reporter"].pk, users["reporter2"].pk]}  # fmt: skip
    created = api(Client(), "post", "/stories", token, body)
    story = Story.objects.get()
    exactly(created, 201, story_json(story))
    exactly(api(Client(), "get", f"/stories/{story.pk}", token), 200, story_json(story))
    changed = api(Client(), "patch", f"/stories/{story.pk}", token, {"version": 1, "title": "改题", "tags": ["防汛"]})
    exactly(changed, 200, story_json(story))
    restored = api(Client(), "post", f"/stories/{story.pk}/revisions/1/restore", token, {"version": 2})
    exactly(restored, 200, story_json(story))
    assert restored.json()["version"] == 3 and restored.json()["title"] == "汛期防御工作部署"

    revisions = story.revisions.select_related("created_by")
    listed = [{"number": r.number, "title": r.title, "created_by": str(r.created_by), "created_at": r.created_at,
               "note": r.note} for r in revisions]  # fmt: skip
    exactly(api(Client(), "get", f"/stories/{story.pk}/revisions", token), 200, listed)
    first = revisions.get(number=1)
    exactly(api(Client(), "get", f"/stories/{story.pk}/revisions/1", token), 200, revision_json(first))


def test_a_story_without_partner_or_authors_answers_nulls_and_empty_lists(users, token_for):
    created = api(Client(), "post", "/stories", token_for("reporter"), {"title": "无合作单位"})
    exactly(created, 201, story_json(Story.objects.get()))
    assert created.json()["partner"] is None and created.json()["tags"] == []


def test_asset_answers_are_the_stored_assets(users, token_for):
    story = new_story(users["reporter"])
    token = token_for("reporter")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    picture = Client().post(f"/api/v1/stories/{story.pk}/assets",
                            {"file": SimpleUploadedFile("现场.png", png()), "caption": "说明"}, **headers)  # fmt: skip
    exactly(picture, 201, asset_json(Asset.objects.get()))
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    document = Client().post(f"/api/v1/stories/{story.pk}/assets",
                             {"file": SimpleUploadedFile("通知.pdf", pdf)}, **headers)  # fmt: skip
    assert document.json()["thumbnail_url"] is None and document.json()["width"] is None
    exactly(document, 201, asset_json(Asset.objects.get(original_name="通知.pdf")))
    listed = [asset_json(a) for a in Story.objects.get(pk=story.pk).assets.all()]
    exactly(api(Client(), "get", f"/stories/{story.pk}/assets", token), 200, listed)


def story_item(story: Story, highlight_title=None, highlight=None) -> dict:
    return {"id": story.pk, "title": story.title, "summary": story.summary, "status": story.status,
            "version": story.version, "partner": story.partner.slug if story.partner_id else None,
            "tags": sorted(t.name for t in story.tags.all()), "updated_at": story.updated_at,
            "highlight_title": highlight_title, "highlight": highlight}  # fmt: skip


def test_story_list_answers_rows_and_search_highlights(users, partners, token_for):
    token = token_for("editor")
    plain = new_story(users["reporter"], title="普通稿件", tags=["乙", "甲"], partner="em")
    found = new_story(users["reporter"], title="森林防火宣传", body_html="<p>森林防火，人人有责。</p>")
    listed = api(Client(), "get", "/stories?page_size=5", token)
    newest_first = [story_item(found), story_item(plain)]
    exactly(listed, 200, {"count": 2, "more": False, "page": 1, "page_size": 5, "results": newest_first})
    searched = api(Client(), "get", "/stories?q=森林防火", token)
    item = searched.json()["results"][0]
    assert "<mark>" in item["highlight_title"] and "<mark>" in item["highlight"]
    expected = story_item(found, item["highlight_title"], item["highlight"])
    exactly(searched, 200, {"count": 1, "more": False, "page": 1, "page_size": 20, "results": [expected]})


def test_story_list_asks_the_same_number_of_queries_for_any_number_of_rows(
    users, partners, token_for, django_assert_max_num_queries
):
    token = token_for("editor")

    def listing_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api(Client(), "get", "/stories?page_size=100", token).status_code == 200
        return len(queries)

    new_story(users["reporter"], title="第一篇", tags=["防汛"], partner="em")
    few = listing_queries()
    for number in range(25):
        new_story(users["reporter"], title=f"稿件{number}", tags=["防汛", f"标签{number}"], partner="zone")
    with django_assert_max_num_queries(few):
        answer = api(Client(), "get", "/stories?page_size=100", token)
    assert len(answer.json()["results"]) == 26


def run_json(run: ReviewRun) -> dict:
    run = ReviewRun.objects.get(pk=run.pk)
    steps = [
        {"order": s.order, "name": s.name, "role": s.role, "status": s.status, "due_at": s.due_at,
         "claimed_by": str(s.claimed_by) if s.claimed_by else None,
         "decided_by": str(s.decided_by) if s.decided_by else None, "decided_at": s.decided_at,
         "comments": [{"author": str(c.author), "text": c.text, "decision": c.decision, "created_at": c.created_at}
                      for c in s.comments.all()]}
        for s in run.steps.all()
    ]  # fmt: skip
    return {"id": run.pk, "status": run.status, "revision": run.revision.number, "workflow": run.workflow.name,
            "priority": run.priority, "submitted_by": str(run.submitted_by), "submitted_at": run.submitted_at,
            "finished_at": run.finished_at, "steps": steps}  # fmt: skip


def report_json(report) -> dict:
    report.refresh_from_db()
    overrides = dict(report.overrides.values_list("finding_key", "reason"))
    fields = ("start", "end", "text", "category", "severity", "suggestion", "rule", "source", "message")
    findings = [{"key": proofing.finding_key(f), **{name: f[name] for name in fields},
                 "overridden": overrides.get(proofing.finding_key(f))} for f in report.findings]  # fmt: skip
    blocking = len(proofing.report_view(report).blocking)
    return {"revision": report.revision.number, "rules_version": report.rules_version, "blocking": blocking,
            "findings": findings}  # fmt: skip


def test_review_and_proofread_answers_are_the_stored_run_and_report(users, token_for):
    story = new_story(users["reporter"], title="汛期防御", body_html="<p>北朝鲜代表团来访，省应急管理厅部署工作。</p>")
    client = Client()
    submitted = api(client, "post", f"/stories/{story.pk}/submit", token_for("reporter"), {"version": 1, "priority": 1})
    run = ReviewRun.objects.get()
    exactly(submitted, 201, run_json(run))
    decided = api(client, "post", f"/stories/{story.pk}/review", token_for("editor"),
                  {"decision": "approve", "comment": "初审通过"})  # fmt: skip
    exactly(decided, 200, run_json(run))
    claimed = api(client, "post", f"/stories/{story.pk}/review/claim", token_for("desk"))
    exactly(claimed, 200, run_json(run))
    assert claimed.json()["steps"][1]["claimed_by"] == "desk"
    assert claimed.json()["steps"][0]["comments"][0]["text"] == "初审通过"
    exactly(api(client, "get", f"/stories/{story.pk}/review", token_for("reporter")), 200, run_json(run))

    report = proofing.latest_report(story.revisions.get(number=1))
    got = api(client, "get", f"/stories/{story.pk}/proofread", token_for("editor"))
    exactly(got, 200, report_json(report))
    key = got.json()["findings"][0]["key"]
    kept = api(client, "post", f"/stories/{story.pk}/proofread/overrides", token_for("editor"),
               {"key": key, "reason": "引语原文"})  # fmt: skip
    exactly(kept, 200, report_json(report))
    assert kept.json()["findings"][0]["overridden"] == "引语原文"
    again = api(client, "post", f"/stories/{story.pk}/proofread", token_for("editor"))
    exactly(again, 200, report_json(proofing.latest_report(story.revisions.get(number=1))))


def test_sender_binding_answers(users, token_for):
    admin = token_for("admin")
    make_user("ganzhou", Role.ALERT_SENDER)
    created = api(Client(), "post", "/alert-senders", admin,
                  {"username": "ganzhou", "sender": "gzqx@cma.gov.cn", "note": "赣州"})  # fmt: skip
    identity = SenderIdentity.objects.get()

    def binding(i):
        return {"id": i.pk, "username": i.user.username, "sender": i.sender, "note": i.note, "added_at": i.added_at}

    exactly(created, 201, binding(identity))
    exactly(api(Client(), "get", "/alert-senders", admin), 200, [binding(identity)])


def test_coverage_answers_with_and_without_stored_coverage(users, token_for):
    admin = token_for("admin")
    bare = make_channel(users["admin"], "app", "webhook", slug="jx-app", url="https://example.com/hook", secret="k")
    defaults = {"area_codes": [], "polygons": [], "everywhere": False, "min_level": "blue",
                "accepts_restricted": False, "channel_id": bare.pk, "configured": False, "areas": []}  # fmt: skip
    exactly(api(Client(), "get", f"/channels/{bare.pk}/coverage", admin), 200, defaults)
    ring = [[28.6, 115.8], [28.7, 115.9], [28.6, 116.0], [28.6, 115.8]]
    sent = {"area_codes": ["360100000000"], "polygons": [ring], "min_level": "orange", "accepts_restricted": True}
    put = api(Client(), "put", f"/channels/{bare.pk}/coverage", admin, sent)
    stored = {"area_codes": ["360100000000"], "polygons": [ring], "everywhere": False, "min_level": "orange",
              "accepts_restricted": True, "channel_id": bare.pk, "configured": True,
              "areas": [{"code": "360100000000", "name": "江西省 南昌市"}]}  # fmt: skip
    exactly(put, 200, stored)
    exactly(api(Client(), "get", f"/channels/{bare.pk}/coverage", admin), 200, stored)
    Coverage.objects.filter(channel=bare).update(area_codes=[], polygons=[], everywhere=False)
    empty = {**stored, "area_codes": [], "polygons": [], "configured": False, "areas": []}
    exactly(api(Client(), "get", f"/channels/{bare.pk}/coverage", admin), 200, empty)


def test_certificate_answers_readable_and_not(users, token_for, client_for):
    from tongpin.alerts import lane_config

    admin = token_for("admin")
    added = api(Client(), "post", "/alerts/certificates", admin, {"sender": "jxqx@cma.gov.cn", "pem": certificate_pem(),
                                                                  "note": "2026"})  # fmt: skip
    good = SenderCertificate.objects.get()
    info = lane_config.certificate_info(good.pem)
    readable = {"id": good.pk, "sender": good.sender, "note": good.note, "subject": info.subject,
                "issuer": info.issuer, "fingerprint": info.fingerprint, "not_after": info.not_after,
                "expired": False, "added_at": good.added_at}  # fmt: skip
    exactly(added, 201, readable)
    old = SenderCertificate.objects.create(sender="old@cma.gov.cn", pem="not a certificate", note="admin")
    unreadable = {"id": old.pk, "sender": old.sender, "note": old.note, "subject": "", "issuer": "",
                  "fingerprint": "", "not_after": None, "expired": False, "added_at": old.added_at}  # fmt: skip
    exactly(api(Client(), "get", "/alerts/certificates", admin), 200, [readable, unreadable])
    page = client_for("admin").get("/alerts/settings/certificates/").content.decode()  # the page reads `info` too
    assert info.fingerprint in page and page.count('<td colspan="3">') == 1


def test_patch_schemas_take_the_fields_they_took(users):
    components = ninja_api.get_openapi_schema()["components"]["schemas"]
    channel = components["ChannelPatch"]
    assert list(channel["properties"]) == ["name", "settings", "partner", "is_active", "for_tests", "max_attempts"]
    assert "required" not in channel
    assert components["RenditionPatch"]["required"] == ["fields"]
    story = components["StoryPatch"]
    fields = "version title summary body_html partner campaign_id topic_id assignment_id tags channel_intentions"
    assert list(story["properties"]) == [*fields.split(), "author_ids"]
    assert story["required"] == ["version"]


def queue_json(user) -> list[dict]:
    from tongpin.review.workflow import review_queue

    return [{"story_id": s.run.story_id, "title": s.run.story.title, "step": s.name, "due_at": s.due_at,
             "priority": s.run.priority, "claimed_by": str(s.claimed_by) if s.claimed_by else None}
            for s in review_queue(user)]  # fmt: skip


def test_review_queue_answers_the_steps_waiting_and_reads_them_in_a_fixed_number_of_queries(users, token_for):
    editor = token_for("editor")
    first = new_story(users["reporter"], title="第一篇")
    api(Client(), "post", f"/stories/{first.pk}/submit", token_for("reporter"), {"priority": 2})
    api(Client(), "post", f"/stories/{first.pk}/review/claim", editor)
    answer = api(Client(), "get", "/review/queue", editor)
    exactly(answer, 200, queue_json(users["editor"]))
    assert answer.json()[0]["claimed_by"] == "editor" and answer.json()[0]["priority"] == 2

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api(Client(), "get", "/review/queue", token_for("editor2")).status_code == 200
        return len(captured)

    one = queries()
    for number in range(4):
        author = "reporter2" if number % 2 else "reporter"
        story = new_story(users[author], title=f"稿件{number}")
        api(Client(), "post", f"/stories/{story.pk}/submit", token_for(author), {})
    more = api(Client(), "get", "/review/queue", token_for("editor2"))
    assert len(more.json()) == 5
    exactly(more, 200, queue_json(users["editor2"]))
    assert queries() == one


def test_flag_answers_its_id_and_state(users, token_for):
    from tongpin.newsroom.models import StoryStatus
    from tongpin.review.models import StoryFlag

    story = new_story(users["reporter"])
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.PUBLISHED)
    raised = api(Client(), "post", f"/stories/{story.pk}/flags", token_for("duty"), {"reason": "数据有误"})
    flag = StoryFlag.objects.get()
    exactly(raised, 201, {"id": flag.pk, "state": "open"})
    dismissal = {"withdraw": False, "note": "无误"}
    dismissed = api(Client(), "post", f"/flags/{flag.pk}/resolve", token_for("chief"), dismissal)
    flag.refresh_from_db()
    exactly(dismissed, 200, {"id": flag.pk, "state": flag.state})
    assert flag.state == "dismissed"
