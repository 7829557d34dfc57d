"""Codes the system writes down, shown in words: audit actions, object types and changes; delivery attempts; the
rule change log. (The crawl in test_crawl.py checks whole pages; these pin the pieces.)"""

import ast
import datetime as dt
import pathlib
import re

import pytest

import tongpin
from tongpin.core.audit import Actor, record
from tongpin.core.auditlabels import action_label, changes_lines, object_type_label
from tongpin.core.models import AuditEvent
from tongpin.newsroom.stories import TRANSITIONS
from tongpin.publishing.models import DeliveryAttempt
from tongpin.review.models import ProofRuleChange
from tongpin.review.workflow import DECISIONS

from .conftest import new_story

CHINESE = re.compile(r"[\u4e00-\u9fff]")
WRITERS = {"record", "save", "delete", "_new_revision", "_set_state"}  # functions that take an audit action
# An action code, not a file name (a thumbnail's .save("thumb.jpg", …)).
ACTION = re.compile(r"[a-z_]+\.(?!(?:jpg|png|csv|pdf|xml|json)$)[a-z_]+")


def actions_in_the_code() -> set[str]:
    """Every literal `x.y` handed to a function that writes the audit log, and the families built in f-strings."""
    found = {f"story.{name}" for name in TRANSITIONS.values()} | {f"review.{name}" for name in DECISIONS}
    found |= {"admin.add", "admin.change"}
    for path in pathlib.Path(tongpin.__file__).parent.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None)
            name = getattr(name, "attr", None) or getattr(name, "id", None)
            if not (isinstance(node, ast.Call) and name in WRITERS):
                continue
            for argument in node.args:  # positional: object_type="core.user" is not an action
                for part in ast.walk(argument):
                    value = getattr(part, "value", None)
                    if isinstance(part, ast.Constant) and isinstance(value, str) and ACTION.fullmatch(value):
                        found.add(value)
    return found


def test_every_audit_action_the_code_writes_has_a_chinese_label():
    actions = actions_in_the_code()
    assert {"story.publish", "alert.auto_release", "live.sign_off", "rules.import", "review.approve"} <= actions
    unlabelled = sorted(code for code in actions if not CHINESE.search(action_label(code)))
    assert not unlabelled


def test_every_action_family_has_a_name_on_the_audit_pages_filter():
    from tongpin.core.auditlabels import GROUPS

    families = {code.split(".", 1)[0] for code in actions_in_the_code()}
    assert {"ical", "datakey", "duty", "lane"} <= families
    assert sorted(families - set(GROUPS)) == []


def test_object_types_and_generic_deletes_read_as_words():
    assert object_type_label("newsroom.story") == "稿件"
    assert CHINESE.search(object_type_label("live.livesession"))
    assert action_label("keydate.delete") == "删除"  # the object column says what was deleted
    assert action_label("something.new") == "something.new"  # unknown: the code, never a wrong word


@pytest.mark.django_db
def test_recorded_changes_use_field_names_and_choice_labels(users):
    story = new_story(users["reporter"])
    lines = changes_lines(
        "newsroom.story",
        {"status": ["draft", "in_review"], "fields": ["title", "summary"], "version": [1, 2], "reason": None},
    )
    assert lines == [("状态", "草稿 → 审核中"), ("字段", "标题、摘要"), ("版本", "1 → 2"), ("原因", "—")]
    export = changes_lines("newsroom.story", {"filters": {"status": "in_review", "tag": "防汛"}})
    assert export == [("筛选条件", "状态：审核中，标签：防汛")]
    record(Actor(user=users["editor"], ip="127.0.0.1"), "story.update", story, {"status": ["draft", "in_review"]})
    event = AuditEvent.objects.filter(action="story.update").latest("id")
    assert (event.action_label, event.object_type_label, event.via_label) == ("修改稿件", "稿件", "网页")
    assert event.actor_label == str(users["editor"])


@pytest.mark.django_db
def test_the_audit_page_shows_words_and_filters_by_labelled_choices(users, client_for):
    story = new_story(users["reporter"], title="审计对象")
    page = client_for("auditor").get("/audit/", {"action": "story"}).content.decode()
    assert "新建稿件" in page and f"稿件 #{story.pk}" in page and "审计对象" in page
    assert "newsroom.story #" not in page and ">story.create<" not in page
    assert '<option value="story.create">新建稿件</option>' in page  # the filter offers actions by name
    assert '<optgroup label="稿件">' in page


def _attempt(outcome: str, code: str, message: str = "") -> DeliveryAttempt:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    return DeliveryAttempt(number=1, started_at=now, finished_at=now, outcome=outcome, code=code, message=message)


def test_delivery_attempts_read_as_words():
    assert _attempt("success", "ok").note == "成功"
    assert _attempt("success", "pooled").note == "成功 · 已进入刊物稿池"
    assert _attempt("success", "listed").note == "成功 · 已列入订阅源"
    assert _attempt("success", "202").note == "成功 · HTTP 202"
    assert _attempt("accepted", "publishing").note == "已受理，待查询结果 · 平台发布中"
    assert _attempt("error", "timeout", "对方在 10 秒内没有应答。").note == "失败，将重试 · 对方在 10 秒内没有应答。"
    assert _attempt("permanent", "no_cover", "没有封面图").note == "失败，不再重试 · 没有封面图"


def test_the_rule_change_log_reads_as_words():
    imported = ProofRuleChange(rule_key="typo:再接再励", action="import")
    assert (imported.action_label, imported.subject) == ("导入", "错别字：再接再励")
    assert ProofRuleChange(rule_key="roster", action="import").subject == "领导名录"
    assert ProofRuleChange(rule_key="roster:李文华", action="delete").subject == "领导名录：李文华"
