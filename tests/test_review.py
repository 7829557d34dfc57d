
import pytest
from django.test import Client

from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tongpin.core.models import AuditEvent, Notification
from tongpin.core.roles import Role
from tongpin.newsroom.models import Story, StoryStatus
from tongpin.newsroom.stories import StoryInput, update_story
from tongpin.review import proofing, workflow
from tongpin.review.models import ReviewRun, RunStatus, StepStatus, StoryFlag, Workflow

from .conftest import api, make_user, new_story

pytestmark = pytest.mark.django_db

CLEAN_BODY = "<p>省应急管理厅部署汛期防御工作，要求各地做好转移避险准备。</p>"


def act(user):
    return Actor(user, ip="127.0.0.1", via="test")


def submitted(users, body=CLEAN_BODY, **kw):
    story = new_story(users["reporter"], title="汛期防御工作部署", body_html=body, **kw)
    workflow.submit(act(users["reporter"]), story.pk)
    return Story.objects.get(pk=story.pk)


def test_full_three_level_pass(users):
    story = submitted(users)
    assert story.status == StoryStatus.IN_REVIEW
    assert Notification.objects.filter(user=users["editor"]).exists()
    assert not Notification.objects.filter(user=users["desk"]).exists()  # not their step yet
    workflow.decide(act(users["editor"]), story.pk, "approve", "初审通过")
    assert Notification.objects.filter(user=users["desk"]).exists()
    workflow.decide(act(users["desk"]), story.pk, "approve")
    run = workflow.decide(act(users["chief"]), story.pk, "approve", "同意签发")
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED
    assert Story.objects.get(pk=story.pk).status == StoryStatus.APPROVED
    assert [s.status for s in run.steps.all()] == [StepStatus.APPROVED] * 3
    assert [s.decided_by.username for s in run.steps.all()] == ["editor", "desk", "chief"]
    actions = list(AuditEvent.objects.filter(object_id=str(story.pk)).values_list("action", flat=True))
    assert {"review.submit", "review.approve", "story.approve"} <= set(actions)


def test_wrong_role_cannot_act(users):
    story = submitted(users)
    for name in ("desk", "chief", "reporter", "duty"):
        with pytest.raises(Forbidden):
            workflow.decide(act(users[name]), story.pk, "approve")


def test_same_person_may_not_do_two_steps(users):
    story = submitted(users)
    workflow.decide(act(users["editor"]), story.pk, "approve")
    users["editor"].role = "desk_chief"  # an editor promoted mid-run is still the same person
    users["editor"].save()
    with pytest.raises(Forbidden) as error:
        workflow.decide(act(users["editor"]), story.pk, "approve")
    assert error.value.errors[0].code == "same_person"


def test_allowed_same_person_needs_a_reason_and_is_audited(users):
    Workflow.objects.update(allow_same_person=True)
    story = submitted(users)
    workflow.decide(act(users["editor"]), story.pk, "approve")
    users["editor"].role = "desk_chief"
    users["editor"].save()
    with pytest.raises(ValidationFailed):
        workflow.decide(act(users["editor"]), story.pk, "approve")
    workflow.decide(act(users["editor"]), story.pk, "approve", same_person_reason="夜班仅一人值守")
    event = AuditEvent.objects.get(action="review.same_person")
    assert event.changes["reason"] == "夜班仅一人值守"


def test_changes_go_back_to_the_author_with_comment(users):
    story = submitted(users)
    with pytest.raises(ValidationFailed):
        workflow.decide(act(users["editor"]), story.pk, "changes")  # a comment is required
    workflow.decide(act(users["editor"]), story.pk, "changes", "请补充转移人数")
    assert Story.objects.get(pk=story.pk).status == StoryStatus.DRAFT
    assert Notification.objects.filter(user=users["reporter"], text__contains="退回").exists()


def test_reject_archives(users):
    story = submitted(users)
    workflow.decide(act(users["editor"]), story.pk, "reject", "与已发稿件重复")
    assert Story.objects.get(pk=story.pk).status == StoryStatus.ARCHIVED


def test_new_revision_restarts_the_run(users):
    story = submitted(users)
    workflow.decide(act(users["editor"]), story.pk, "approve")
    update_story(act(users["reporter"]), story.pk, StoryInput.of(title="汛期防御工作部署（更新）"), story.version)
    runs = list(ReviewRun.objects.filter(story=story).order_by("pk"))
    assert [r.status for r in runs] == [RunStatus.RESTARTED, RunStatus.IN_PROGRESS]
    assert runs[1].revision.number == 2 and runs[1].steps.get(order=1).status == StepStatus.ACTIVE
    with pytest.raises(Forbidden):  # 复审 cannot approve text 初审 has not seen
        workflow.decide(act(users["desk"]), story.pk, "approve")


def _open_notices(user) -> list[str]:
    return list(Notification.objects.filter(user=user, read_at=None).values_list("text", flat=True))


def test_notices_asking_for_a_decision_close_for_everyone_once_it_is_made(users, client_for):
    """The station trial: the editor-in-chief had ten unread 待终审 notices for stories already decided."""
    chief2 = make_user("chief2", Role.CHIEF_EDITOR)
    story = submitted(users)
    assert _open_notices(users["editor2"]) == ["待初审：汛期防御工作部署"]
    workflow.decide(act(users["editor"]), story.pk, "approve")
    assert _open_notices(users["editor"]) == _open_notices(users["editor2"]) == []  # decided, by one of them
    workflow.decide(act(users["desk"]), story.pk, "approve")
    assert _open_notices(users["chief"]) == _open_notices(chief2) == ["待终审：汛期防御工作部署"]
    assert '<span class="count">1</span>' in client_for("chief").get("/").content.decode()
    workflow.decide(act(chief2), story.pk, "approve")
    assert _open_notices(users["chief"]) == []
    assert '<span class="count">' not in client_for("chief").get("/").content.decode()  # the menu counts open ones
    assert Notification.objects.get(user=users["chief"]).read_at is not None  # kept, as read
    assert _open_notices(users["reporter"]) == ["稿件已通过终审：汛期防御工作部署"]  # news, not a request: stays


def test_notices_for_a_step_cancelled_by_a_new_revision_close(users):
    story = submitted(users)
    update_story(act(users["reporter"]), story.pk, StoryInput.of(title="汛期防御工作部署（更新）"), story.version)
    assert _open_notices(users["editor2"]) == ["待初审：汛期防御工作部署（更新）"]  # the old run's is done
    Workflow.objects.update(restart_on_revision=Workflow.Restart.STEP)
    story = Story.objects.get(pk=story.pk)
    update_story(act(users["reporter"]), story.pk, StoryInput.of(title="汛期防御"), story.version)
    assert _open_notices(users["editor2"]) == ["待初审：汛期防御"]  # the same step asks again, once


def test_step_restart_policy_keeps_earlier_steps(users):
    Workflow.objects.update(restart_on_revision=Workflow.Restart.STEP)
    story = submitted(users)
    workflow.decide(act(users["editor"]), story.pk, "approve")
    update_story(act(users["reporter"]), story.pk, StoryInput.of(title="改"), story.version)
    run = ReviewRun.objects.get(story=story)
    assert run.revision.number == 2 and run.steps.get(order=2).status == StepStatus.ACTIVE
    workflow.decide(act(users["desk"]), story.pk, "approve")


def test_proofreading_errors_block_final_approval_until_overridden(users):
    story = submitted(users, body="<p>要再接再励做好防讯工作。</p>")
    workflow.decide(act(users["editor"]), story.pk, "approve")
    workflow.decide(act(users["desk"]), story.pk, "approve")
    with pytest.raises(ValidationFailed) as error:
        workflow.decide(act(users["chief"]), story.pk, "approve")
    assert error.value.errors[0].code == "proofreading_errors"
    report = proofing.latest_report(Story.objects.get(pk=story.pk).revisions.get(number=1))
    for finding in proofing.report_view(report).blocking:
        proofing.override_finding(act(users["chief"]), report, finding["key"], "引用原文，保留")
    workflow.decide(act(users["chief"]), story.pk, "approve")
    assert Story.objects.get(pk=story.pk).status == StoryStatus.APPROVED
    assert AuditEvent.objects.filter(action="proofread.override").count() == 2


def test_claim_keeps_others_off(users):
    story = submitted(users)
    workflow.claim(act(users["editor"]), story.pk)
    with pytest.raises(Conflict):
        workflow.decide(act(users["editor2"]), story.pk, "approve")
    assert [s.run.story_id for s in workflow.review_queue(users["editor2"])] == [story.pk]


def test_queue_lists_only_what_i_can_act_on(users):
    story = submitted(users)
    assert [s.run.story_id for s in workflow.review_queue(users["editor"])] == [story.pk]
    assert workflow.review_queue(users["desk"]) == []
    assert workflow.review_queue(users["reporter"]) == []


def test_reporter_cannot_submit_someone_elses_story(users):
    story = new_story(users["reporter"])
    with pytest.raises(Forbidden):
        workflow.submit(act(users["reporter2"]), story.pk)
    with pytest.raises(NotFound):  # a liaison does not even see a draft
        workflow.submit(act(users["liaison_em"]), story.pk)


def test_a_story_without_body_text_stays_a_draft_when_sent_for_review(users):
    story = new_story(users["reporter"], title="只有标题", body_html="<p> &nbsp; </p>")  # a draft may be empty
    with pytest.raises(ValidationFailed) as error:
        workflow.submit(act(users["reporter"]), story.pk)
    [refusal] = error.value.errors
    assert refusal.code == "empty_body" and refusal.location == "body_html" and "正文是空的" in str(refusal.message)
    assert Story.objects.get(pk=story.pk).status == StoryStatus.DRAFT and not ReviewRun.objects.exists()


def test_submitting_twice_is_refused(users):
    story = submitted(users)
    with pytest.raises(Conflict):
        workflow.submit(act(users["reporter"]), story.pk)


def test_flag_and_withdraw_published_story(users):
    story = submitted(users)
    for name in ("editor", "desk", "chief"):
        workflow.decide(act(users[name]), story.pk, "approve")
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.PUBLISHED)
    flag = workflow.flag_story(act(users["duty"]), story.pk, "数据有误")
    with pytest.raises(Forbidden):
        workflow.resolve_flag(act(users["editor"]), flag.pk, True, "撤")
    workflow.resolve_flag(act(users["chief"]), flag.pk, True, "核实数据有误，撤稿")
    assert Story.objects.get(pk=story.pk).status == StoryStatus.WITHDRAWN
    assert StoryFlag.objects.get().state == StoryFlag.State.WITHDRAWN
    assert AuditEvent.objects.filter(action="story.withdraw").exists()




def test_review_through_the_api(users, token_for):
    story = new_story(users["reporter"], title="汛期防御", body_html=CLEAN_BODY)
    client = Client()
    run = api(client, "post", f"/stories/{story.pk}/submit", token_for("reporter"), {"version": 1})
    assert run.status_code == 201 and run.json()["steps"][0]["status"] == "active"
    bad = api(client, "post", f"/stories/{story.pk}/review", token_for("editor"), {"decision": "maybe"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "invalid_decision"
    wrong = api(client, "post", f"/stories/{story.pk}/review", token_for("desk"), {"decision": "approve"})
    assert wrong.status_code == 403
    for name in ("editor", "desk", "chief"):
        response = api(client, "post", f"/stories/{story.pk}/review", token_for(name), {"decision": "approve"})
        assert response.status_code == 200, response.content
    got = api(client, "get", f"/stories/{story.pk}/review", token_for("reporter")).json()
    assert got["status"] == "approved" and [s["decided_by"] for s in got["steps"]] == ["editor", "desk", "chief"]
    report = api(client, "get", f"/stories/{story.pk}/proofread", token_for("editor")).json()
    assert report["blocking"] == 0


def test_proofread_text_api_and_rules_csv(users, token_for):
    found = api(Client(), "post", "/proofread", token_for("reporter"), {"text": "北朝鲜"}).json()
    assert found[0]["suggestion"] == "朝鲜"
    csv_text = Client().get("/api/v1/proofread/rules.csv", HTTP_AUTHORIZATION=f"Bearer {token_for('editor')}")
    assert "category,term" in csv_text.content.decode()


def test_a_partner_sign_off_step_for_the_named_liaison(users, partners, client_for):
    from tongpin.review.models import WorkflowStep

    default = Workflow.objects.get(is_default=True)
    partner_flow = Workflow.objects.create(name="应急厅稿件：含合作方签发", partner=partners["em"])
    for template in default.steps.all():
        order = template.order if template.order < 3 else 4
        WorkflowStep.objects.create(
            workflow=partner_flow, order=order, name=template.name, role=template.role, is_final=template.is_final
        )
    sign_off = WorkflowStep.objects.create(workflow=partner_flow, order=3, name="合作方签发")
    sign_off.people.set([users["liaison_em"]])

    story = submitted(users, partner="em")
    assert ReviewRun.objects.get(story=story).workflow == partner_flow
    workflow.decide(act(users["editor"]), story.pk, "approve")
    workflow.decide(act(users["desk"]), story.pk, "approve")
    # The named liaison sees the draft under review, and only there; another partner's liaison does not.
    assert [s.run.story_id for s in workflow.review_queue(users["liaison_em"])] == [story.pk]
    assert client_for("liaison_em").get(f"/review/stories/{story.pk}/").status_code == 200
    assert client_for("liaison_em").get(f"/stories/{story.pk}/").status_code == 404
    assert client_for("liaison_zone").get(f"/review/stories/{story.pk}/").status_code == 404
    with pytest.raises(Forbidden):
        workflow.decide(act(users["chief"]), story.pk, "approve")  # not yet: the partner signs off first
    workflow.decide(act(users["liaison_em"]), story.pk, "approve", "我厅确认内容无误")
    assert workflow.review_queue(users["liaison_em"]) == []
    workflow.decide(act(users["chief"]), story.pk, "approve")
    assert Story.objects.get(pk=story.pk).status == StoryStatus.APPROVED
