"""Topics (选题): anyone on the staff proposes, desk chiefs approve; moved through `services.TOPIC_MOVES`."""

from __future__ import annotations

import datetime as dt
from functools import partial

from ninja import Schema
from pydantic import Field

from tongpin.core import roles
from tongpin.core.resources import Resource, Router, on_one, payload_values
from tongpin.core.schemas import ERRORS
from tongpin.publishing.kinds import ChannelKind

from .. import services
from ..models import Topic, TopicState
from .common import partner_of

router = Router(tags=["planning"])


class TopicIn(Schema):
    title: str
    description: str = ""
    campaign_id: int | None = None
    partner: str | None = None
    due_on: dt.date | None = None
    channels: list[ChannelKind] = []


class MoveIn(Schema):
    state: TopicState
    note: str = ""


class TopicOut(Schema):
    id: int
    title: str
    description: str
    campaign_id: int | None
    partner: str | None = Field(None, alias="partner.slug")
    request_id: int | None
    due_on: dt.date | None
    channels: list[str]
    state: str
    state_label: str = Field(alias="get_state_display")
    decision_note: str
    proposed_by: str | None = Field(None, alias="proposed_by.username")
    assignments: list[int]

    @staticmethod
    def resolve_assignments(topic: Topic) -> list[int]:
        return [a.pk for a in topic.assignments.all()]


def channel_kinds(kinds: list | None) -> tuple[str, list[str] | None]:
    return "channels", None if kinds is None else [str(kind) for kind in kinds]


def topic_values(request, payload: Schema) -> dict:
    return payload_values(
        payload,
        channels=channel_kinds,
        campaign_id=lambda pk: ("campaign", services.get_campaign(request.auth, pk) if pk else None),
        partner=partial(partner_of, request),
    )


def save_topic(actor, values: dict, topic: Topic | None = None) -> Topic:
    return services.update_topic(actor, topic, values) if topic else services.propose_topic(actor, values)


RESOURCE = Resource(
    "topic",
    Topic,
    input=TopicIn,
    output=TopicOut,
    lookup=services.get_topic,
    needs={"delete": roles.PLAN_MANAGE},
    save=save_topic,
    values=topic_values,
    patch_exclude=("partner",),
    summaries={"create": "Propose a topic", "delete": "Delete (409 if referenced)"},
)


@router.get("/topics", response={200: list[TopicOut], **ERRORS}, summary="Topics (选题)")
def topics_list(request, state: str = "", campaign: int | None = None):
    roles.require(request.auth, roles.PLAN_VIEW)
    rows = services.topics_for(request.auth).select_related("partner", "proposed_by").prefetch_related("assignments")
    if state:
        rows = rows.filter(state=state)
    if campaign:
        rows = rows.filter(campaign_id=campaign)
    return list(rows[:500])


RESOURCE.routes(router, "/topics", "topic_id", verbs=("create", "get", "change", "delete"))


@on_one(router.post, "/topics/{topic_id}/move", RESOURCE.lookup, TopicOut, "Approve, reject, finish…")
def topics_move(actor, topic, payload: MoveIn):
    return services.move_topic(actor, topic, payload.state, payload.note)
