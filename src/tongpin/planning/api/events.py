"""Joint events (活动筹办) and their milestones and tasks."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db.models import Prefetch
from ninja import Schema
from pydantic import Field

from tongpin.core import roles
from tongpin.core.resources import Resource, Router, on_one, one_user, payload_values

from .. import services
from ..models import Event, EventState, EventTask
from .common import partner_of

router = Router(tags=["planning"])


class EventIn(Schema):
    title: str
    partner: str | None = None
    campaign_id: int | None = None
    starts_on: dt.date
    ends_on: dt.date
    place: str = ""
    description: str = ""
    state: EventState = EventState.PREPARING


class TaskIn(Schema):
    title: str
    is_milestone: bool = False
    owner_id: int | None = None
    due_on: dt.date


class EventTaskOut(Schema):
    id: int
    title: str
    is_milestone: bool
    owner: str | None = Field(None, alias="owner.username")
    due_on: dt.date
    done: bool
    overdue: bool

    @staticmethod
    def resolve_done(task: EventTask) -> bool:
        return task.done_at is not None


class EventOut(Schema):
    id: int
    title: str
    partner: str | None = Field(None, alias="partner.slug")
    campaign_id: int | None
    starts_on: dt.date
    ends_on: dt.date
    place: str
    description: str
    state: str
    tasks: list[EventTaskOut]

    @staticmethod
    def resolve_tasks(event: Event) -> list[EventTask]:
        if "tasks" in getattr(event, "_prefetched_objects_cache", {}):
            return list(event.tasks.all())
        return list(event.tasks.select_related("owner"))


def event_values(request, payload: Schema) -> dict:
    return payload_values(
        payload,
        partner=partial(partner_of, request),
        campaign_id=lambda pk: ("campaign", services.get_campaign(request.auth, pk) if pk else None),
    )


RESOURCE = Resource(
    "event",
    Event,
    input=EventIn,
    output=EventOut,
    lookup=services.get_event,
    needs={"list": (roles.PLAN_VIEW, roles.PARTNER_VIEW), "delete": roles.PLAN_MANAGE},
    rows=lambda user: services.events_for(user)
    .select_related("partner")
    .prefetch_related(Prefetch("tasks", EventTask.objects.select_related("owner"))),
    save=services.save_event,
    values=event_values,
    patch_exclude=("partner", "campaign_id"),
    summaries={
        "list": "Joint events (活动筹办)",
        "get": "One event with its tasks",
        "delete": "Delete (409 while it has tasks)",
    },
)
RESOURCE.routes(router, "/events", "event_id")


@on_one(router.post, "/events/{event_id}/tasks", RESOURCE.lookup, EventTaskOut, "Add a milestone or task", status=201)
def tasks_create(actor, event, payload: TaskIn):
    values = payload_values(payload, owner_id=lambda pk: ("owner", one_user(pk, "owner_id")))
    return services.save_task(actor, event, values)


@on_one(router.post, "/tasks/{task_id}/toggle", services.get_task, EventTaskOut, "Mark done / not done")
def tasks_toggle(actor, task):
    return services.toggle_task(actor, task)
