"""Publicity requests (宣传需求): a liaison files them for their partner, staff accept them into planning."""

from __future__ import annotations

import datetime as dt

from ninja import File, Form, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from tongpin.core import roles
from tongpin.core.audit import actor_from_request
from tongpin.core.resources import Router
from tongpin.core.schemas import ERRORS
from tongpin.partners.models import PublicityRequest
from tongpin.partners.scope import partner_scope
from tongpin.publishing.kinds import ChannelKind

from .. import requests as request_service
from .. import services
from .common import partner_of

router = Router(tags=["planning"])


def _progress(req: PublicityRequest, context):
    if not hasattr(req, "api_progress"):
        req.api_progress = request_service.progress(req, context["request"].auth)
    return req.api_progress


class RequestOut(Schema):
    id: int
    partner: str = Field(alias="partner.slug")
    title: str
    description: str
    purpose: str
    wanted_from: dt.date | None
    wanted_by: dt.date
    channels: list[str]
    state: str
    state_label: str = Field(alias="get_state_display")
    decision_reason: str
    submitted_by: str
    submitted_at: dt.datetime
    attachments: list[str]
    topics: list[int]
    stories: int
    published: int

    @staticmethod
    def resolve_submitted_by(req: PublicityRequest) -> str:
        return str(req.submitted_by)

    @staticmethod
    def resolve_attachments(req: PublicityRequest) -> list[str]:
        return [f"/requests/{req.pk}/attachments/{a.pk}" for a in req.attachments.all()]

    @staticmethod
    def resolve_topics(req: PublicityRequest, context) -> list[int]:
        return [topic.pk for topic in _progress(req, context).topics]

    @staticmethod
    def resolve_stories(req: PublicityRequest, context) -> int:
        return len(_progress(req, context).stories)

    @staticmethod
    def resolve_published(req: PublicityRequest, context) -> int:
        return _progress(req, context).published


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
    return list(rows.select_related("partner", "submitted_by").prefetch_related("attachments")[:200])


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
    named = partner_of(request, partner)[1] if partner and partner_scope(request.auth).everything else None
    req = request_service.submit_request(actor_from_request(request, "api"), values, list(attachments or []), named)
    return Status(201, req)


@router.get("/requests/{request_id}", response={200: RequestOut, **ERRORS}, summary="One request and its progress")
def requests_get(request, request_id: int):
    return request_service.get_request(request.auth, request_id)


@router.post("/requests/{request_id}/accept", response={200: RequestOut, **ERRORS}, summary="Accept into planning")
def requests_accept(request, request_id: int, payload: AcceptIn):
    campaign = services.get_campaign(request.auth, payload.campaign_id) if payload.campaign_id else None
    req, _topic = request_service.accept_request(actor_from_request(request, "api"), request_id, campaign, payload.note)
    return req


@router.post("/requests/{request_id}/decline", response={200: RequestOut, **ERRORS}, summary="Decline with a reason")
def requests_decline(request, request_id: int, payload: DeclineIn):
    return request_service.decline_request(actor_from_request(request, "api"), request_id, payload.reason)


@router.post("/requests/{request_id}/withdraw", response={200: RequestOut, **ERRORS}, summary="Withdraw (submitter)")
def requests_withdraw(request, request_id: int):
    return request_service.withdraw_request(actor_from_request(request, "api"), request_id)
