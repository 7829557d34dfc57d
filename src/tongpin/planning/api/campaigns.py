"""Campaigns (策划): staff plan them; a liaison sees their own partner's."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db.models import Count
from ninja import Schema
from pydantic import Field

from tongpin.core import roles
from tongpin.core.resources import Resource, Router, one_user, payload_values
from tongpin.core.schemas import ERRORS
from tongpin.partners.services import get_commitment

from .. import services
from ..models import Campaign, CampaignState
from .common import ical_url, partner_of

router = Router(tags=["planning"])


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


class CampaignOut(Schema):
    id: int
    title: str
    partner: str | None = Field(None, alias="partner.slug")
    key_date_id: int | None
    commitment_id: int | None
    starts_on: dt.date | None
    ends_on: dt.date | None
    description: str
    owner: str | None = Field(None, alias="owner.username")
    state: str
    topics: int
    ical: str | None = Field(None, description="secret iCalendar address of this campaign for the caller")

    @staticmethod
    def resolve_topics(campaign: Campaign) -> int:
        counted = getattr(campaign, "topic_count", None)  # lists annotate it
        return campaign.topics.count() if counted is None else counted

    @staticmethod
    def resolve_ical(campaign: Campaign, context) -> str | None:
        return ical_url(context["request"].auth, f"campaign:{campaign.pk}")


def campaign_values(request, payload: Schema) -> dict:
    user = request.auth
    return payload_values(
        payload,
        partner=partial(partner_of, request),
        key_date_id=lambda pk: ("key_date", services.get_key_date(user, pk) if pk else None),
        commitment_id=lambda pk: ("commitment", get_commitment(user, pk) if pk else None),
        owner_id=lambda pk: ("owner", one_user(pk, "owner_id")),
    )


def campaign_rows(user, state: str = ""):
    rows = services.campaigns_for(user).select_related("partner", "owner").annotate(topic_count=Count("topics"))
    return rows.filter(state=state) if state else rows


RESOURCE = Resource(
    "campaign",
    Campaign,
    input=CampaignIn,
    output=CampaignOut,
    lookup=services.get_campaign,
    needs={"delete": roles.PLAN_MANAGE},
    save=services.save_campaign,
    values=campaign_values,
    summaries={"delete": "Delete (409 if referenced)"},
)


@router.get("/campaigns", response={200: list[CampaignOut], **ERRORS}, summary="Campaigns in scope")
def campaigns_list(request, state: str = ""):
    roles.require_any(request.auth, roles.PLAN_VIEW, roles.PARTNER_VIEW)
    return list(campaign_rows(request.auth, state)[:500])


RESOURCE.routes(router, "/campaigns", "campaign_id", verbs=("create", "get", "change", "delete"))
