"""REST endpoints for warnings: CAP intake, the alert with its chain, renditions and deliveries, decisions."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from tongpin.core.api_auth import MACHINE_AUTH
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import FieldError, ValidationFailed
from tongpin.core.schemas import ERRORS
from tongpin.publishing.api import ReachOut

from . import intake, queries
from . import release as lifecycle
from .intake import TooLarge

router = Router(tags=["alerts"])
XML_TYPES = {"application/xml", "text/xml", "application/cap+xml", "application/octet-stream"}


class UnsupportedMedia(ValidationFailed):
    status = 415


class AlertDecisionIn(Schema):  # not "DecisionIn": django-ninja keys OpenAPI schemas by class name (review has one)
    note: str = Field("", max_length=300, description="the duty officer's note, kept with the decision and audited")


class AlertDeliveryOut(Schema):
    channel: str
    kind: str
    state: str
    attempts: int
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    last_error: str
    sent_at: dt.datetime | None = None
    received_at: dt.datetime | None = None
    reached_at: dt.datetime | None = None
    reach: ReachOut


class AlertOut(Schema):
    id: int
    identifier: str
    sender: str
    sent: str
    msg_type: str
    status: str
    state: str
    state_label: str
    level: str
    severity: str
    urgency: str
    certainty: str
    event: str
    headline: str
    description: str
    instruction: str
    area_desc: str
    source_format: str
    signature: str
    signature_detail: str
    hold_reason: str = ""  # why it waits for a duty officer (the sender's signature), when that is the reason
    pages: list[dict] = []  # the duty officers paged about it: step, user, called_at, acked_at, sends per route
    warnings: list[dict]
    received_at: dt.datetime
    released_at: dt.datetime | None
    expires_at: dt.datetime | None
    previous_id: int | None
    chain: list[dict]
    renditions: list[dict]
    deliveries: list[AlertDeliveryOut]


class AlertListOut(Schema):
    count: int
    results: list[AlertOut]


def _body(request) -> bytes:
    limit = settings.TONGPIN_CAP_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise TooLarge(FieldError("too_large", _("消息超过 %(n)d 字节。") % {"n": limit}))
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type not in XML_TYPES:
        raise UnsupportedMedia(FieldError("unsupported_media_type", _("请以 XML 发送（application/xml）。"), "body"))
    try:
        data = request.body
    except RequestDataTooBig as error:
        raise TooLarge(FieldError("too_large", _("消息超过 %(n)d 字节。") % {"n": limit})) from error
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head != b"<":
        raise UnsupportedMedia(FieldError("not_xml", _("消息不是 XML。"), "body"))
    return data


@router.post(
    "/alerts/cap",
    response={200: dict, 201: dict, **ERRORS, 413: dict, 415: dict},
    summary="Submit a warning: CAP 1.2, CAP 1.1 or 12379 XML as the request body",
    auth=MACHINE_AUTH,  # the one endpoint sender (machine) accounts may call
    openapi_extra={"requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}, "required": True}},
)
def alerts_submit(request):
    received = intake.receive(actor_from_request(request, "api"), _body(request))
    created = any(r.created for r in received)
    if len(received) == 1:
        return Status(201 if created else 200, queries.alert_out(received[0].alert, fresh=created))
    answers = queries.alerts_out([r.alert for r in received])  # a batch may mix new and repeated ones
    return Status(201 if created else 200, {"alerts": answers})


@router.get("/alerts", response={200: AlertListOut, **ERRORS}, summary="Recent warnings")
def alerts_list(request, state: str | None = None, level: str | None = None, limit: int = 50):
    rows = queries.visible_alerts(request.auth, state=state, level=level)[: max(1, min(limit, 200))]
    return {"count": len(rows), "results": queries.alerts_out(list(rows))}


@router.get("/alerts/{alert_id}", response={200: AlertOut, **ERRORS}, summary="A warning, its chain and deliveries")
def alerts_get(request, alert_id: int):
    return queries.alert_out(queries.get_alert(request.auth, alert_id))


@router.post("/alerts/{alert_id}/confirm", response={200: AlertOut, **ERRORS}, summary="Release a pending warning")
def alerts_confirm(request, alert_id: int, payload: AlertDecisionIn):
    alert = lifecycle.confirm(actor_from_request(request, "api"), alert_id, payload.note)
    return queries.alert_out(alert)


@router.post("/alerts/{alert_id}/reject", response={200: AlertOut, **ERRORS}, summary="Do not release a warning")
def alerts_reject(request, alert_id: int, payload: AlertDecisionIn):
    alert = lifecycle.reject(actor_from_request(request, "api"), alert_id, payload.note)
    return queries.alert_out(alert)
