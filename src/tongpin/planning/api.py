"""REST endpoints for planning: publicity requests, key dates, campaigns, topics, assignments, events, the
calendar. Staff see all planning; a liaison sees their own partner's requests, campaigns and events only."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from tongpin.core import roles
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import FieldError, NotFound, ValidationFailed
from tongpin.core.schemas import ERRORS
from tongpin.partners.api import one_user
from tongpin.partners.models import Partner, PublicityRequest
from tongpin.partners.scope import partner_scope
from tongpin.partners.services import delete_record, get_commitment, get_partner
from tongpin.publishing.kinds import ChannelKind

from . import calendar, ical, keydates, services
from . import requests as request_service
from .models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Campaign,
    CampaignState,
    Event,
    EventState,
    EventTask,
    KeyDate,
    Topic,
    TopicState,
)

router = Router(tags=["planning"])
MAX_RANGE_DAYS = 400


def _partner(request, slug: str | None) -> Partner | None:
    return get_partner(request.auth, slug) if slug else None


def _range(first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date]:
    first = first or timezone.localdate()
    last = last or first + dt.timedelta(days=30)
    if last < first or (last - first).days > MAX_RANGE_DAYS:
        raise ValidationFailed(FieldError("bad_range", _("日期范围无效（最多 400 天）。"), "to"))
    return first, last


# -- publicity requests --------------------------------------------------------------------------------------


class RequestOut(Schema):
    id: int
    partner: str
    title: str
    description: str
    purpose: str
    wanted_from: dt.date | None
    wanted_by: dt.date
    channels: list[str]
    state: str
    state_label: str
    decision_reason: str
    submitted_by: str
    submitted_at: dt.datetime
    attachments: list[str]
    topics: list[int]
    stories: int
    published: int


def request_out(req: PublicityRequest, user) -> dict:
    progress = request_service.progress(req, user)
    return {
        "id": req.pk,
        "partner": req.partner.slug,
        "title": req.title,
        "description": req.description,
        "purpose": req.purpose,
        "wanted_from": req.wanted_from,
        "wanted_by": req.wanted_by,
        "channels": req.channels,
        "state": req.state,
        "state_label": str(req.get_state_display()),
        "decision_reason": req.decision_reason,
        "submitted_by": str(req.submitted_by),
        "submitted_at": req.submitted_at,
        "attachments": [f"/requests/{req.pk}/attachments/{a.pk}" for a in req.attachments.all()],
        "topics": [t.pk for t in progress.topics],
        "stories": len(progress.stories),
        "published": progress.published,
    }


class AcceptIn(Schema):
    campaign_id: int | None = None
    note: str = ""


class DeclineIn(Schema):
    reason: str


@router.get("/requests", response={200: list[RequestOut], **ERRORS}, summary="Publicity requests in scope")
def requests_list(request, state: str = ""):
    roles.require_any(request.auth, roles.PLAN_VIEW, roles.PARTNER_VIEW)
    rows = request_service.requests_for(request.auth)
    if state:
        rows = rows.filter(state=state)
    return [request_out(r, request.auth) for r in rows.prefetch_related("attachments")[:200]]


@router.post(
    "/requests",
    response={201: RequestOut, **ERRORS},
    summary="Submit a request (multipart; up to 5 attachments of ≤ 10 MB, ≤ 20 MB in all)",
)
def requests_create(
    request,
    title: Form[str],
    description: Form[str],
    wanted_by: Form[dt.date],
    purpose: Form[str] = "",
    wanted_from: Form[dt.date | None] = None,
    channels: Form[list[ChannelKind]] = None,
    partner: Form[str] = "",
    attachments: File[list[UploadedFile]] = None,
):
    values = {
        "title": title,
        "description": description,
        "purpose": purpose,
        "wanted_from": wanted_from,
        "wanted_by": wanted_by,
        "channels": [str(c) for c in channels or []],
    }
    # A liaison always files for their own partner; only staff name one.
    named = _partner(request, partner) if partner and partner_scope(request.auth).everything else None
    req = request_service.submit_request(actor_from_request(request, "api"), values, list(attachments or []), named)
    return Status(201, request_out(req, request.auth))


@router.get("/requests/{request_id}", response={200: RequestOut, **ERRORS}, summary="One request and its progress")
def requests_get(request, request_id: int):
    return request_out(request_service.get_request(request.auth, request_id), request.auth)


@router.post("/requests/{request_id}/accept", response={200: RequestOut, **ERRORS}, summary="Accept into planning")
def requests_accept(request, request_id: int, payload: AcceptIn):
    campaign = services.get_campaign(request.auth, payload.campaign_id) if payload.campaign_id else None
    req, _topic = request_service.accept_request(actor_from_request(request, "api"), request_id, campaign, payload.note)
    return request_out(req, request.auth)


@router.post("/requests/{request_id}/decline", response={200: RequestOut, **ERRORS}, summary="Decline with a reason")
def requests_decline(request, request_id: int, payload: DeclineIn):
    declined = request_service.decline_request(actor_from_request(request, "api"), request_id, payload.reason)
    return request_out(declined, request.auth)


@router.post("/requests/{request_id}/withdraw", response={200: RequestOut, **ERRORS}, summary="Withdraw (submitter)")
def requests_withdraw(request, request_id: int):
    withdrawn = request_service.withdraw_request(actor_from_request(request, "api"), request_id)
    return request_out(withdrawn, request.auth)


# -- key dates -----------------------------------------------------------------------------------------------


class KeyDateIn(Schema):
    name: str
    kind: KeyDate.Kind = KeyDate.Kind.RECURRING
    month: int | None = None
    day: int | None = None
    end_month: int | None = None
    end_day: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    lead_days: int = Field(14, ge=0, le=365)
    partner: str | None = None
    tags: list[str] = []
    description: str = ""
    is_active: bool = True


class KeyDateOut(KeyDateIn):
    id: int
    next_starts_on: dt.date | None
    next_ends_on: dt.date | None


class OccurrenceOut(Schema):
    key_date: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    plan_from: dt.date


def key_date_out(key_date: KeyDate) -> dict:
    fields = ("id", "name", "kind", "month", "day", "end_month", "end_day", "starts_on", "ends_on", "lead_days")
    out = {f: getattr(key_date, f) for f in fields}
    upcoming = keydates.next_occurrence(key_date, timezone.localdate())
    out.update(
        partner=key_date.partner.slug if key_date.partner_id else None,
        tags=key_date.tags,
        description=key_date.description,
        is_active=key_date.is_active,
        next_starts_on=upcoming.starts_on if upcoming else None,
        next_ends_on=upcoming.ends_on if upcoming else None,
    )
    return out


def _key_date_values(request, payload: Schema) -> dict:
    values = payload.dict(exclude_unset=True)
    if "partner" in values:
        values["partner"] = _partner(request, values["partner"])
    return values


def _staff(request) -> None:
    if not roles.can(request.auth, roles.PLAN_VIEW):
        raise NotFound(FieldError("not_found", _("资源不存在。")))


@router.get("/key-dates", response={200: list[KeyDateOut], **ERRORS}, summary="Key publicity dates")
def key_dates_list(request):
    _staff(request)
    return [key_date_out(k) for k in KeyDate.objects.select_related("partner")]


@router.get(
    "/key-dates/occurrences", response={200: list[OccurrenceOut], **ERRORS}, summary="When key dates fall in a range"
)
def key_dates_occurrences(request, start: dt.date | None = None, end: dt.date | None = None):
    _staff(request)
    first, last = _range(start, end)
    found = []
    for key_date in KeyDate.objects.filter(is_active=True):
        found.extend(keydates.occurrences(key_date, first, last))
    found.sort(key=lambda o: (o.starts_on, o.key_date.name))
    return [
        {
            "key_date": o.key_date.pk,
            "name": o.key_date.name,
            "starts_on": o.starts_on,
            "ends_on": o.ends_on,
            "plan_from": o.plan_from,
        }
        for o in found
    ]


@router.post("/key-dates", response={201: KeyDateOut, **ERRORS}, summary="Add a key date")
def key_dates_create(request, payload: KeyDateIn):
    key_date = services.save_key_date(actor_from_request(request, "api"), _key_date_values(request, payload))
    return Status(201, key_date_out(key_date))


@router.patch("/key-dates/{key_date_id}", response={200: KeyDateOut, **ERRORS}, summary="Change a key date")
def key_dates_patch(request, key_date_id: int, payload: KeyDateIn):
    _staff(request)
    key_date = services.get_key_date(request.auth, key_date_id)
    values = _key_date_values(request, payload)
    return key_date_out(services.save_key_date(actor_from_request(request, "api"), values, key_date))


@router.delete("/key-dates/{key_date_id}", response={204: None, **ERRORS}, summary="Delete (409 if referenced)")
def key_dates_delete(request, key_date_id: int):
    _staff(request)
    key_date = services.get_key_date(request.auth, key_date_id)
    delete_record(actor_from_request(request, "api"), key_date, roles.PLAN_MANAGE)
    return Status(204, None)


# -- campaigns -----------------------------------------------------------------------------------------------


class CampaignIn(Schema):
    title: str
    partner: str | None = None
    key_date_id: int | None = None
    commitment_id: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    description: str = ""
    owner_id: int | None = None
    state: CampaignState = CampaignState.PLANNED


class CampaignPatch(Schema):
    title: str | None = None
    partner: str | None = None
    key_date_id: int | None = None
    commitment_id: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    description: str | None = None
    owner_id: int | None = None
    state: CampaignState | None = None


class CampaignOut(Schema):
    id: int
    title: str
    partner: str | None
    key_date_id: int | None
    commitment_id: int | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    description: str
    owner: str | None
    state: str
    topics: int
    ical: str | None = Field(None, description="secret iCalendar address of this campaign for the caller")


def campaign_out(campaign: Campaign, user=None) -> dict:
    return {
        "id": campaign.pk,
        "title": campaign.title,
        "partner": campaign.partner.slug if campaign.partner_id else None,
        "key_date_id": campaign.key_date_id,
        "commitment_id": campaign.commitment_id,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "description": campaign.description,
        "owner": campaign.owner.username if campaign.owner_id else None,
        "state": campaign.state,
        "topics": campaign.topics.count(),
        "ical": ical_url(user, f"campaign:{campaign.pk}") if user is not None else None,
    }


def ical_url(user, feed: str) -> str:
    return f"{settings.TONGPIN_BASE_URL.rstrip('/')}/ical/{ical.feed_token(user, feed)}.ics"


def _campaign_values(request, payload: Schema) -> dict:
    values = payload.dict(exclude_unset=True)
    if "partner" in values:
        values["partner"] = _partner(request, values["partner"])
    if "key_date_id" in values:
        pk = values.pop("key_date_id")
        values["key_date"] = services.get_key_date(request.auth, pk) if pk else None
    if "commitment_id" in values:
        pk = values.pop("commitment_id")
        values["commitment"] = get_commitment(request.auth, pk) if pk else None
    if "owner_id" in values:
        values["owner"] = one_user(values.pop("owner_id"), "owner_id")
    return values


@router.get("/campaigns", response={200: list[CampaignOut], **ERRORS}, summary="Campaigns in scope")
def campaigns_list(request, state: str = ""):
    roles.require_any(request.auth, roles.PLAN_VIEW, roles.PARTNER_VIEW)
    rows = services.campaigns_for(request.auth).select_related("partner", "owner")
    if state:
        rows = rows.filter(state=state)
    return [campaign_out(c) for c in rows[:500]]


@router.post("/campaigns", response={201: CampaignOut, **ERRORS}, summary="Create a campaign")
def campaigns_create(request, payload: CampaignIn):
    campaign = services.save_campaign(actor_from_request(request, "api"), _campaign_values(request, payload))
    return Status(201, campaign_out(campaign, request.auth))


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS}, summary="One campaign")
def campaigns_get(request, campaign_id: int):
    return campaign_out(services.get_campaign(request.auth, campaign_id), request.auth)


@router.patch("/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS}, summary="Change a campaign")
def campaigns_patch(request, campaign_id: int, payload: CampaignPatch):
    campaign = services.get_campaign(request.auth, campaign_id)
    values = _campaign_values(request, payload)
    return campaign_out(services.save_campaign(actor_from_request(request, "api"), values, campaign), request.auth)


@router.delete("/campaigns/{campaign_id}", response={204: None, **ERRORS}, summary="Delete (409 if referenced)")
def campaigns_delete(request, campaign_id: int):
    campaign = services.get_campaign(request.auth, campaign_id)
    delete_record(actor_from_request(request, "api"), campaign, roles.PLAN_MANAGE)
    return Status(204, None)


# -- topics --------------------------------------------------------------------------------------------------


class TopicIn(Schema):
    title: str
    description: str = ""
    campaign_id: int | None = None
    partner: str | None = None
    due_on: dt.date | None = None
    channels: list[ChannelKind] = []


class TopicPatch(Schema):
    title: str | None = None
    description: str | None = None
    campaign_id: int | None = None
    due_on: dt.date | None = None
    channels: list[ChannelKind] | None = None


class MoveIn(Schema):
    state: TopicState
    note: str = ""


class TopicOut(Schema):
    id: int
    title: str
    description: str
    campaign_id: int | None
    partner: str | None
    request_id: int | None
    due_on: dt.date | None
    channels: list[str]
    state: str
    state_label: str
    decision_note: str
    proposed_by: str | None
    assignments: list[int]


def topic_out(topic: Topic) -> dict:
    return {
        "id": topic.pk,
        "title": topic.title,
        "description": topic.description,
        "campaign_id": topic.campaign_id,
        "partner": topic.partner.slug if topic.partner_id else None,
        "request_id": topic.request_id,
        "due_on": topic.due_on,
        "channels": topic.channels,
        "state": topic.state,
        "state_label": str(topic.get_state_display()),
        "decision_note": topic.decision_note,
        "proposed_by": topic.proposed_by.username if topic.proposed_by_id else None,
        "assignments": [a.pk for a in topic.assignments.all()],
    }


def _topic_values(request, payload: Schema) -> dict:
    values = payload.dict(exclude_unset=True)
    if "channels" in values and values["channels"] is not None:
        values["channels"] = [str(c) for c in values["channels"]]
    if "campaign_id" in values:
        pk = values.pop("campaign_id")
        values["campaign"] = services.get_campaign(request.auth, pk) if pk else None
    if "partner" in values:
        values["partner"] = _partner(request, values["partner"])
    return values


@router.get("/topics", response={200: list[TopicOut], **ERRORS}, summary="Topics (选题)")
def topics_list(request, state: str = "", campaign: int | None = None):
    _staff(request)
    rows = services.topics_for(request.auth).select_related("partner", "proposed_by").prefetch_related("assignments")
    if state:
        rows = rows.filter(state=state)
    if campaign:
        rows = rows.filter(campaign_id=campaign)
    return [topic_out(t) for t in rows[:500]]


@router.post("/topics", response={201: TopicOut, **ERRORS}, summary="Propose a topic")
def topics_create(request, payload: TopicIn):
    topic = services.propose_topic(actor_from_request(request, "api"), _topic_values(request, payload))
    return Status(201, topic_out(topic))


@router.get("/topics/{topic_id}", response={200: TopicOut, **ERRORS}, summary="One topic")
def topics_get(request, topic_id: int):
    _staff(request)
    return topic_out(services.get_topic(request.auth, topic_id))


@router.patch("/topics/{topic_id}", response={200: TopicOut, **ERRORS}, summary="Change a topic")
def topics_patch(request, topic_id: int, payload: TopicPatch):
    _staff(request)
    topic = services.get_topic(request.auth, topic_id)
    return topic_out(services.update_topic(actor_from_request(request, "api"), topic, _topic_values(request, payload)))


@router.post("/topics/{topic_id}/move", response={200: TopicOut, **ERRORS}, summary="Approve, reject, finish…")
def topics_move(request, topic_id: int, payload: MoveIn):
    _staff(request)
    topic = services.get_topic(request.auth, topic_id)
    return topic_out(services.move_topic(actor_from_request(request, "api"), topic, payload.state, payload.note))


@router.delete("/topics/{topic_id}", response={204: None, **ERRORS}, summary="Delete (409 if referenced)")
def topics_delete(request, topic_id: int):
    _staff(request)
    topic = services.get_topic(request.auth, topic_id)
    delete_record(actor_from_request(request, "api"), topic, roles.PLAN_MANAGE)
    return Status(204, None)


# -- assignments ---------------------------------------------------------------------------------------------


class AssignmentIn(Schema):
    topic_id: int
    assignee_id: int
    role: AssignmentRole = AssignmentRole.REPORTER
    brief: str = ""
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    due_at: dt.datetime
    channels: list[ChannelKind] = []


class AssignmentPatch(Schema):
    assignee_id: int | None = None
    role: AssignmentRole | None = None
    brief: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    channels: list[ChannelKind] | None = None


class AssignmentStateIn(Schema):
    state: AssignmentState


class ConflictOut(Schema):
    code: str
    message: str
    other_id: int | None


class AssignmentOut(Schema):
    id: int
    topic_id: int
    topic: str
    assignee: str
    role: str
    brief: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    due_at: dt.datetime
    channels: list[str]
    state: str
    stories: list[int]
    conflicts: list[ConflictOut]


def assignment_out(assignment: Assignment, conflicts=None) -> dict:
    if conflicts is None:
        conflicts = services.assignment_conflicts(assignment)
    return {
        "id": assignment.pk,
        "topic_id": assignment.topic_id,
        "topic": assignment.topic.title,
        "assignee": assignment.assignee.username,
        "role": assignment.role,
        "brief": assignment.brief,
        "starts_at": assignment.starts_at,
        "ends_at": assignment.ends_at,
        "due_at": assignment.due_at,
        "channels": assignment.channels,
        "state": assignment.state,
        "stories": [s.pk for s in assignment.stories.all()],
        "conflicts": [
            {"code": c.code, "message": str(c.message), "other_id": c.other.pk if c.other else None} for c in conflicts
        ],
    }


def _assignment_values(request, payload: Schema) -> dict:
    values = payload.dict(exclude_unset=True)
    if "topic_id" in values:
        values["topic"] = services.get_topic(request.auth, values.pop("topic_id"))
    if "assignee_id" in values:
        values["assignee"] = one_user(values.pop("assignee_id"), "assignee_id")
    if "channels" in values and values["channels"] is not None:
        values["channels"] = [str(c) for c in values["channels"]]
    return values


@router.get("/assignments", response={200: list[AssignmentOut], **ERRORS}, summary="Assignments (派单)")
def assignments_list(request, mine: bool = False, open_only: bool = False):
    roles.require_any(request.auth, roles.PLAN_VIEW, roles.PARTNER_VIEW)  # a liaison gets an empty list
    rows = services.assignments_for(request.auth).select_related("topic__campaign__key_date", "assignee")
    if mine:
        rows = rows.filter(assignee=request.auth)
    if open_only:
        rows = rows.filter(state__in=services.LIVE_ASSIGNMENTS)
    return [assignment_out(a) for a in rows[:500]]


@router.post("/assignments", response={201: AssignmentOut, **ERRORS}, summary="Assign a topic (conflicts listed)")
def assignments_create(request, payload: AssignmentIn):
    _staff(request)
    values = _assignment_values(request, payload)
    assignment, conflicts = services.save_assignment(actor_from_request(request, "api"), values)
    return Status(201, assignment_out(assignment, conflicts))


@router.get("/assignments/{assignment_id}", response={200: AssignmentOut, **ERRORS}, summary="One assignment")
def assignments_get(request, assignment_id: int):
    return assignment_out(services.get_assignment(request.auth, assignment_id))


@router.patch("/assignments/{assignment_id}", response={200: AssignmentOut, **ERRORS}, summary="Change one")
def assignments_patch(request, assignment_id: int, payload: AssignmentPatch):
    assignment = services.get_assignment(request.auth, assignment_id)
    values = _assignment_values(request, payload)
    assignment, conflicts = services.save_assignment(actor_from_request(request, "api"), values, assignment)
    return assignment_out(assignment, conflicts)


@router.post("/assignments/{assignment_id}/state", response={200: AssignmentOut, **ERRORS}, summary="Accept, cancel…")
def assignments_state(request, assignment_id: int, payload: AssignmentStateIn):
    assignment = services.get_assignment(request.auth, assignment_id)
    return assignment_out(services.set_assignment_state(actor_from_request(request, "api"), assignment, payload.state))


# -- events --------------------------------------------------------------------------------------------------


class EventIn(Schema):
    title: str
    partner: str | None = None
    campaign_id: int | None = None
    starts_on: dt.date
    ends_on: dt.date
    place: str = ""
    description: str = ""
    state: EventState = EventState.PREPARING


class EventPatch(Schema):
    title: str | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    place: str | None = None
    description: str | None = None
    state: EventState | None = None


class TaskIn(Schema):
    title: str
    is_milestone: bool = False
    owner_id: int | None = None
    due_on: dt.date


class EventTaskOut(Schema):
    id: int
    title: str
    is_milestone: bool
    owner: str | None
    due_on: dt.date
    done: bool
    overdue: bool


class EventOut(Schema):
    id: int
    title: str
    partner: str | None
    campaign_id: int | None
    starts_on: dt.date
    ends_on: dt.date
    place: str
    description: str
    state: str
    tasks: list[EventTaskOut]


def task_out(task: EventTask) -> dict:
    return {
        "id": task.pk,
        "title": task.title,
        "is_milestone": task.is_milestone,
        "owner": task.owner.username if task.owner_id else None,
        "due_on": task.due_on,
        "done": task.done_at is not None,
        "overdue": task.overdue,
    }


def event_out(event: Event) -> dict:
    fields = ("id", "title", "campaign_id", "starts_on", "ends_on", "place", "description", "state")
    out = {f: getattr(event, f) for f in fields}
    out.update(
        partner=event.partner.slug if event.partner_id else None,
        tasks=[task_out(t) for t in event.tasks.select_related("owner")],
    )
    return out


def _event_values(request, payload: Schema) -> dict:
    values = payload.dict(exclude_unset=True)
    if "partner" in values:
        values["partner"] = _partner(request, values["partner"])
    if "campaign_id" in values:
        pk = values.pop("campaign_id")
        values["campaign"] = services.get_campaign(request.auth, pk) if pk else None
    return values


@router.get("/events", response={200: list[EventOut], **ERRORS}, summary="Joint events (活动筹办)")
def events_list(request):
    roles.require_any(request.auth, roles.PLAN_VIEW, roles.PARTNER_VIEW)
    return [event_out(e) for e in services.events_for(request.auth).select_related("partner")[:500]]


@router.post("/events", response={201: EventOut, **ERRORS}, summary="Create an event")
def events_create(request, payload: EventIn):
    event = services.save_event(actor_from_request(request, "api"), _event_values(request, payload))
    return Status(201, event_out(event))


@router.get("/events/{event_id}", response={200: EventOut, **ERRORS}, summary="One event with its tasks")
def events_get(request, event_id: int):
    return event_out(services.get_event(request.auth, event_id))


@router.patch("/events/{event_id}", response={200: EventOut, **ERRORS}, summary="Change an event")
def events_patch(request, event_id: int, payload: EventPatch):
    event = services.get_event(request.auth, event_id)
    return event_out(services.save_event(actor_from_request(request, "api"), _event_values(request, payload), event))


@router.delete("/events/{event_id}", response={204: None, **ERRORS}, summary="Delete (409 while it has tasks)")
def events_delete(request, event_id: int):
    event = services.get_event(request.auth, event_id)
    delete_record(actor_from_request(request, "api"), event, roles.PLAN_MANAGE)
    return Status(204, None)


@router.post("/events/{event_id}/tasks", response={201: EventTaskOut, **ERRORS}, summary="Add a milestone or task")
def tasks_create(request, event_id: int, payload: TaskIn):
    event = services.get_event(request.auth, event_id)
    values = payload.dict()
    values["owner"] = one_user(values.pop("owner_id"), "owner_id")
    return Status(201, task_out(services.save_task(actor_from_request(request, "api"), event, values)))


@router.post("/tasks/{task_id}/toggle", response={200: EventTaskOut, **ERRORS}, summary="Mark done / not done")
def tasks_toggle(request, task_id: int):
    task = services.get_task(request.auth, task_id)
    return task_out(services.toggle_task(actor_from_request(request, "api"), task))


# -- calendar ------------------------------------------------------------------------------------------------


class EntryOut(Schema):
    uid: str
    kind: str
    title: str
    starts_on: dt.date
    ends_on: dt.date
    at: dt.datetime | None
    link: str
    conflicts: list[str]
    person: str


class CalendarQuery(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    mine: bool = False
    campaign: int | None = None


@router.get("/calendar", response={200: list[EntryOut], **ERRORS}, summary="Calendar entries in a range")
def calendar_entries(request, filters: Query[CalendarQuery]):
    roles.require_any(request.auth, roles.PLAN_VIEW, roles.PARTNER_VIEW)
    first, last = _range(filters.start, filters.end)
    campaign = services.get_campaign(request.auth, filters.campaign) if filters.campaign else None
    person = request.auth if filters.mine else None
    rows = calendar.entries(request.auth, first, last, person=person, campaign=campaign)
    return [{**e.__dict__, "conflicts": list(e.conflicts)} for e in rows]


class FeedsOut(Schema):
    person: str


@router.get("/calendar/feeds", response={200: FeedsOut, **ERRORS}, summary="The caller's secret iCalendar address")
def calendar_feeds(request):
    roles.require_any(request.auth, roles.PLAN_VIEW, roles.PARTNER_VIEW)
    return {"person": ical_url(request.auth, "person")}


@router.post(
    "/calendar/feeds/rotate",
    response={200: FeedsOut, **ERRORS},
    summary="Regenerate the caller's iCalendar addresses (every earlier one stops working)",
)
def calendar_feeds_rotate(request):
    roles.require_any(request.auth, roles.PLAN_VIEW, roles.PARTNER_VIEW)  # as the calendar whose address it is
    ical.rotate(actor_from_request(request, "api"))
    return {"person": ical_url(request.auth, "person")}
