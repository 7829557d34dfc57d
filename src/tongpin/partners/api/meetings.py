"""Liaison records: meetings with a partner and the action items they leave."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Schema
from ninja.responses import Status
from pydantic import Field

from tongpin.core import roles
from tongpin.core.audit import actor_from_request
from tongpin.core.resources import Router, delete_record, nested, one_user, patch_of, payload_values
from tongpin.core.schemas import ERRORS

from .. import services
from ..models import ActionItem, ActionState, Meeting, MeetingKind
from ..scope import scoped_get
from .partners import RESOURCE as PARTNERS

router = Router(tags=["partners"])


class MeetingIn(Schema):
    kind: MeetingKind = MeetingKind.FORUM
    title: str
    held_at: dt.datetime
    place: str = ""
    participants: str = ""
    minutes: str = ""
    decisions: str = ""


class MeetingOut(MeetingIn):
    id: int
    partner: str = Field(alias="partner.slug")


nested(router, PARTNERS, "/partners/{slug}/meetings", "slug", MeetingOut,
       lambda partner: partner.meetings.select_related("partner"), ("Liaison records", "Record a meeting"), MeetingIn,
       services.save_meeting)  # fmt: skip


def get_meeting(user, meeting_id: int) -> Meeting:
    return scoped_get(user, Meeting, meeting_id, _("联络记录不存在。"))


@router.delete("/meetings/{meeting_id}", response={204: None, **ERRORS}, summary="Delete (409 if it has actions)")
def meetings_delete(request, meeting_id: int):
    meeting = get_meeting(request.auth, meeting_id)
    delete_record(actor_from_request(request, "api"), meeting, roles.LIAISON_RECORD)
    return Status(204, None)


class ActionIn(Schema):
    title: str
    owner_id: int
    due_on: dt.date
    meeting_id: int | None = None


class ActionStateIn(Schema):
    state: ActionState


class ActionOut(Schema):
    id: int
    partner: str = Field(alias="partner.slug")
    title: str
    owner: str = Field(alias="owner.username")
    due_on: dt.date
    state: str
    overdue: bool
    meeting_id: int | None


def action_values(request, payload: Schema) -> dict:
    values = payload_values(payload, owner_id=lambda pk: ("owner", one_user(pk, "owner_id")))
    meeting_id = values.pop("meeting_id", None)
    if meeting_id:
        values["meeting"] = get_meeting(request.auth, meeting_id)
    return values


def get_action(user, action_id: int) -> ActionItem:
    return scoped_get(user, ActionItem, action_id, _("待办事项不存在。"))


ActionPatch = patch_of(ActionIn, exclude=("meeting_id",))


nested(router, PARTNERS, "/partners/{slug}/actions", "slug", ActionOut,
       lambda partner: partner.actions.select_related("partner", "owner"), ("Action items", "Add an action item"),
       ActionIn, services.save_action, action_values)  # fmt: skip


@router.patch("/actions/{action_id}", response={200: ActionOut, **ERRORS}, summary="Change an action item")
def actions_patch(request, action_id: int, payload: ActionPatch):
    action = get_action(request.auth, action_id)
    values = action_values(request, payload)
    return services.save_action(actor_from_request(request, "api"), action.partner, values, action)


@router.post("/actions/{action_id}/state", response={200: ActionOut, **ERRORS}, summary="Done, cancelled or open")
def actions_state(request, action_id: int, payload: ActionStateIn):
    action = get_action(request.auth, action_id)
    return services.set_action_state(actor_from_request(request, "api"), action, payload.state)
