"""Assignments (派单): a topic given to a person, with double bookings and late deadlines listed as conflicts."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from tongpin.core import roles
from tongpin.core.resources import Resource, Router, on_one, one_user, payload_values
from tongpin.core.schemas import ERRORS
from tongpin.publishing.kinds import ChannelKind

from .. import services
from ..models import Assignment, AssignmentRole, AssignmentState
from .topics import channel_kinds

router = Router(tags=["planning"])


class AssignmentIn(Schema):
    topic_id: int
    assignee_id: int
    role: AssignmentRole = AssignmentRole.REPORTER
    brief: str = ""
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    due_at: dt.datetime
    channels: list[ChannelKind] = []


class AssignmentStateIn(Schema):
    state: AssignmentState


class ConflictOut(Schema):
    code: str
    message: str
    other_id: int | None = Field(None, alias="other.pk")


class AssignmentOut(Schema):
    id: int
    topic_id: int
    topic: str = Field(alias="topic.title")
    assignee: str = Field(alias="assignee.username")
    role: str
    brief: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    due_at: dt.datetime
    channels: list[str]
    state: str
    stories: list[int]
    conflicts: list[ConflictOut]

    @staticmethod
    def resolve_stories(assignment: Assignment) -> list[int]:
        return [story.pk for story in assignment.stories.all()]

    @staticmethod
    def resolve_conflicts(assignment: Assignment) -> list:
        found = getattr(assignment, "found_conflicts", None)  # saved or listed: already known
        return services.assignment_conflicts(assignment) if found is None else found


def assignment_values(request, payload: Schema) -> dict:
    return payload_values(
        payload,
        topic_id=lambda pk: ("topic", services.get_topic(request.auth, pk)),
        assignee_id=lambda pk: ("assignee", one_user(pk, "assignee_id")),
        channels=channel_kinds,
    )


def save_assignment(actor, values: dict, assignment: Assignment | None = None) -> Assignment:
    assignment, assignment.found_conflicts = services.save_assignment(actor, values, assignment)
    return assignment


RESOURCE = Resource(
    "assignment",
    Assignment,
    input=AssignmentIn,
    output=AssignmentOut,
    lookup=services.get_assignment,
    needs={"create": roles.PLAN_MANAGE},
    save=save_assignment,
    values=assignment_values,
    patch_exclude=("topic_id",),
    summaries={"create": "Assign a topic (conflicts listed)", "change": "Change one"},
)


@router.get("/assignments", response={200: list[AssignmentOut], **ERRORS}, summary="Assignments (派单)")
def assignments_list(request, mine: bool = False, open_only: bool = False):
    roles.require_any(request.auth, roles.PLAN_VIEW, roles.PARTNER_VIEW)  # a liaison gets an empty list
    rows = services.assignments_for(request.auth).select_related("topic__campaign__key_date", "assignee")
    if mine:
        rows = rows.filter(assignee=request.auth)
    if open_only:
        rows = rows.filter(state__in=services.LIVE_ASSIGNMENTS)
    rows = list(rows.prefetch_related("stories")[:500])
    for assignment, conflicts in zip(rows, services.conflicts_of(rows), strict=True):
        assignment.found_conflicts = conflicts
    return rows


RESOURCE.routes(router, "/assignments", "assignment_id", verbs=("create", "get", "change"))


@on_one(router.post, "/assignments/{assignment_id}/state", RESOURCE.lookup, AssignmentOut, "Accept, cancel…")
def assignments_state(actor, assignment, payload: AssignmentStateIn):
    return services.set_assignment_state(actor, assignment, payload.state)
