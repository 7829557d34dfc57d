"""Planning rules: key dates, campaigns, topics (proposed by anyone, approved by a desk chief), assignments
(with double bookings and late deadlines shown as conflicts), joint events and their tasks.

Staff with plan.view see all planning; a liaison sees only what concerns their partner, through the portal.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import records, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, FieldError, ValidationFailed
from tongpin.core.notify import notify
from tongpin.partners.scope import partner_scope, scoped_get
from tongpin.partners.services import owner_errors
from tongpin.publishing.kinds import ChannelKind

from .keydates import next_occurrence
from .models import (
    Assignment,
    AssignmentState,
    Campaign,
    Event,
    EventTask,
    KeyDate,
    Topic,
    TopicState,
)

LIVE_ASSIGNMENTS = [AssignmentState.ASSIGNED, AssignmentState.ACCEPTED]
ASSIGNABLE = (TopicState.APPROVED, TopicState.IN_PROGRESS)  # a topic is assigned once approved, until it is done


def _past(field: str, message: str) -> FieldError:
    return FieldError("date_in_past", message, field)


def _channel_errors(channels: list, field: str = "channels") -> list[FieldError]:
    if any(kind not in ChannelKind.values for kind in channels or []):
        return [FieldError("unknown_channel_kind", _("渠道类型无效。"), field)]
    return []


# -- key dates -----------------------------------------------------------------------------------------------


def _key_date_errors(key_date: KeyDate, is_new: bool) -> list[FieldError]:
    errors = []
    if key_date.kind == KeyDate.Kind.RECURRING:
        if not _valid_day(key_date.month, key_date.day):
            errors.append(FieldError("invalid_day", _("请填写有效的月、日。"), "month"))
        if (key_date.end_month is None) != (key_date.end_day is None) or (
            key_date.end_month and not _valid_day(key_date.end_month, key_date.end_day)
        ):
            errors.append(FieldError("invalid_day", _("结束月、日须同时填写且有效。"), "end_month"))
    else:
        if key_date.starts_on is None:
            errors.append(FieldError("required", _("单次节点须填写开始日期。"), "starts_on"))
        elif key_date.ends_on and key_date.ends_on < key_date.starts_on:
            errors.append(FieldError("term_reversed", _("结束日期不能早于开始日期。"), "ends_on"))
        elif is_new and (key_date.ends_on or key_date.starts_on) < timezone.localdate():
            errors.append(_past("starts_on", _("不能新建已经过去的单次节点。")))
    return errors


def _valid_day(month: int | None, day: int | None) -> bool:
    return bool(month and day and 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2024, month)[1])


def get_key_date(user, key_date_id: int) -> KeyDate:
    """Key dates are the station's own planning: staff only (a liaison is answered 404)."""
    return scoped_get(user, KeyDate, key_date_id, _("宣传节点不存在。"), capability=roles.PLAN_VIEW)


def save_key_date(actor: Actor, values: dict[str, Any], key_date: KeyDate | None = None) -> KeyDate:
    roles.require(actor.user, roles.PLAN_MANAGE)
    is_new = key_date is None
    key_date = key_date or KeyDate()
    changes = records.apply(key_date, values)
    records.check(key_date, _key_date_errors(key_date, is_new))
    return records.save(actor, key_date, changes, "keydate.save")


def default_owner(actor: Actor):
    """Who owns what `actor` creates without naming an owner: the creator, when they may be given work; a system
    administrator (who may create campaigns and events) leaves it without owner rather than owning it."""
    return actor.user if roles.work_refusal(actor.user) is None else None


# -- campaigns -----------------------------------------------------------------------------------------------


def save_campaign(actor: Actor, values: dict[str, Any], campaign: Campaign | None = None) -> Campaign:
    roles.require(actor.user, roles.PLAN_MANAGE)
    campaign = campaign or Campaign(owner=default_owner(actor))
    changes = records.apply(campaign, values)
    if campaign.key_date_id and not (campaign.starts_on or campaign.ends_on):
        # No dates given: run from when the key date's planning should start until it is over.
        occurrence = next_occurrence(campaign.key_date, timezone.localdate())
        if occurrence is not None:
            campaign.starts_on = max(occurrence.plan_from, timezone.localdate())
            campaign.ends_on = occurrence.ends_on
    errors = []
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        errors.append(FieldError("term_reversed", _("结束日期不能早于开始日期。"), "ends_on"))
    if campaign.commitment_id:
        partner_id = campaign.commitment.agreement.partner_id
        if campaign.partner_id is None:
            campaign.partner_id = partner_id
        elif campaign.partner_id != partner_id:
            errors.append(FieldError("commitment_other_partner", _("合作事项属于其他合作方。"), "commitment"))
    if "owner" in changes:
        errors += owner_errors([campaign.owner], "owner")
    records.check(campaign, errors)
    return records.save(actor, campaign, changes, "campaign.save")


def campaigns_for(user) -> QuerySet[Campaign]:
    if roles.can(user, roles.PLAN_VIEW):
        return Campaign.objects.all()
    if roles.can(user, roles.PARTNER_VIEW):
        return Campaign.objects.filter(partner_scope(user).filter(), partner__isnull=False)
    return Campaign.objects.none()


def get_campaign(user, campaign_id: int) -> Campaign:
    return scoped_get(user, Campaign, campaign_id, _("策划不存在。"))


# -- topics --------------------------------------------------------------------------------------------------


def propose_topic(actor: Actor, values: dict[str, Any]) -> Topic:
    roles.require(actor.user, roles.TOPIC_PROPOSE)
    topic = Topic(proposed_by=actor.user, state=TopicState.PROPOSED)
    changes = records.apply(topic, values)
    errors = _channel_errors(topic.channels)
    if topic.due_on and topic.due_on < timezone.localdate():
        errors.append(_past("due_on", _("计划刊发日期不能早于今天。")))
    if topic.campaign_id and topic.partner_id is None:
        topic.partner_id = topic.campaign.partner_id
    records.check(topic, errors)
    return records.save(actor, topic, changes, "topic.propose")


def update_topic(actor: Actor, topic: Topic, values: dict[str, Any]) -> Topic:
    if actor.user != topic.proposed_by:
        roles.require(actor.user, roles.PLAN_MANAGE)
    due_changed = values.get("due_on", topic.due_on) != topic.due_on
    changes = records.apply(topic, values)
    errors = _channel_errors(topic.channels)
    if due_changed and topic.due_on and topic.due_on < timezone.localdate():
        errors.append(_past("due_on", _("计划刊发日期不能早于今天。")))
    records.check(topic, errors)
    return records.save(actor, topic, changes, "topic.save")


# state -> the states a topic may move to, and the capability that move needs
TOPIC_MOVES: dict[str, dict[str, str]] = {
    TopicState.PROPOSED: {TopicState.APPROVED: roles.TOPIC_APPROVE, TopicState.REJECTED: roles.TOPIC_APPROVE},
    TopicState.APPROVED: {TopicState.DONE: roles.PLAN_MANAGE, TopicState.REJECTED: roles.TOPIC_APPROVE},
    TopicState.IN_PROGRESS: {TopicState.DONE: roles.PLAN_MANAGE},
    TopicState.REJECTED: {TopicState.PROPOSED: roles.TOPIC_PROPOSE},
    TopicState.DONE: {TopicState.IN_PROGRESS: roles.PLAN_MANAGE},
}


def move_topic(actor: Actor, topic: Topic, state: str, note: str = "") -> Topic:
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        needed = TOPIC_MOVES.get(topic.state, {}).get(state)
        if needed is None:
            raise Conflict(
                FieldError(
                    "invalid_transition",
                    _("选题当前为“%(s)s”，不能改为“%(t)s”。")
                    % {
                        "s": topic.get_state_display(),
                        "t": TopicState(state).label if state in TopicState.values else state,
                    },
                )
            )
        roles.require(actor.user, needed)
        if state == TopicState.REJECTED and not note.strip():
            raise ValidationFailed(FieldError("reason_required", _("不通过时请写明理由。"), "note"))
        changes = records.apply(topic, {"state": state, "decision_note": note.strip()[:300]})
        if state in (TopicState.APPROVED, TopicState.REJECTED):
            topic.decided_by = actor.user
        records.save(actor, topic, changes, "topic.move")
        if state in (TopicState.APPROVED, TopicState.REJECTED) and topic.proposed_by:
            label = TopicState(state).label
            notify(
                [topic.proposed_by],
                _("选题“%(t)s”%(s)s。") % {"t": topic.title, "s": label},
                f"/planning/topics/{topic.pk}/",
            )
    return topic


def topics_for(user) -> QuerySet[Topic]:
    if roles.can(user, roles.PLAN_VIEW):
        return Topic.objects.all()
    return Topic.objects.filter(partner_scope(user).filter(), partner__isnull=False)


def get_topic(user, topic_id: int) -> Topic:
    """Topics are the station's planning: a liaison is answered 404 (the portal shows their requests instead)."""
    return scoped_get(user, Topic, topic_id, _("选题不存在。"), capability=roles.PLAN_VIEW)


# -- assignments ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanConflict:
    code: str
    message: str
    other: Assignment | None = None


def _bookings(assignments: list[Assignment]) -> list[Assignment]:
    """The live bookings that might clash with any of `assignments` (one query for a whole list)."""
    booked = [a for a in assignments if a.starts_at and a.ends_at]
    if not booked:
        return []
    return list(
        Assignment.objects.filter(assignee_id__in={a.assignee_id for a in booked}, state__in=LIVE_ASSIGNMENTS)
        .filter(starts_at__lt=max(a.ends_at for a in booked), ends_at__gt=min(a.starts_at for a in booked))
        .select_related("topic")
    )


# Other apps that book people (live commerce: a host's sessions) say which assignments clash with their bookings:
# fn(assignments) -> one list of conflicts per assignment, read at once for the whole list. Planning imports none
# of them (they import planning); they register in their AppConfig.ready.
BOOKING_SOURCES: list[Callable[[list[Assignment]], list[list[PlanConflict]]]] = []


def register_booking_source(source: Callable[[list[Assignment]], list[list[PlanConflict]]]) -> None:
    BOOKING_SOURCES.append(source)


def _booked_elsewhere(assignments: list[Assignment]) -> list[list[PlanConflict]]:
    found: list[list[PlanConflict]] = [[] for _assignment in assignments]
    for source in BOOKING_SOURCES:
        for mine, theirs in zip(found, source(assignments), strict=True):
            mine.extend(theirs)
    return found


def conflicts_of(assignments: list[Assignment]) -> list[list[PlanConflict]]:
    """`assignment_conflicts` of each assignment in a list, with the bookings read once for all."""
    bookings, elsewhere = _bookings(assignments), _booked_elsewhere(assignments)
    return [assignment_conflicts(a, bookings, other) for a, other in zip(assignments, elsewhere, strict=True)]


def assignment_conflicts(
    assignment: Assignment, bookings: list[Assignment] | None = None, elsewhere: list[PlanConflict] | None = None
) -> list[PlanConflict]:
    """Double bookings of the assignee (by assignments and by other apps' bookings: a live session they host) and a
    deadline after the key date its campaign is for. `bookings`, `elsewhere`: what was already read for a list
    (`conflicts_of`), else it is read for this one assignment."""
    found = []
    if assignment.starts_at and assignment.ends_at:
        candidates = _bookings([assignment]) if bookings is None else bookings
        clashes = [
            other
            for other in candidates
            if other.assignee_id == assignment.assignee_id
            and other.starts_at < assignment.ends_at
            and other.ends_at > assignment.starts_at
            and other.pk != assignment.pk
        ]
        for other in clashes:
            found.append(
                PlanConflict(
                    "double_booked",
                    _("%(who)s 在 %(a)s 已有派单“%(t)s”。")
                    % {
                        "who": assignment.assignee,
                        "a": timezone.localtime(other.starts_at).strftime("%m-%d %H:%M"),
                        "t": other.topic.title,
                    },
                    other,
                )
            )
    found += _booked_elsewhere([assignment])[0] if elsewhere is None else elsewhere
    campaign = assignment.topic.campaign if assignment.topic_id else None
    if campaign and campaign.key_date_id and assignment.due_at:
        created = timezone.localtime(assignment.created_at).date() if assignment.created_at else timezone.localdate()
        occurrence = next_occurrence(campaign.key_date, created)
        due_day = timezone.localtime(assignment.due_at).date()
        # Work for a coming key date is due before it starts; during a season, before the season ends.
        limit = occurrence and (occurrence.starts_on if occurrence.starts_on > created else occurrence.ends_on)
        if limit and due_day > limit:
            found.append(
                PlanConflict(
                    "after_key_date",
                    _("交稿截止（%(d)s）晚于宣传节点“%(k)s”（%(s)s）。")
                    % {"d": due_day, "k": campaign.key_date.name, "s": limit},
                )
            )
    return found


def _assignment_errors(assignment: Assignment, is_new: bool) -> list[FieldError]:
    errors = _channel_errors(assignment.channels)
    if assignment.topic_id and assignment.topic.state not in ASSIGNABLE:
        errors.append(FieldError("topic_not_approved", _("选题通过审批后才能派单。"), "topic"))
    if is_new and assignment.due_at and assignment.due_at < timezone.now():
        errors.append(_past("due_at", _("交稿截止不能早于现在。")))
    if (assignment.starts_at is None) != (assignment.ends_at is None):
        errors.append(FieldError("booking_incomplete", _("占用时间须同时填写开始和结束。"), "ends_at"))
    elif assignment.starts_at and assignment.ends_at <= assignment.starts_at:
        errors.append(FieldError("term_reversed", _("占用结束须晚于开始。"), "ends_at"))
    refusal = roles.work_refusal(assignment.assignee) if assignment.assignee_id else None
    if refusal:
        words = {
            "inactive_user": _("承接人账号已停用。"),
            "not_assignable": _("三员管理员账号不承担采编工作，不能作为承接人。"),
            "not_staff": _("只能派单给台内人员。"),
        }
        errors.append(FieldError(refusal, words[refusal], "assignee"))
    return errors


def save_assignment(
    actor: Actor, values: dict[str, Any], assignment: Assignment | None = None
) -> tuple[Assignment, list[PlanConflict]]:
    """Create or change an assignment; answer it with the conflicts it has (shown, not refused)."""
    roles.require(actor.user, roles.PLAN_MANAGE)
    is_new = assignment is None
    assignment = assignment or Assignment(created_by=actor.user, created_at=timezone.now())
    old_assignee = assignment.assignee_id
    changes = records.apply(assignment, values)
    if "due_at" in changes or "assignee" in changes:
        assignment.reminded_at = None  # a new deadline (or person) gets its own reminder
    if assignment.topic_id:
        assignment.topic.refresh_from_db(fields=["state"])  # decide on the topic's state now, not as passed in
    records.check(assignment, _assignment_errors(assignment, is_new), exclude=["created_by"])
    with transaction.atomic():
        records.save(actor, assignment, changes, "assignment.save")
        topic = assignment.topic
        if topic.state == TopicState.APPROVED:
            Topic.objects.filter(pk=topic.pk).update(state=TopicState.IN_PROGRESS)
        if assignment.assignee_id != old_assignee:
            due = timezone.localtime(assignment.due_at).strftime("%Y-%m-%d %H:%M")
            notify(
                [assignment.assignee],
                _("新派单：“%(t)s”，%(d)s 前交稿。") % {"t": topic.title, "d": due},
                "/planning/mine/",
            )
    return assignment, assignment_conflicts(assignment)


def set_assignment_state(actor: Actor, assignment: Assignment, state: str) -> Assignment:
    if state not in AssignmentState.values:
        raise ValidationFailed(FieldError("invalid_state", _("状态无效。"), "state"))
    own = actor.user == assignment.assignee and state in (AssignmentState.ACCEPTED, AssignmentState.DELIVERED)
    if not own:
        roles.require(actor.user, roles.PLAN_MANAGE)
    changes = records.apply(assignment, {"state": state})
    return records.save(actor, assignment, changes, "assignment.state")


def assignments_for(user) -> QuerySet[Assignment]:
    if roles.can(user, roles.PLAN_VIEW):
        return Assignment.objects.all()
    return Assignment.objects.none()


def get_assignment(user, assignment_id: int) -> Assignment:
    message = _("派单不存在。")
    return scoped_get(user, Assignment, assignment_id, message, partner="topic__partner", capability=roles.PLAN_VIEW)


def story_delivered(story) -> None:
    """A story linked to an assignment was published: the assignment is delivered (counted once, by the story)."""
    if story.assignment_id:
        Assignment.objects.filter(pk=story.assignment_id, state__in=LIVE_ASSIGNMENTS).update(
            state=AssignmentState.DELIVERED
        )


def remind_due_assignments(hours_ahead: int = 24) -> int:
    horizon = timezone.now() + dt.timedelta(hours=hours_ahead)
    sent = 0
    for assignment in (
        Assignment.objects.filter(state__in=LIVE_ASSIGNMENTS, due_at__lte=horizon)
        .filter(reminded_at__isnull=True)
        .select_related("topic", "assignee")[:200]
    ):
        if Assignment.objects.filter(pk=assignment.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
            due = timezone.localtime(assignment.due_at).strftime("%m-%d %H:%M")
            sent += notify(
                [assignment.assignee],
                _("派单“%(t)s”将于 %(d)s 截止。") % {"t": assignment.topic, "d": due},
                "/planning/mine/",
            )
    return sent


# -- events --------------------------------------------------------------------------------------------------


def save_event(actor: Actor, values: dict[str, Any], event: Event | None = None) -> Event:
    roles.require(actor.user, roles.PLAN_MANAGE)
    event = event or Event(owner=default_owner(actor))
    changes = records.apply(event, values)
    errors = []
    if event.starts_on and event.ends_on and event.ends_on < event.starts_on:
        errors.append(FieldError("term_reversed", _("结束日期不能早于开始日期。"), "ends_on"))
    if "owner" in changes:
        errors += owner_errors([event.owner], "owner")
    records.check(event, errors)
    return records.save(actor, event, changes, "event.save")


def save_task(actor: Actor, event: Event, values: dict[str, Any], task: EventTask | None = None) -> EventTask:
    roles.require(actor.user, roles.PLAN_MANAGE)
    task = task or EventTask(event=event)
    changes = records.apply(task, values)
    errors = []
    if task.due_on and task.due_on > event.ends_on:
        errors.append(FieldError("after_event", _("任务截止日期晚于活动结束日期。"), "due_on"))
    if "owner" in changes:
        errors += owner_errors([task.owner], "owner")
    records.check(task, errors)
    return records.save(actor, task, changes, "event.task")


def get_task(user, task_id: int) -> EventTask:
    return scoped_get(user, EventTask, task_id, _("任务不存在。"), partner="event__partner")


def toggle_task(actor: Actor, task: EventTask) -> EventTask:
    if actor.user != task.owner:
        roles.require(actor.user, roles.PLAN_MANAGE)
    changes = records.apply(task, {"done_at": None if task.done_at else timezone.now()})
    return records.save(actor, task, changes, "event.task_done")


def events_for(user) -> QuerySet[Event]:
    if roles.can(user, roles.PLAN_VIEW):
        return Event.objects.all()
    if roles.can(user, roles.PARTNER_VIEW):
        return Event.objects.filter(partner_scope(user).filter(), partner__isnull=False)
    return Event.objects.none()


def get_event(user, event_id: int) -> Event:
    return scoped_get(user, Event, event_id, _("活动不存在。"))


def own_assignments(user, everything: bool = False) -> QuerySet[Assignment]:
    """`user`'s own assignments by state and deadline: the open ones, or with `everything` all of them."""
    rows = (
        Assignment.objects.filter(assignee=user)
        .select_related("topic__campaign__key_date", "topic__partner")
        .prefetch_related("stories")
        .order_by("state", "due_at")
    )
    return rows if everything else rows.filter(state__in=LIVE_ASSIGNMENTS)


# What the pages offer: the rules the writes above check, asked before a button or form is shown.


def may_assign(user, topic: Topic) -> bool:
    return roles.can(user, roles.PLAN_MANAGE) and topic.state in ASSIGNABLE


def topic_moves(user, topic: Topic) -> list[tuple[str, str]]:
    """The states `user` may move `topic` to now, with their labels."""
    moves = TOPIC_MOVES.get(topic.state, {}).items()
    return [(state, TopicState(state).label) for state, capability in moves if roles.can(user, capability)]
