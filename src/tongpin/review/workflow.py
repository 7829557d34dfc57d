"""三审: submit a revision, decide on the current step, restart when the text changes.

Every transition is checked, runs in one transaction with the story row locked, and is audited.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import audit, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from tongpin.core.ids import clean_id
from tongpin.core.models import User
from tongpin.core.notify import notify, settle
from tongpin.newsroom import stories as story_service
from tongpin.newsroom.models import Revision, Story, StoryStatus
from tongpin.partners.scope import partner_scope

from .models import Priority, ReviewRun, ReviewStep, RunStatus, StepComment, StepStatus, StoryFlag, Workflow
from .proofing import latest_report, proofread_revision, report_view

DECISIONS = ("approve", "changes", "reject")
# decision -> (step status, run status when it ends the run, story status when it ends the run)
OUTCOMES = {
    "approve": (StepStatus.APPROVED, RunStatus.APPROVED, StoryStatus.APPROVED),
    "changes": (StepStatus.CHANGES_REQUESTED, RunStatus.CHANGES_REQUESTED, StoryStatus.DRAFT),
    "reject": (StepStatus.REJECTED, RunStatus.REJECTED, StoryStatus.ARCHIVED),
}
FLAGGABLE_STATUSES = (StoryStatus.PUBLISHED, StoryStatus.APPROVED)  # a problem is flagged once review passed


def workflow_for(story: Story) -> Workflow:
    workflow = Workflow.objects.filter(partner_id=story.partner_id).first() if story.partner_id else None
    workflow = workflow or Workflow.objects.filter(is_default=True, partner__isnull=True).first()
    if workflow is None or not workflow.steps.exists():
        raise Conflict(FieldError("no_workflow", _("没有可用的审核流程，请管理员先配置。")))
    return workflow


def latest_run(story: Story) -> ReviewRun | None:
    """The story's most recent review run, whatever its status, with what the review page and API show of it."""
    return story.review_runs.select_related("workflow", "revision", "submitted_by").first()


def run_steps(run: ReviewRun) -> QuerySet[ReviewStep]:
    """A run's steps in order, with who claimed and decided each and the comments with their authors."""
    return run.steps.select_related("decided_by", "claimed_by").prefetch_related("comments__author")


def active_run(story: Story) -> ReviewRun | None:
    return story.review_runs.filter(status=RunStatus.IN_PROGRESS).select_related("workflow", "revision").first()


def current_step(run: ReviewRun) -> ReviewStep | None:
    return run.steps.filter(status=StepStatus.ACTIVE).first()


def _eligible(step: ReviewStep) -> QuerySet[User]:
    people = step.people.all()
    if people.exists():
        return people.filter(is_active=True)
    return User.objects.filter(role=step.role, is_active=True)


def acted_elsewhere(run: ReviewRun, user: User, step: ReviewStep) -> bool:
    """Whether `user` already decided another step of this run (one person, one step, unless allowed). Reads the
    run's few steps, which the queue prefetched for all its runs at once."""
    return any(other.pk != step.pk and other.decided_by_id == user.pk for other in run.steps.all())


def is_author(user: User, story: Story) -> bool:
    """Whoever wrote the story: its creator and every (co-)author (read from the prefetched authors, if any)."""
    return story.created_by_id == user.pk or any(author.pk == user.pk for author in story.authors.all())


def author_refused(run: ReviewRun | None, own_story: bool) -> bool:
    """The one rule for authors: they do not decide on their own story (`own_story`), unless the run's workflow
    allows it (then with a reason, at decide)."""
    return own_story and not (run is not None and run.workflow.allow_author_review)


def _own_story_refused(user: User, run: ReviewRun) -> bool:
    return author_refused(run, is_author(user, run.story))


def can_act(user: User, step: ReviewStep) -> bool:
    """Named people act on their step whatever their role (e.g. a partner's liaison signing off);
    otherwise reviewers of the step's role."""
    if step.status != StepStatus.ACTIVE or not user.is_active:
        return False
    people = list(step.people.values_list("pk", flat=True))
    if people:
        return user.pk in people
    return roles.can(user, roles.REVIEW_ACT) and user.role == step.role


def may_decide(user: User, run: ReviewRun | None, step: ReviewStep | None, own_story: bool) -> bool:
    """Whether the review page offers `user` the decision on the run's current `step`: they may act on it, and
    it is not their own story (`own_story`) unless the workflow lets authors review."""
    return bool(step and can_act(user, step)) and not author_refused(run, own_story)


def can_flag(user: User, story: Story) -> bool:
    """Whether `user` may flag a problem with the story: one that has passed review or gone out."""
    return story.status in FLAGGABLE_STATUSES and roles.can(user, roles.STORY_FLAG)


def may_see_review(user: User, story: Story) -> bool:
    """The review page is for those who read a story's history, and for the people named on its current step."""
    return story_service.can_view_history(user) or is_named_reviewer(user, story.pk)


def is_named_reviewer(user: User, story_id: int) -> bool:
    story_id = clean_id(story_id)
    return (
        bool(story_id)
        and ReviewStep.objects.filter(
            run__story_id=story_id, run__status=RunStatus.IN_PROGRESS, status=StepStatus.ACTIVE, people=user
        ).exists()
    )


def reviewable_story(user: User, story_id: int) -> Story:
    """The story for whoever may see it, or for a person named on its current step — who, as a partner's
    liaison, still sees only their own partner's stories."""
    try:
        return story_service.get_story(user, story_id)
    except NotFound:
        if is_named_reviewer(user, story_id):
            story = Story.objects.filter(pk=clean_id(story_id)).filter(partner_scope(user).filter("partner")).first()
            if story is not None:
                return story
        raise


def _story_link(story: Story) -> str:
    return reverse("review-story", args=[story.pk])


def _activate(step: ReviewStep, run: ReviewRun) -> None:
    step.status = StepStatus.ACTIVE
    step.claimed_by = None
    hours = step.run.workflow.steps.filter(order=step.order).values_list("due_hours", flat=True).first() or 24
    step.due_at = timezone.now() + dt.timedelta(hours=hours)
    step.save()
    # Only people who can act now hear about it; someone who decided another step of this run cannot
    # (unless the workflow allows it), so they are left out.
    decided = set(run.steps.exclude(decided_by=None).values_list("decided_by", flat=True))
    if not run.workflow.allow_author_review:
        decided |= set(run.story.authors.values_list("pk", flat=True)) | {run.story.created_by_id}
    people = [u for u in _eligible(step) if run.workflow.allow_same_person or u.pk not in decided]
    settle(_step_about(step))  # a step activated again (text revised) asks afresh: the older notices are done
    notify(
        people,
        _("待%(step)s：%(title)s") % {"step": step.name, "title": run.story.title},
        _story_link(run.story),
        about=_step_about(step),
    )


def _step_about(step: ReviewStep) -> str:
    """What the notices asking for a step's decision are about (core.notify.settle closes them)."""
    return f"review-step:{step.pk}"


def _settle_open_steps(run: ReviewRun) -> None:
    """The run's waiting and active steps are about to be cancelled: nobody is asked to decide them any more."""
    for pk in run.steps.filter(status=StepStatus.ACTIVE).values_list("pk", flat=True):
        settle(f"review-step:{pk}")


def _start_run(actor: Actor, story: Story, revision: Revision, workflow: Workflow, priority: int) -> ReviewRun:
    run = ReviewRun.objects.create(
        story=story, revision=revision, workflow=workflow, priority=priority, submitted_by=actor.user
    )
    for template in workflow.steps.all():
        step = ReviewStep.objects.create(
            run=run, order=template.order, name=template.name, role=template.role, is_final=template.is_final
        )
        step.people.set(template.people.all())
    _activate(run.steps.order_by("order").first(), run)
    proofread_revision(revision)
    return run


def submit(actor: Actor, story_id: int, base_version: int | None = None, priority: int = Priority.NORMAL) -> ReviewRun:
    """Send the story's latest revision into review."""
    user = actor.user
    with transaction.atomic():
        story = story_service.get_story(user, story_id)
        if not (roles.can(user, roles.STORY_SUBMIT) and story_service.can_edit(user, story)):
            raise Forbidden(FieldError("forbidden", _("您没有送审这篇稿件的权限。")))
        story = story_service.lock_story(story.pk)
        if base_version is not None and base_version != story.version:
            raise Conflict(FieldError("edit_conflict", _("稿件已有新版本，请确认后再送审。"), "version"))
        if priority not in Priority.values:
            raise ValidationFailed(FieldError("invalid_priority", _("未知的优先级。"), "priority"))
        revision = story.revisions.get(number=story.version)
        if not revision.body_text.strip():  # a draft may be only a title; what reviewers read may not
            raise ValidationFailed(FieldError("empty_body", _("正文是空的，请写好正文再送审。"), "body_html"))
        story_service.set_status(actor, story, StoryStatus.IN_REVIEW)
        run = _start_run(actor, story, revision, workflow_for(story), priority)
        audit.record(actor, "review.submit", story, {"run": run.pk, "revision": revision.number})
    return run


def _check_decision(decision: str, comment: str) -> None:
    if decision not in DECISIONS:
        raise ValidationFailed(
            FieldError("invalid_decision", _("审核结论应为 approve、changes 或 reject。"), "decision")
        )
    if decision != "approve" and not comment.strip():
        raise ValidationFailed(FieldError("required", _("退回或不予采用时请写明意见。"), "comment"))
    if len(comment) > 5000:
        raise ValidationFailed(FieldError("too_long", _("意见不能超过 5000 字。"), "comment"))


def _locked_run(actor: Actor, story_id: int) -> tuple[Story, ReviewRun, ReviewStep]:
    story = reviewable_story(actor.user, story_id)
    story = story_service.lock_story(story.pk)
    run = active_run(story)
    step = current_step(run) if run else None
    if run is None or step is None:
        raise Conflict(FieldError("no_active_review", _("这篇稿件当前不在审核中。")))
    return story, run, step


def _own_story_check(actor: Actor, story: Story, run: ReviewRun, step: ReviewStep, reason: str) -> None:
    """Authors and co-authors never decide on their story; a workflow may allow it with a recorded reason,
    the same way as the distinct-people rule."""
    if not is_author(actor.user, story):
        return
    if not run.workflow.allow_author_review:
        raise Forbidden(FieldError("own_story", _("作者和合著者不能审核本人的稿件。")))
    if not reason.strip():
        raise ValidationFailed(FieldError("required", _("审核本人稿件须写明理由。"), "author_reason"))
    audit.record(actor, "review.own_story", story, {"step": step.name, "reason": reason.strip()[:300]})


def decide(
    actor: Actor,
    story_id: int,
    decision: str,
    comment: str = "",
    same_person_reason: str = "",
    author_reason: str = "",
) -> ReviewRun:
    """Act on the current step: approve, request changes (back to the authors) or reject."""
    _check_decision(decision, comment)
    user = actor.user
    with transaction.atomic():
        story, run, step = _locked_run(actor, story_id)
        if not can_act(user, step):
            raise Forbidden(FieldError("not_your_step", _("当前是“%(s)s”，您不能审核这一步。") % {"s": step.name}))
        if step.claimed_by_id and step.claimed_by_id != user.pk:
            raise Conflict(FieldError("claimed", _("这一步已由 %(who)s 认领。") % {"who": step.claimed_by}))
        _own_story_check(actor, story, run, step, author_reason)
        if acted_elsewhere(run, user, step):
            if not run.workflow.allow_same_person:
                raise Forbidden(FieldError("same_person", _("同一人不能审核同一稿件的两个步骤。")))
            if not same_person_reason.strip():
                raise ValidationFailed(FieldError("required", _("同一人审核多步须写明理由。"), "same_person_reason"))
            audit.record(actor, "review.same_person", story, {"step": step.name, "reason": same_person_reason})
        if decision == "approve" and step.is_final:
            blocking = report_view(latest_report(run.revision)).blocking
            if blocking:
                raise ValidationFailed(
                    FieldError(
                        "proofreading_errors",
                        _("还有 %(n)d 处校对错误未处理：请修改稿件，或逐条写明理由后保留。") % {"n": len(blocking)},
                        "findings",
                    )
                )
        step_status, run_status, story_status = OUTCOMES[decision]
        step.status, step.decided_by, step.decided_at = step_status, user, timezone.now()
        step.revision_number = run.revision.number
        step.save()
        settle(_step_about(step))  # decided: the notices asking the others for this decision are done
        if comment.strip():
            StepComment.objects.create(step=step, author=user, text=comment.strip(), decision=decision)
        following = run.steps.filter(order__gt=step.order).order_by("order").first()
        if decision == "approve" and following is not None:
            _activate(following, run)
        else:
            _finish(actor, run, story, run_status, story_status, decision)
        audit.record(
            actor,
            f"review.{decision}",
            story,
            {"run": run.pk, "step": step.name, "revision": run.revision.number, "comment": comment[:200]},
        )
    return run


def _finish(actor: Actor, run: ReviewRun, story: Story, run_status: str, story_status: str, decision: str) -> None:
    run.status, run.finished_at = run_status, timezone.now()
    run.save()
    run.steps.filter(status__in=[StepStatus.WAITING, StepStatus.ACTIVE]).update(status=StepStatus.CANCELLED)
    story_service.set_status(actor, story, story_status)
    texts = {
        "approve": _("稿件已通过终审：%(t)s"),
        "changes": _("稿件被退回修改：%(t)s"),
        "reject": _("稿件不予采用：%(t)s"),
    }
    notify(list(story.authors.all()) + [run.submitted_by], texts[decision] % {"t": story.title}, _story_link(story))


def claim(actor: Actor, story_id: int) -> ReviewStep:
    with transaction.atomic():
        story, run, step = _locked_run(actor, story_id)
        if not can_act(actor.user, step):
            raise Forbidden(FieldError("not_your_step", _("当前是“%(s)s”，您不能审核这一步。") % {"s": step.name}))
        if step.claimed_by_id and step.claimed_by_id != actor.user.pk:
            raise Conflict(FieldError("claimed", _("这一步已由 %(who)s 认领。") % {"who": step.claimed_by}))
        if _own_story_refused(actor.user, run):
            raise Forbidden(FieldError("own_story", _("作者和合著者不能审核本人的稿件。")))
        step.claimed_by = actor.user
        step.save(update_fields=["claimed_by"])
        audit.record(actor, "review.claim", story, {"step": step.name})
    return step


def add_comment(actor: Actor, story_id: int, text: str) -> StepComment:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(FieldError("required", _("请填写意见。"), "text"))
    with transaction.atomic():
        story, run, step = _locked_run(actor, story_id)
        is_author = story.authors.filter(pk=actor.user.pk).exists()
        if not (roles.can(actor.user, roles.REVIEW_ACT) or is_author or can_act(actor.user, step)):
            raise Forbidden(FieldError("forbidden", _("您不能在这里发表意见。")))
        comment = StepComment.objects.create(step=step, author=actor.user, text=text[:5000])
        audit.record(actor, "review.comment", story, {"step": step.name})
    return comment


def revision_sends_back_to(run: ReviewRun | None) -> str:
    """The step a new revision would send this run back to, when that undoes decisions already made (the run
    starts again from its first step and some step was decided); "" when a change costs no decision."""
    if run is None or run.status != RunStatus.IN_PROGRESS or run.workflow.restart_on_revision != Workflow.Restart.RUN:
        return ""
    steps = list(run.steps.order_by("order"))
    return steps[0].name if steps and any(s.decided_by_id for s in steps) else ""


def restart_on_revision(sender, story: Story, revision: Revision, actor: Actor, **kwargs) -> None:
    """A new revision while in review: never approve unseen text (receiver of newsroom's story_revised)."""
    run = active_run(story)
    if run is None:
        return
    if run.workflow.restart_on_revision == Workflow.Restart.STEP:
        run.revision = revision
        run.save(update_fields=["revision"])
        step = current_step(run)
        if step is not None:
            _activate(step, run)
        proofread_revision(revision)
        audit.record(actor, "review.step_restarted", story, {"run": run.pk, "revision": revision.number})
        return
    run.status, run.finished_at = RunStatus.RESTARTED, timezone.now()
    run.save()
    _settle_open_steps(run)
    run.steps.filter(status__in=[StepStatus.WAITING, StepStatus.ACTIVE]).update(status=StepStatus.CANCELLED)
    new_run = _start_run(actor, story, revision, run.workflow, run.priority)
    audit.record(actor, "review.restarted", story, {"old_run": run.pk, "run": new_run.pk, "revision": revision.number})


def review_queue(user: User) -> list[ReviewStep]:
    """Active steps this person can act on, most urgent first."""
    by_role = Q(people__isnull=True, role=user.role) if roles.can(user, roles.REVIEW_ACT) else Q(pk__in=[])
    steps = (
        ReviewStep.objects.filter(status=StepStatus.ACTIVE, run__status=RunStatus.IN_PROGRESS)
        .filter(Q(people=user) | by_role)
        .select_related("run", "run__story", "run__story__partner", "run__workflow", "claimed_by")
        .prefetch_related("run__steps", "run__story__authors")  # for the checks below, not a query per step
        .distinct()
        .order_by("-run__priority", "due_at")
    )
    return [
        s
        for s in steps
        if (s.run.workflow.allow_same_person or not acted_elsewhere(s.run, user, s))
        and not _own_story_refused(user, s.run)
    ]


# --- post-publication review ---------------------------------------------------------------------------


def flag_story(actor: Actor, story_id: int, reason: str) -> StoryFlag:
    roles.require(actor.user, roles.STORY_FLAG, _("您不能标记稿件问题。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(FieldError("required", _("请写明问题。"), "reason"))
    with transaction.atomic():
        story = story_service.get_story(actor.user, story_id)
        if story.status not in FLAGGABLE_STATUSES:
            raise Conflict(FieldError("not_published", _("只有已通过或已发布的稿件可以标记问题。")))
        flag = StoryFlag.objects.create(story=story, raised_by=actor.user, reason=reason[:500])
        audit.record(actor, "story.flag", story, {"reason": reason[:200]})
        chiefs = User.objects.filter(role__in=["chief_editor"], is_active=True)
        notify(chiefs, _("稿件被标记问题：%(t)s") % {"t": story.title}, _story_link(story))
    return flag


def resolve_flag(actor: Actor, flag_id: int, withdraw: bool, note: str) -> StoryFlag:
    roles.require(actor.user, roles.STORY_WITHDRAW, _("只有总编辑可以撤稿。"))
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(FieldError("required", _("请写明处理意见。"), "note"))
    with transaction.atomic():
        flag_id = clean_id(flag_id)
        flag = (
            StoryFlag.objects.select_for_update().filter(pk=flag_id, state=StoryFlag.State.OPEN).first()
            if flag_id
            else None
        )
        if flag is None:
            raise Conflict(FieldError("flag_closed", _("这条问题已处理。")))
        story = story_service.lock_story(flag.story_id)
        if withdraw:
            story_service.set_status(actor, story, StoryStatus.WITHDRAWN, reason=note)
        flag.state = StoryFlag.State.WITHDRAWN if withdraw else StoryFlag.State.DISMISSED
        flag.resolved_by, flag.resolved_at, flag.resolution = actor.user, timezone.now(), note[:500]
        flag.save()
        audit.record(actor, "story.flag_resolved", story, {"flag": flag.pk, "state": flag.state, "note": note[:200]})
        notify(
            list(story.authors.all()) + [flag.raised_by],
            (_("稿件已撤回：%(t)s") if withdraw else _("稿件问题已处理：%(t)s")) % {"t": story.title},
            _story_link(story),
        )
    return flag
