"""REST endpoints for channels, publications, renditions and deliveries. Thin: each calls the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from tongpin.core.access import api_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import FieldError, TooLarge
from tongpin.core.resources import Resource, on_one, patch_of, payload_values, shown
from tongpin.core.roles import CHANNEL_MANAGE, DELIVERY_VIEW, PUBLISH, STORY_VIEW, can
from tongpin.core.schemas import ERRORS, ErrorsOut

from . import channels_admin, plugins, reach, reports, services
from .kinds import ChannelKind
from .listing import DeliveryFilters, list_deliveries
from .models import Channel, Delivery, DeliveryAttempt, Publication, Rendition
from .plugins import Formatter, Transmitter
from .transmitters import webhook

router = Router(tags=["publishing"])


class ChannelIn(Schema):
    name: str
    slug: str = Field(description="lower-case letters, digits and hyphens; used in feed addresses")
    kind: ChannelKind
    transmitter: str = Field(description="see GET /channel-types")
    settings: dict[str, Any] = Field({}, description="on a change, secret settings left empty keep their value")
    partner: str | None = Field(None, description="partner slug: the channel only carries that partner's content")
    is_active: bool = True
    for_tests: bool = False
    max_attempts: int = 6


# What a channel is and how it sends (slug, kind, transmitter) is fixed when it is created.
ChannelPatch = patch_of(ChannelIn, exclude=("slug", "kind", "transmitter"))


class ChannelOut(Schema):
    id: int
    name: str
    slug: str
    kind: str
    transmitter: str
    settings: dict[str, Any]
    partner: str | None = Field(None, alias="partner.slug")
    is_active: bool
    for_tests: bool
    paused: bool
    paused_reason: str
    consecutive_failures: int
    max_attempts: int

    @staticmethod
    def resolve_settings(channel: Channel) -> dict[str, Any]:
        return channels_admin.public_settings(channel)


class PauseIn(Schema):
    reason: str = ""


class AttemptOut(Schema):
    number: int
    outcome: str
    code: str
    message: str
    detail: str = ""  # what the far end said; admins only
    started_at: dt.datetime
    finished_at: dt.datetime
    duration_ms: int

    @staticmethod
    def resolve_detail(attempt: DeliveryAttempt, context) -> str:
        return attempt.detail if can(context["request"].auth, CHANNEL_MANAGE) else ""


class RecipientCounts(Schema):
    total: int
    reached: int
    failed: int


class ReachOut(Schema):
    """Sent, received, reached (docs/publishing.md "What reached means")."""

    sent_at: dt.datetime | None
    received_at: dt.datetime | None
    reached_at: dt.datetime | None
    reach: str = Field(description="'' (the channel cannot tell), waiting, reached, partial or unreached")
    reach_label: str
    tells_received: bool = Field(description="whether this channel's far end confirms receipt")
    tells_reached: bool = Field(description="whether this channel can tell that the message reached its audience")
    recipients: RecipientCounts | None = None


class DeliveryOut(Schema):
    """A delivery in the log; `attempt_log` is filled only inside a publication (`PublicationOut`)."""

    id: int
    rendition_id: int
    publication_id: int = Field(alias="rendition.publication_id")
    channel: str = Field(alias="channel.slug")
    action: str
    state: str
    state_label: str = Field(alias="get_state_display")
    priority: int
    attempts: int
    max_attempts: int
    idempotency_key: str
    last_code: str
    last_error: str
    remote_url: str
    due_at: dt.datetime
    created_at: dt.datetime
    started_at: dt.datetime | None
    delivered_at: dt.datetime | None
    finished_at: dt.datetime | None
    reach: ReachOut | None = None
    attempt_log: list[AttemptOut] = []

    @staticmethod
    def resolve_reach(delivery: Delivery) -> dict:
        return reach.summary(delivery)

    @staticmethod
    def resolve_attempt_log(delivery: Delivery) -> list:
        return []


class PublishedDeliveryOut(DeliveryOut):
    """A delivery of one publication, with its attempts (the far end's words for channel managers only)."""

    @staticmethod
    def resolve_attempt_log(delivery: Delivery) -> list[DeliveryAttempt]:
        return list(delivery.attempt_log.all())


class RenditionOut(Schema):
    id: int
    channel: str = Field(alias="channel.slug")
    channel_id: int
    kind: str
    fields: dict[str, Any]
    findings: list[dict[str, Any]]
    frozen: bool
    edited_at: dt.datetime | None

    @staticmethod
    def resolve_frozen(rendition: Rendition) -> bool:
        return rendition.frozen_at is not None


class PublicationOut(Schema):
    id: int
    source_type: str
    source_id: int
    source_version: int
    title: str
    state: str
    state_label: str = Field(alias="get_state_display")
    priority: int
    scheduled_at: dt.datetime | None
    created_at: dt.datetime
    released_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    renditions: list[RenditionOut]
    deliveries: list[PublishedDeliveryOut]

    @staticmethod
    def resolve_renditions(publication: Publication) -> list[Rendition]:
        return list(publication.renditions.select_related("channel"))

    @staticmethod
    def resolve_deliveries(publication: Publication) -> list[Delivery]:
        rows = Delivery.objects.filter(rendition__publication=publication).select_related("channel", "rendition")
        return list(rows.prefetch_related("attempt_log").order_by("id"))


# Not derived with patch_of: renditions are made from their source, never created over the API (there is no input
# schema to make optional), and an edit sends the rendition's whole `fields`, so it is required.
class RenditionPatch(Schema):
    fields: dict[str, Any]


class WithdrawIn(Schema):
    reason: str = ""


class DeliveryList(Schema):  # reads a `listing.DeliveryPage`
    count: int
    page: int
    results: list[DeliveryOut] = Field(alias="rows")


class SettingOut(Schema):
    name: str
    label: str
    kind: str
    required: bool
    default: Any

    resolve_label = shown("label")


class FieldSpecOut(Schema):
    name: str
    label: str
    max_length: int | None
    max_items: int | None

    resolve_label = shown("label")


class KindOut(Schema):
    kind: str
    label: str
    fields: list[FieldSpecOut]
    settings: list[SettingOut]

    @staticmethod
    def resolve_label(formatter: Formatter) -> str:
        return str(ChannelKind(formatter.kind).label)


class TransmitterOut(Schema):
    name: str
    label: str
    withdraw: bool = Field(alias="supports_withdraw")
    settings: list[SettingOut]

    resolve_label = shown("label")


# Reads the plug-in registry (`publishing.plugins`): its formatters, one per kind, and its transmitters.
class ChannelTypesOut(Schema):
    kinds: list[KindOut]
    transmitters: list[TransmitterOut]

    @staticmethod
    def resolve_kinds(registry) -> list[Formatter]:
        return list(registry.FORMATTERS.values())

    @staticmethod
    def resolve_transmitters(registry) -> list[Transmitter]:
        return list(registry.TRANSMITTERS.values())


@router.get("/channel-types", response={200: ChannelTypesOut, **ERRORS},
            summary="Channel kinds (with rendition fields) and transmitters (with settings)")  # fmt: skip
@api_needs(STORY_VIEW)
def channel_types(request):
    return plugins


def channel_values(request, payload: Schema) -> dict:
    return payload_values(payload, kind=lambda kind: ("kind", str(kind)))


def save_channel(actor, values: dict, channel: Channel | None = None) -> Channel:
    """Create (admins; what is not sent takes ChannelIn's defaults) or change the fields sent."""
    data = channels_admin.ChannelInput(**values)
    if channel is None:
        return channels_admin.create_channel(actor, data)
    return channels_admin.update_channel(actor, channel.pk, data)


CHANNELS = Resource(
    "channel",
    Channel,
    input=ChannelIn,
    output=ChannelOut,
    lookup=channels_admin.visible_channel,  # 403 unless the caller publishes or watches deliveries; 404
    needs={"list": (PUBLISH, DELIVERY_VIEW)},  # writes: admins only (channels_admin)
    rows=lambda user: Channel.objects.select_related("partner"),
    save=save_channel,
    values=channel_values,
    patch=ChannelPatch,  # kind, transmitter and slug are fixed; empty secret settings keep their value
    summaries={"list": "Channels", "create": "Create a channel (admins)", "change": "Change a channel (admins)"},
)
CHANNELS.routes(router, "/channels", "channel_id", verbs=("list", "create", "get", "change"), size=None)


@on_one(router.post, "/channels/{channel_id}/pause", CHANNELS.lookup, ChannelOut, "Pause a channel")
def channels_pause(actor, channel: Channel, payload: PauseIn) -> Channel:
    return channels_admin.set_paused(actor, channel.pk, True, payload.reason)


@on_one(router.post, "/channels/{channel_id}/resume", CHANNELS.lookup, ChannelOut, "Resume a channel")
def channels_resume(actor, channel: Channel) -> Channel:
    return channels_admin.set_paused(actor, channel.pk, False)


@on_one(router.get, "/publications/{publication_id}", services.get_publication, PublicationOut, "A publication")
def publications_get(actor, publication) -> None:
    """Answers the publication."""


@on_one(router.post, "/publications/{publication_id}/release", services.get_publication, PublicationOut,
        "Send a held publication (after editing its renditions)")  # fmt: skip
def publications_release(actor, publication):
    return services.release(actor, publication.pk)


@on_one(router.post, "/publications/{publication_id}/discard", services.get_publication, PublicationOut,
        "Discard a held publication that was never released (409 once released: withdraw it instead)")  # fmt: skip
def publications_discard(actor, publication):
    return services.discard(actor, publication.pk)


@on_one(router.post, "/publications/{publication_id}/withdraw", services.get_publication, PublicationOut,
        "Cancel what is queued and take down what went out (where the channel allows)")  # fmt: skip
def publications_withdraw(actor, publication, payload: WithdrawIn):
    services.withdraw(actor, publication.pk, payload.reason)  # which refuses a caller who does not publish (403)
    publication.refresh_from_db()
    return publication


@router.patch("/renditions/{rendition_id}", response={200: RenditionOut, **ERRORS}, summary="Edit a rendition")
def renditions_patch(request, rendition_id: int, payload: RenditionPatch):
    return services.edit_rendition(actor_from_request(request, "api"), rendition_id, payload.fields)


@router.get("/deliveries", response={200: DeliveryList, **ERRORS}, summary="The delivery log")
def deliveries_list(request, filters: Query[DeliveryFilters]):
    return list_deliveries(request.auth, filters)


@router.post("/deliveries/{delivery_id}/retry", response={200: DeliveryOut, **ERRORS}, summary="Send again")
def deliveries_retry(request, delivery_id: int):
    return services.retry_delivery(actor_from_request(request, "api"), delivery_id)


@router.post("/deliveries/{delivery_id}/cancel", response={200: DeliveryOut, **ERRORS}, summary="Cancel a queued send")
def deliveries_cancel(request, delivery_id: int):
    return services.cancel_delivery(actor_from_request(request, "api"), delivery_id)


class ReportsAccepted(Schema):
    accepted: int


@router.post(
    "/sms/reports/{channel_slug}",
    response={200: ReportsAccepted, **ERRORS, 413: ErrorsOut},
    auth=None,  # a gateway, not a user: the channel's shared secret signs the body (HMAC), checked in reports.py
    summary="SMS gateway delivery reports (signed with the channel's report secret)",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}},
)
def sms_reports(request, channel_slug: str):
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > reports.MAX_BYTES:
        raise TooLarge(FieldError("too_large", _("状态报告太大。")))
    return reports.receive(
        channel_slug[:50],
        request.body,
        request.headers.get(webhook.TIMESTAMP_HEADER, ""),
        request.headers.get(webhook.SIGNATURE_HEADER, ""),
    )
