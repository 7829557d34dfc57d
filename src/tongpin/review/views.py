"""Pages of 三审三校: my queue, a story under review with its findings inline, rules and roster, flags."""

from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tongpin.core import roles
from tongpin.core.access import page_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import Forbidden
from tongpin.core.ids import clean_id
from tongpin.core.pages import act, act_or_stay, attempt, post_only, row_or_404
from tongpin.newsroom import stories as story_service
from tongpin.publishing.plugins import FORMATTERS

from . import fixes, proofing, workflow
from .models import ProofRule, ProofRuleChange, RosterEntry, StoryFlag


@login_required
def queue(request):
    return render(request, "review/queue.html", {"steps": workflow.review_queue(request.user), "now": timezone.now()})


def _highlighted(text: str, findings: list[dict]) -> str:
    """The review text with each finding wrapped in a <mark> (overlaps: the earlier one wins)."""
    out, cursor = [], 0
    for number, f in enumerate(sorted(findings, key=lambda f: (f["start"], -f["end"]))):
        if f["start"] < cursor:
            continue
        out.append(escape(text[cursor : f["start"]]))
        tip = f["message"] or str(f.get("category_label") or f["category"])
        if f.get("suggestion") is not None:
            tip += f" → {f['suggestion'] or _('删除')}"
        out.append(
            f'<mark class="f f-{escape(f["severity"])} c-{escape(f["category"])}" title="{escape(tip)}" '
            f'id="f{number}">{escape(text[f["start"] : f["end"]])}</mark>'
        )
        cursor = f["end"]
    out.append(escape(text[cursor:]))
    return "".join(out).replace("\n", "<br>")


def _channel_version(edited: dict) -> dict:
    """A hand-edited channel version as the review page lists it: labelled, non-empty fields."""
    # Versions recorded before computed values had labels carry none for them: today's labels fill in.
    known = FORMATTERS[edited["kind"]].labels() if edited.get("kind") in FORMATTERS else {}
    labels = {**known, **(edited.get("labels") or {})}
    values = [
        (labels.get(name, name), "；".join(value) if isinstance(value, list) else value)
        for name, value in edited["fields"].items()
        if value
    ]
    return {**edited, "values": values}


@login_required
def story_review(request, story_id: int):
    return _story_page(request, story_id)


def _story_page(request, story_id: int, typed: dict | None = None):
    """The review page; `typed` is what a refused form held, shown again in its fields."""
    story = workflow.reviewable_story(request.user, story_id)
    if not workflow.may_see_review(request.user, story):
        raise PermissionDenied
    revision = story.revisions.get(number=story.version)
    view = proofing.report_view(proofing.latest_report(revision))
    run = workflow.latest_run(story)
    step = workflow.current_step(run) if run and run.status == "in_progress" else None
    steps = list(workflow.run_steps(run)) if run else []
    own_story = workflow.is_author(request.user, story)
    return render(
        request,
        "review/story.html",
        {
            "story": story,
            "revision": revision,
            "assets": story.assets.all(),  # the pictures and files published with the text: reviewed with it
            "channel_versions": [_channel_version(cv) for cv in revision.channel_versions],
            "text_html": mark_safe(_highlighted(proofing.review_text(revision), view.findings)),  # noqa: S308  (escaped)
            "view": view,
            "run": run,
            "steps": steps,
            "step": step,
            "can_act": workflow.may_decide(request.user, run, step, own_story),
            "acted_elsewhere": bool(step and workflow.acted_elsewhere(run, request.user, step)),
            "own_story": own_story,
            "can_submit": story_service.can_submit(request.user, story),
            "can_fix": story_service.can_edit_now(request.user, story),
            # A fix changes the text: past the first step that restarts review, which 采纳 asks before doing.
            "fix_sends_back_to": workflow.revision_sends_back_to(run),
            "can_override": roles.can(request.user, roles.REVIEW_ACT),
            "can_flag": workflow.can_flag(request.user, story),
            "flags": story.flags.select_related("raised_by", "resolved_by"),
            "can_resolve": roles.can(request.user, roles.STORY_WITHDRAW),
            "typed": typed or {},
        },
    )


def _post_action(request, story_id: int, action, success: str, keep: tuple[str, ...] = (), **extra):
    """Write through `action`, then back to the story page. A refused form that carries text (`keep`: its
    field names) shows the page again with that text in place rather than redirecting, which would lose it."""
    done = act_or_stay(request, action, "review-story", story_id=story_id, success=success, stay=bool(keep))
    return done or _story_page(request, story_id, {**{name: request.POST.get(name, "") for name in keep}, **extra})


def _text_action(request, story_id: int, write, field: str, success: str):
    """`write(actor, story_id, text)` with the one text typed into `field`, kept on the page if refused."""
    text = request.POST.get(field, "")
    return _post_action(request, story_id, lambda actor: write(actor, story_id, text), success, keep=(field,))


@post_only
def submit(request, story_id: int):
    try:
        priority = int(request.POST.get("priority", 0))
    except ValueError:
        priority = -1  # refused by the service with a clear message
    return _post_action(request, story_id, lambda actor: workflow.submit(actor, story_id, priority=priority),
                        _("已送审。"))  # fmt: skip


DECISION_TEXTS = ("comment", "same_person_reason", "author_reason")  # what a decision's form has typed


@post_only
def decide(request, story_id: int):
    decision, texts = request.POST.get("decision", ""), [request.POST.get(name, "") for name in DECISION_TEXTS]
    labels = {"approve": _("已通过本步审核。"), "changes": _("已退回修改。"), "reject": _("已决定不予采用。")}
    decide = lambda actor: workflow.decide(actor, story_id, decision, *texts)  # noqa: E731
    return _post_action(request, story_id, decide, labels.get(decision, ""), keep=DECISION_TEXTS)


@post_only
def claim(request, story_id: int):
    return _post_action(request, story_id, lambda actor: workflow.claim(actor, story_id), _("已认领。"))


@post_only
def comment(request, story_id: int):
    return _text_action(request, story_id, workflow.add_comment, "text", _("意见已发表。"))


def _latest_report(request, story_id: int):
    story = story_service.get_story(request.user, story_id)
    return story, proofing.latest_report(story.revisions.get(number=story.version))


@post_only
def override(request, story_id: int):
    _story, report = _latest_report(request, story_id)
    key, reason = request.POST.get("key", ""), request.POST.get("reason", "")
    keep = lambda actor: proofing.override_finding(actor, report, key, reason)  # noqa: E731
    return _post_action(request, story_id, keep, _("已保留此处并记录理由。"))


@post_only
def accept_fix(request, story_id: int):
    story, key = story_service.get_story(request.user, story_id), request.POST.get("key", "")
    back_to = workflow.revision_sends_back_to(workflow.active_run(story))
    done = (
        _("已采纳建议并保存为新版本。正文已改变，稿件退回%(step)s重新审核。") % {"step": back_to}
        if back_to
        else _("已采纳建议并保存为新版本。")
    )
    return _post_action(request, story_id, lambda actor: fixes.accept_fix(actor, story, key), done)


@post_only
def rerun(request, story_id: int):
    _story, report = _latest_report(request, story_id)
    proofing.proofread_revision(report.revision)
    messages.success(request, _("已重新校对。"))
    return redirect("review-story", story_id=story_id)


@post_only
def flag(request, story_id: int):
    return _text_action(request, story_id, workflow.flag_story, "reason", _("已标记问题，总编辑会收到通知。"))


@post_only
def resolve_flag(request, flag_id: int):
    found = row_or_404(StoryFlag, flag_id)
    story_service.get_story(request.user, found.story_id)
    withdraw, note = request.POST.get("withdraw") == "1", request.POST.get("note", "")
    resolve = lambda actor: workflow.resolve_flag(actor, flag_id, withdraw, note)  # noqa: E731
    return _post_action(request, found.story_id, resolve, _("已撤稿。") if withdraw else _("已处理。"), keep=("note",),
                        flag=found.pk)  # fmt: skip


# --- rules and roster (admins) --------------------------------------------------------------------------


@page_needs(roles.RULES_VIEW)
def rules(request):
    return _rules_page(request, ProofRule.objects.filter(pk=clean_id(request.GET.get("edit")) or 0).first())


def _rules_page(request, editing):
    """The rules page; `editing` is the rule in the form (a refused save's typed values as a dict, or None)."""
    category, term = request.GET.get("category", ""), request.GET.get("q", "").strip()
    listed = proofing.listed_rules(category, term)
    return render(
        request,
        "review/rules.html",
        {
            "rules": listed[:500],
            "total": listed.count(),
            "category": category,
            "q": term,
            "categories": ProofRule.Category.choices,
            "severities": ProofRule.Severity.choices,
            "changes": ProofRuleChange.objects.select_related("user")[:20],
            "version": proofing.rules_version(),
            "roster": RosterEntry.objects.all(),
            "editing": editing,
            "can_edit": roles.can(request.user, roles.RULES_EDIT),
        },
    )


@post_only
def rule_save(request):
    rule = ProofRule.objects.filter(pk=clean_id(request.POST.get("id")) or 0).first()
    data = {k: request.POST.get(k, "") for k in ("category", "term", "suggestion", "severity", "source", "note")}
    data["enabled"] = request.POST.get("enabled", "on") == "on"
    if attempt(request, lambda actor: proofing.save_rule(actor, data, rule), _("规则已保存。")).ok:
        return redirect("review-rules")
    if not roles.can(request.user, roles.RULES_VIEW):
        raise PermissionDenied
    return _rules_page(request, {**data, "pk": rule.pk if rule else None})  # refused: the form keeps its text


@post_only
def rule_delete(request, rule_id: int):
    rule = row_or_404(ProofRule, rule_id)
    return act(request, lambda actor: proofing.delete_rule(actor, rule), "review-rules", success=_("规则已删除。"))


@login_required
def rules_export(request):
    try:
        exported = proofing.export_rules_csv(actor_from_request(request))
    except Forbidden as error:
        raise PermissionDenied from error
    response = HttpResponse("\ufeff" + exported, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tongpin-rules.csv"'
    return response


def _uploaded_text(request, limit: int) -> tuple[str, str] | None:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择文件。"))
        return None
    data = upload.read(limit + 1)
    if len(data) > limit:
        messages.error(request, _("文件过大。"))
        return None
    try:
        return data.decode("utf-8-sig"), upload.name
    except UnicodeDecodeError:
        messages.error(request, _("文件不是 UTF-8 编码的 CSV。"))
        return None


def _import(request, limit: int, load, done: str):
    uploaded = _uploaded_text(request, limit)
    if uploaded:
        loaded = attempt(request, lambda actor: load(actor, *uploaded))
        if loaded.ok:
            messages.success(request, done % {"n": loaded.value})
    return redirect("review-rules")


@post_only
def rules_import(request):
    return _import(request, 5 * 1024 * 1024, proofing.import_rules_csv, _("已导入 %(n)d 条规则。"))


@post_only
def roster_import(request):
    return _import(request, 1024 * 1024, proofing.import_roster_csv, _("领导名录已更新（%(n)d 人）。"))
