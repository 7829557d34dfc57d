import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongpin.core.models import Notification
from tongpin.core.roles import Role
from tongpin.newsroom.models import Story, StoryStatus
from tongpin.review import workflow
from tongpin.review.models import ProofRule, ProofRuleChange, RosterEntry, Workflow

from .conftest import actor, new_story
from .form_checks import decision_forms, enter_picks_a_decision

pytestmark = pytest.mark.django_db


def test_submit_queue_review_page_and_decisions(users, client_for):
    story = new_story(users["reporter"], title="防汛工作部署", body_html="<p>要再接再励做好防讯工作。</p>")
    reporter = client_for("reporter")
    page = reporter.get(f"/review/stories/{story.pk}/").content.decode()
    assert 'class="f f-error c-typo"' in page and "再接再厉" in page  # findings marked inline with the fix
    assert reporter.post(f"/review/stories/{story.pk}/submit/").status_code == 302
    editor = client_for("editor")
    assert "防汛工作部署" in editor.get("/review/").content.decode()
    assert "防汛工作部署" not in client_for("desk").get("/review/").content.decode()
    response = editor.post(
        f"/review/stories/{story.pk}/decide/", {"decision": "approve", "comment": "可以"}, follow=True
    )
    assert "已通过本步审核" in response.content.decode()
    again = editor.post(f"/review/stories/{story.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "不能审核这一步" in again.content.decode()
    assert Notification.objects.filter(user=users["desk"]).exists()
    assert "通知" in client_for("desk").get("/notifications/").content.decode()


def test_accepting_a_fix_saves_a_new_revision_and_restarts_review(users, client_for):
    story = new_story(users["reporter"], body_html="<p>请<strong>注意</strong>：要再接再励做好防讯工作。</p>")
    reporter = client_for("reporter")
    reporter.post(f"/review/stories/{story.pk}/submit/")
    page = reporter.get(f"/review/stories/{story.pk}/")
    finding = next(f for f in page.context["view"].findings if f["text"] == "防讯")
    response = reporter.post(f"/review/stories/{story.pk}/fix/", {"key": finding["key"]}, follow=True)
    assert "已采纳建议" in response.content.decode()
    story.refresh_from_db()
    assert story.version == 2 and "防汛" in story.body_html and "<strong>注意</strong>" in story.body_html
    assert story.review_runs.filter(status="in_progress").get().revision.number == 2


def test_accepting_a_fix_past_the_first_step_says_review_goes_back_to_it(users, client_for):
    """The station trial: at 终审 the chief adopted 再接再励 → 再接再厉 and the story went silently back to 初审."""
    story = new_story(users["reporter"], title="防汛工作部署", body_html="<p>要再接再励做好防汛工作。</p>")
    workflow.submit(actor(users["reporter"]), story.pk)
    chief = client_for("chief")
    page = chief.get(f"/review/stories/{story.pk}/").content.decode()
    assert ">采纳</button>" in page and "data-confirm" not in page  # at 初审 a fix costs no decision
    workflow.decide(actor(users["editor"]), story.pk, "approve")
    workflow.decide(actor(users["desk"]), story.pk, "approve")
    page = chief.get(f"/review/stories/{story.pk}/")
    assert 'data-confirm="采纳后正文改变，稿件将退回初审重新审核。确定？">采纳</button>' in page.content.decode()
    finding = next(f for f in page.context["view"].findings if f["text"] == "再接再励")
    done = chief.post(f"/review/stories/{story.pk}/fix/", {"key": finding["key"]}, follow=True).content.decode()
    assert "已采纳建议并保存为新版本。正文已改变，稿件退回初审重新审核。" in done
    assert story.review_runs.filter(status="in_progress").get().steps.get(status="active").name == "初审"


def test_override_needs_a_reason(users, client_for):
    story = new_story(users["reporter"], body_html="<p>北朝鲜</p>")
    client_for("reporter").post(f"/review/stories/{story.pk}/submit/")
    editor = client_for("editor")
    key = editor.get(f"/review/stories/{story.pk}/").context["view"].findings[0]["key"]
    refused = editor.post(f"/review/stories/{story.pk}/override/", {"key": key, "reason": " "}, follow=True)
    assert "请填写保留此处的理由" in refused.content.decode()
    editor.post(f"/review/stories/{story.pk}/override/", {"key": key, "reason": "引语原文"})
    assert editor.get(f"/review/stories/{story.pk}/").context["view"].blocking == []


def test_rules_page_edit_import_and_broken_file(users, client_for):
    admin = client_for("admin")
    assert client_for("reporter").get("/review/rules/").status_code == 403
    admin.post(
        "/review/rules/save/",
        {"category": "typo", "term": "座阵", "suggestion": "坐镇", "severity": "warning", "source": "本台规范"},
    )
    rule = ProofRule.objects.get(category="typo", term="座阵")
    assert rule.severity == "warning" and rule.version == 1
    admin.post(
        "/review/rules/save/",
        {
            "id": rule.pk,
            "category": "typo",
            "term": "座阵",
            "suggestion": "坐镇",
            "severity": "error",
            "source": "本台规范",
        },
    )
    rule.refresh_from_db()
    assert rule.severity == "error" and rule.version == 2
    assert ProofRuleChange.objects.filter(rule_key="typo:座阵").count() == 2
    dup = admin.post(
        "/review/rules/save/", {"category": "typo", "term": "座阵", "severity": "error", "source": "x"}, follow=True
    )
    assert "同类别下已有这个词语" in dup.content.decode()
    bad = "category,term,suggestion,severity,source,note\ntypo,甲,乙,error,s,\ntypo,丙,丁,fatal,s,\n"
    response = admin.post("/review/rules/import/", {"file": SimpleUploadedFile("r.csv", bad.encode())}, follow=True)
    assert "r.csv:3" in response.content.decode()
    assert not ProofRule.objects.filter(term="甲").exists()  # nothing half-imported
    good = "category,term,suggestion,severity,source,note\ntypo,甲乙丙,甲乙丁,error,本台规范,\n"
    admin.post("/review/rules/import/", {"file": SimpleUploadedFile("r.csv", good.encode())})
    assert ProofRule.objects.filter(term="甲乙丙").exists()
    export = admin.get("/review/rules/export.csv").content.decode()
    assert "甲乙丙" in export
    # The checker picks up the change at once.
    found = client_for("editor").post("/api/v1/proofread", data='{"text": "甲乙丙"}', content_type="application/json")
    assert found.json()[0]["suggestion"] == "甲乙丁"


def test_roster_import_and_leader_findings(users, client_for):
    admin = client_for("admin")
    roster = "name,title,rank\n张明远,厅长,1\n李文华,副厅长,2\n"
    admin.post("/review/roster/import/", {"file": SimpleUploadedFile("roster.csv", roster.encode())})
    assert RosterEntry.objects.count() == 2
    found = (
        client_for("editor")
        .post("/api/v1/proofread", data='{"text": "副厅长张明远"}', content_type="application/json")
        .json()
    )
    assert found[0]["rule"] == "leader:wrong-title"


def test_flag_and_withdraw_from_the_page(users, client_for):
    story = new_story(users["reporter"], title="已发布稿件")
    Story.objects.filter(pk=story.pk).update(status=StoryStatus.PUBLISHED)
    client_for("duty").post(f"/review/stories/{story.pk}/flag/", {"reason": "数字有误"})
    flag = story.flags.get()
    client_for("chief").post(f"/review/flags/{flag.pk}/resolve/", {"withdraw": "1", "note": "撤稿更正"})
    assert Story.objects.get(pk=story.pk).status == StoryStatus.WITHDRAWN


def test_no_typed_reason_on_the_review_page_can_pick_a_decision_with_enter(users, client_for):
    """Enter in a one-line field submits with the form's first button: 通过 in the decision form, 撤稿 when
    resolving a flag. Every reason beside those buttons is a textarea, so only a click decides."""
    Workflow.objects.update(allow_same_person=True, allow_author_review=True)
    story = new_story(users["editor"], title="汛期防御工作部署", body_html="<p>全市做好防汛准备。</p>")
    workflow.submit(actor(users["editor"]), story.pk)
    workflow.decide(actor(users["editor"]), story.pk, "approve", author_reason="夜班仅一人")
    users["editor"].role = Role.DESK_CHIEF  # now the next step's reviewer: own story, and a step already decided
    users["editor"].save()
    page = client_for("editor").get(f"/review/stories/{story.pk}/").content.decode()
    assert 'name="same_person_reason"' in page and 'name="author_reason"' in page
    assert [f["buttons"] for f in decision_forms(page)] == [["approve", "changes", "reject"]]
    assert enter_picks_a_decision(page) == []

    published = new_story(users["reporter"], title="已发布稿件")
    Story.objects.filter(pk=published.pk).update(status=StoryStatus.PUBLISHED)
    client_for("duty").post(f"/review/stories/{published.pk}/flag/", {"reason": "数字有误"})
    page = client_for("chief").get(f"/review/stories/{published.pk}/").content.decode()
    assert [f["buttons"] for f in decision_forms(page)] == [["1", "0"]]  # 撤稿 / 不撤稿
    assert enter_picks_a_decision(page) == []


def test_submit_with_priority_orders_the_queue(users, client_for):
    normal = new_story(users["reporter"], title="普通稿")
    urgent = new_story(users["reporter"], title="特急稿")
    reporter = client_for("reporter")
    reporter.post(f"/review/stories/{normal.pk}/submit/", {"priority": "0"})
    reporter.post(f"/review/stories/{urgent.pk}/submit/", {"priority": "2"})
    bad = new_story(users["reporter"], title="坏优先级")
    refused = reporter.post(f"/review/stories/{bad.pk}/submit/", {"priority": "x"}, follow=True)
    assert "未知的优先级" in refused.content.decode()
    assert Story.objects.get(pk=bad.pk).status == StoryStatus.DRAFT  # nothing half-done
    page = client_for("editor").get("/review/").content.decode()
    assert page.index("特急稿") < page.index("普通稿")


def test_installed_plugins_join_the_checker(users, monkeypatch):
    from tongpin.review import proofing
    from tongpin.review.proofreading import Finding

    def plugin(text):
        return [Finding(0, len(text), text, "custom", "info", None, "plugin:demo")]

    monkeypatch.setattr(proofing, "installed_plugins", lambda: [plugin])
    monkeypatch.setitem(proofing._cache, "key", None)
    assert [f.rule for f in proofing.check_text("好")] == ["plugin:demo"]
    monkeypatch.setitem(proofing._cache, "key", None)


def test_roster_edits_anywhere_rebuild_the_checker(users):
    from tongpin.review import proofing

    assert not [f for f in proofing.check_text("副厅长张明远") if f.category == "leader"]
    RosterEntry.objects.create(name="张明远", title="厅长", rank=1)  # as the admin site would
    assert [f.rule for f in proofing.check_text("副厅长张明远") if f.category == "leader"] == ["leader:wrong-title"]
    RosterEntry.objects.all().delete()
    assert not [f for f in proofing.check_text("副厅长张明远") if f.category == "leader"]


def test_reviewers_see_the_pictures_published_with_the_text(users, client_for):
    from .test_assets import png

    story = new_story(users["reporter"], title="演练现场", body_html="<p>群众有序转移。</p>")
    reporter = client_for("reporter")
    picture = SimpleUploadedFile("现场.png", png(), content_type="image/png")
    assert reporter.post(f"/stories/{story.pk}/assets/", {"file": picture, "caption": "转移现场"}).status_code == 302
    assert reporter.post(f"/review/stories/{story.pk}/submit/").status_code == 302
    page = client_for("editor").get(f"/review/stories/{story.pk}/").content.decode()
    assert 'id="assets"' in page and "现场.png" in page and "转移现场" in page and "/thumbnail" in page


def test_story_page_sends_a_draft_for_review_and_hides_the_button_afterwards(users, client_for):
    story = new_story(users["reporter"], title="汛期值班安排")
    reporter = client_for("reporter")
    page = reporter.get(f"/stories/{story.pk}/").content.decode()
    submit_url = f"/review/stories/{story.pk}/submit/"
    assert f'action="{submit_url}"' in page
    reporter.post(submit_url)
    story.refresh_from_db()
    assert story.status == StoryStatus.IN_REVIEW
    assert f'action="{submit_url}"' not in reporter.get(f"/stories/{story.pk}/").content.decode()


def test_a_refused_final_approval_keeps_the_chiefs_comment(users, client_for):
    story = new_story(users["reporter"], body_html="<p>要再接再励做好防讯工作。</p>")
    client_for("reporter").post(f"/review/stories/{story.pk}/submit/")
    for name in ("editor", "desk"):
        client_for(name).post(f"/review/stories/{story.pk}/decide/", {"decision": "approve"})
    typed = "同意签发，<标题>再斟酌"
    refused = client_for("chief").post(f"/review/stories/{story.pk}/decide/", {"decision": "approve", "comment": typed})
    page = refused.content.decode()
    assert refused.status_code == 200 and "处校对错误未处理" in page  # the page again, not a redirect
    assert 'maxlength="5000">同意签发，&lt;标题&gt;再斟酌</textarea>' in page
    story.refresh_from_db()
    assert story.status == StoryStatus.IN_REVIEW



def test_a_refused_rule_keeps_what_was_typed(users, client_for):
    admin = client_for("admin")
    typed = {"category": "typo", "term": "座阵", "suggestion": "坐镇", "severity": "warning", "source": " ",
             "note": "见本台用语手册第 3 条"}  # fmt: skip
    refused = admin.post("/review/rules/save/", typed)
    page = refused.content.decode()
    assert refused.status_code == 200 and "请注明规则来源" in page
    assert 'value="座阵"' in page and 'value="坐镇"' in page and 'value="见本台用语手册第 3 条"' in page
    assert '<option value="warning" selected>' in page and "新增规则" in page and 'name="id"' not in page
    rule = ProofRule.objects.create(category="typo", term="座阵", suggestion="坐镇", severity="error", source="规范")
    again = admin.post("/review/rules/save/", {**typed, "id": rule.pk, "term": "坐阵"}).content.decode()
    assert 'value="坐阵"' in again and f'name="id" value="{rule.pk}"' in again and "修改规则" in again
    assert client_for("reporter").post("/review/rules/save/", typed).status_code == 403
