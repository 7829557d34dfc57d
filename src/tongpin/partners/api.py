"""REST endpoints for partners, agreements, commitments (with computed fulfilment) and liaison records.

A liaison sees their own partner only; any other id answers 404, exactly as if it did not exist."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import Field

from tongpin.core import roles
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import FieldError, ValidationFailed
from tongpin.core.models import User
from tongpin.core.schemas import ERRORS

from . import services
from .fulfilment import fulfilment
from .measures import MEASURES
from .models import (
    ActionItem,
    ActionState,
    Agreement,
    AgreementStatus,
    Commitment,
    CommitmentPeriod,
    Contact,
    Meeting,
    MeetingKind,
    Partner,
)
from .scope import scoped_get

router = Router(tags=["partners"])


def users_by_id(ids: list[int] | None, location: str) -> list[User]:
    found = list(User.objects.filter(pk__in=ids or [], is_active=True))
    if len(found) != len(set(ids or [])):
        raise ValidationFailed(FieldError("unknown_user", _("用户不存在。"), location))
    return found


def one_user(user_id: int | None, location: str) -> User | None:
    return users_by_id([user_id], location)[0] if user_id is not None else None


# -- partners ------------------------------------------------------------------------------------------------


class PartnerIn(Schema):
    slug: str = Field(max_length=64, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str
    short_name: str = ""
    kind: Partner.Kind = Partner.Kind.GOVERNMENT
    description: str = ""
    owner_ids: list[int] = []


class PartnerPatch(Schema):
    name: str | None = None
    short_name: str | None = None
    kind: Partner.Kind | None = None
    description: str | None = None
    owner_ids: list[int] | None = None


class PartnerOut(Schema):
    slug: str
    name: str
    short_name: str
    kind: str
    description: str
    owners: list[str]
    archived: bool


def partner_out(partner: Partner) -> dict:
    return {
        "slug": partner.slug,
        "name": partner.name,
        "short_name": partner.short_name,
        "kind": partner.kind,
        "description": partner.description,
        "owners": [u.username for u in partner.owners.all()],
        "archived": partner.archived_at is not None,
    }


def _partner_values(payload: Schema) -> dict:
    values = payload.dict(exclude_unset=True)
    if "owner_ids" in values:
        values["owners"] = users_by_id(values.pop("owner_ids"), "owner_ids")
    return values


@router.get("/partners", response={200: list[PartnerOut], **ERRORS}, summary="Partners the caller may see")
def partners_list(request, archived: bool = False):
    roles.require_any(request.auth, roles.PARTNER_VIEW)
    return [partner_out(p) for p in services.visible_partners(request.auth, archived).prefetch_related("owners")]


@router.post("/partners", response={201: PartnerOut, **ERRORS}, summary="Create a partner")
def partners_create(request, payload: PartnerIn):
    if Partner.objects.filter(slug=payload.slug).exists():
        raise ValidationFailed(FieldError("duplicate", _("标识已被使用。"), "slug"))
    partner = services.save_partner(actor_from_request(request, "api"), _partner_values(payload))
    return Status(201, partner_out(partner))


@router.get("/partners/{slug}", response={200: PartnerOut, **ERRORS}, summary="One partner")
def partners_get(request, slug: str):
    return partner_out(services.get_partner(request.auth, slug))


@router.patch("/partners/{slug}", response={200: PartnerOut, **ERRORS}, summary="Change a partner")
def partners_patch(request, slug: str, payload: PartnerPatch):
    partner = services.get_partner(request.auth, slug)
    values = _partner_values(payload)
    return partner_out(services.save_partner(actor_from_request(request, "api"), values, partner))


@router.post("/partners/{slug}/archive", response={200: PartnerOut, **ERRORS}, summary="Archive or restore")
def partners_archive(request, slug: str):
    partner = services.get_partner(request.auth, slug)
    return partner_out(services.archive_partner(actor_from_request(request, "api"), partner))


@router.delete("/partners/{slug}", response={204: None, **ERRORS}, summary="Delete (refused with 409 while referenced)")
def partners_delete(request, slug: str):
    partner = services.get_partner(request.auth, slug)
    services.delete_record(actor_from_request(request, "api"), partner, roles.PARTNER_MANAGE)
    return Status(204, None)


class ContactIn(Schema):
    name: str
    title: str = ""
    phone: str = ""
    email: str = ""
    is_primary: bool = False


class ContactOut(ContactIn):
    id: int


def contact_out(contact: Contact) -> dict:
    return {f: getattr(contact, f) for f in ("id", "name", "title", "phone", "email", "is_primary")}


@router.get("/partners/{slug}/contacts", response={200: list[ContactOut], **ERRORS}, summary="Contacts")
def contacts_list(request, slug: str):
    return [contact_out(c) for c in services.get_partner(request.auth, slug).contacts.all()]


@router.post("/partners/{slug}/contacts", response={201: ContactOut, **ERRORS}, summary="Add a contact")
def contacts_create(request, slug: str, payload: ContactIn):
    partner = services.get_partner(request.auth, slug)
    contact = services.save_contact(actor_from_request(request, "api"), partner, payload.dict())
    return Status(201, contact_out(contact))


@router.delete("/contacts/{contact_id}", response={204: None, **ERRORS}, summary="Remove a contact")
def contacts_delete(request, contact_id: int):
    contact = scoped_get(request.auth, Contact, contact_id, _("联系人不存在。"))
    services.delete_record(actor_from_request(request, "api"), contact, roles.PARTNER_MANAGE)
    return Status(204, None)


# -- agreements ----------------------------------------------------------------------------------------------


class AgreementIn(Schema):
    title: str
    number: str = ""
    signed_on: dt.date | None = None
    starts_on: dt.date
    ends_on: dt.date
    principles: str = ""
    areas: list[str] = []
    status: AgreementStatus = AgreementStatus.DRAFT


class AgreementPatch(Schema):
    title: str | None = None
    number: str | None = None
    signed_on: dt.date | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    principles: str | None = None
    areas: list[str] | None = None
    status: AgreementStatus | None = None


class AgreementOut(Schema):
    id: int
    partner: str
    title: str
    number: str
    signed_on: dt.date | None
    starts_on: dt.date
    ends_on: dt.date
    principles: str
    areas: list[str]
    status: str
    effective_status: str = Field(description="`expired` once an in-force agreement is past its end date")
    renewal_of: int | None
    attachment: str | None


def agreement_out(agreement: Agreement) -> dict:
    return {
        "id": agreement.pk,
        "partner": agreement.partner.slug,
        "title": agreement.title,
        "number": agreement.number,
        "signed_on": agreement.signed_on,
        "starts_on": agreement.starts_on,
        "ends_on": agreement.ends_on,
        "principles": agreement.principles,
        "areas": agreement.areas,
        "status": agreement.status,
        "effective_status": agreement.current_status,
        "renewal_of": agreement.renewal_of_id,
        "attachment": f"/agreements/{agreement.pk}/scan" if agreement.attachment else None,
    }


class RenewIn(Schema):
    starts_on: dt.date
    ends_on: dt.date


@router.get("/partners/{slug}/agreements", response={200: list[AgreementOut], **ERRORS}, summary="Agreements")
def agreements_list(request, slug: str):
    partner = services.get_partner(request.auth, slug)
    return [agreement_out(a) for a in services.agreements_of(request.auth, partner).select_related("partner")]


@router.post("/partners/{slug}/agreements", response={201: AgreementOut, **ERRORS}, summary="Add an agreement")
def agreements_create(request, slug: str, payload: AgreementIn):
    partner = services.get_partner(request.auth, slug)
    agreement = services.save_agreement(actor_from_request(request, "api"), partner, payload.dict())
    return Status(201, agreement_out(agreement))


@router.get("/agreements/{agreement_id}", response={200: AgreementOut, **ERRORS}, summary="One agreement")
def agreements_get(request, agreement_id: int):
    return agreement_out(services.get_agreement(request.auth, agreement_id))


@router.patch("/agreements/{agreement_id}", response={200: AgreementOut, **ERRORS}, summary="Change an agreement")
def agreements_patch(request, agreement_id: int, payload: AgreementPatch):
    agreement = services.get_agreement(request.auth, agreement_id)
    values = payload.dict(exclude_unset=True)
    return agreement_out(
        services.save_agreement(actor_from_request(request, "api"), agreement.partner, values, agreement)
    )


@router.post(
    "/agreements/{agreement_id}/attachment",
    response={200: AgreementOut, **ERRORS},
    summary="Attach the signed scan (PDF, JPEG or PNG, ≤ 20 MB)",
)
def agreements_attach(request, agreement_id: int, file: File[UploadedFile]):
    agreement = services.get_agreement(request.auth, agreement_id)
    actor = actor_from_request(request, "api")
    return agreement_out(services.save_agreement(actor, agreement.partner, {}, agreement, attachment=file))


@router.post(
    "/agreements/{agreement_id}/renew",
    response={201: AgreementOut, **ERRORS},
    summary="Renew: a draft for the next term with the same areas and commitments",
)
def agreements_renew(request, agreement_id: int, payload: RenewIn):
    agreement = services.get_agreement(request.auth, agreement_id)
    renewal = services.renew_agreement(
        actor_from_request(request, "api"), agreement, payload.starts_on, payload.ends_on
    )
    return Status(201, agreement_out(renewal))


@router.delete("/agreements/{agreement_id}", response={204: None, **ERRORS}, summary="Delete (409 while referenced)")
def agreements_delete(request, agreement_id: int):
    agreement = services.get_agreement(request.auth, agreement_id)
    services.delete_record(actor_from_request(request, "api"), agreement, roles.PARTNER_MANAGE)
    return Status(204, None)


# -- commitments ---------------------------------------------------------------------------------------------


class MeasureOut(Schema):
    name: str
    label: str
    unit: str
    uses_channels: bool


@router.get("/measures", response={200: list[MeasureOut], **ERRORS}, summary="What commitments can count")
def measures_list(request):
    roles.require_any(request.auth, roles.PARTNER_VIEW)
    return [
        {"name": m.name, "label": str(m.label), "unit": str(m.unit), "uses_channels": m.uses_channels}
        for m in MEASURES.values()
    ]


class CommitmentIn(Schema):
    title: str
    measure: str = Field(description="one of GET /measures")
    target: int = Field(description="how many per period; at least 1")
    period: CommitmentPeriod
    tags: list[str] = []
    channel_kinds: list[str] = []
    min_channels: int = Field(0, ge=0, le=100)
    active_months: list[int] = []
    threshold: int | None = Field(None, ge=1, le=1000, description="ranking measures: the place to reach")
    notes: str = ""


class CommitmentPatch(Schema):
    title: str | None = None
    measure: str | None = None
    target: int | None = None
    period: CommitmentPeriod | None = None
    tags: list[str] | None = None
    channel_kinds: list[str] | None = None
    min_channels: int | None = Field(None, ge=0, le=100)
    active_months: list[int] | None = None
    threshold: int | None = Field(None, ge=1, le=1000)
    notes: str | None = None


class CommitmentOut(CommitmentIn):
    id: int
    agreement: int
    archived: bool
    status: str
    status_label: str


class CountedOut(Schema):
    key: str
    title: str
    on: dt.date
    link: str
    channels: list[str]


class PeriodOut(Schema):
    starts_on: dt.date
    ends_on: dt.date
    target: int
    count: int
    expected: int
    channels: list[str]
    min_channels: int
    status: str
    status_label: str
    records: list[CountedOut]


class FulfilmentOut(Schema):
    commitment: CommitmentOut
    current: PeriodOut | None
    periods: list[PeriodOut]


def commitment_out(commitment: Commitment, status: str | None = None, label: str | None = None) -> dict:
    if status is None:
        result = fulfilment(commitment)
        status, label = result.status, result.status_label
    fields = ("id", "title", "measure", "target", "period", "tags", "channel_kinds", "min_channels")
    out = {f: getattr(commitment, f) for f in fields}
    out.update(
        agreement=commitment.agreement_id,
        active_months=commitment.active_months,
        threshold=commitment.threshold,
        notes=commitment.notes,
        archived=commitment.archived_at is not None,
        status=status,
        status_label=label,
    )
    return out


def period_out(result) -> dict:
    return {
        "starts_on": result.starts_on,
        "ends_on": result.ends_on,
        "target": result.target,
        "count": result.count,
        "expected": result.expected,
        "channels": sorted(result.channels),
        "min_channels": result.min_channels,
        "status": result.status,
        "status_label": result.status_label,
        "records": [
            {"key": r.key, "title": r.title, "on": r.on, "link": r.link, "channels": sorted(r.channels)}
            for r in result.records
        ],
    }


@router.get("/agreements/{agreement_id}/commitments", response={200: list[CommitmentOut], **ERRORS}, summary="List")
def commitments_list(request, agreement_id: int):
    agreement = services.get_agreement(request.auth, agreement_id)
    return [commitment_out(c) for c in agreement.commitments.select_related("agreement")]


@router.post("/agreements/{agreement_id}/commitments", response={201: CommitmentOut, **ERRORS}, summary="Add one")
def commitments_create(request, agreement_id: int, payload: CommitmentIn):
    agreement = services.get_agreement(request.auth, agreement_id)
    commitment = services.save_commitment(actor_from_request(request, "api"), agreement, payload.dict())
    return Status(201, commitment_out(commitment))


@router.patch("/commitments/{commitment_id}", response={200: CommitmentOut, **ERRORS}, summary="Change one")
def commitments_patch(request, commitment_id: int, payload: CommitmentPatch):
    commitment = services.get_commitment(request.auth, commitment_id)
    values = payload.dict(exclude_unset=True)
    actor = actor_from_request(request, "api")
    return commitment_out(services.save_commitment(actor, commitment.agreement, values, commitment))


@router.post("/commitments/{commitment_id}/archive", response={200: CommitmentOut, **ERRORS}, summary="Archive")
def commitments_archive(request, commitment_id: int):
    commitment = services.get_commitment(request.auth, commitment_id)
    return commitment_out(services.archive_commitment(actor_from_request(request, "api"), commitment))


@router.delete("/commitments/{commitment_id}", response={204: None, **ERRORS}, summary="Delete (409 if referenced)")
def commitments_delete(request, commitment_id: int):
    commitment = services.get_commitment(request.auth, commitment_id)
    services.delete_record(actor_from_request(request, "api"), commitment, roles.PARTNER_MANAGE)
    return Status(204, None)


@router.get(
    "/commitments/{commitment_id}/fulfilment",
    response={200: FulfilmentOut, **ERRORS},
    summary="Fulfilment per period, computed from the records that count (each listed)",
)
def commitments_fulfilment(request, commitment_id: int, on: dt.date | None = None):
    commitment = services.get_commitment(request.auth, commitment_id)
    result = fulfilment(commitment, on)
    return {
        "commitment": commitment_out(commitment, result.status, result.status_label),
        "current": period_out(result.current) if result.current else None,
        "periods": [period_out(p) for p in result.periods],
    }


# -- meetings and action items -------------------------------------------------------------------------------


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
    partner: str


def meeting_out(meeting: Meeting) -> dict:
    fields = ("id", "kind", "title", "held_at", "place", "participants", "minutes", "decisions")
    return {**{f: getattr(meeting, f) for f in fields}, "partner": meeting.partner.slug}


@router.get("/partners/{slug}/meetings", response={200: list[MeetingOut], **ERRORS}, summary="Liaison records")
def meetings_list(request, slug: str):
    partner = services.get_partner(request.auth, slug)
    return [meeting_out(m) for m in partner.meetings.select_related("partner")]


@router.post("/partners/{slug}/meetings", response={201: MeetingOut, **ERRORS}, summary="Record a meeting")
def meetings_create(request, slug: str, payload: MeetingIn):
    partner = services.get_partner(request.auth, slug)
    return Status(201, meeting_out(services.save_meeting(actor_from_request(request, "api"), partner, payload.dict())))


@router.delete("/meetings/{meeting_id}", response={204: None, **ERRORS}, summary="Delete (409 if it has actions)")
def meetings_delete(request, meeting_id: int):
    meeting = scoped_get(request.auth, Meeting, meeting_id, _("联络记录不存在。"))
    services.delete_record(actor_from_request(request, "api"), meeting, roles.LIAISON_RECORD)
    return Status(204, None)


class ActionIn(Schema):
    title: str
    owner_id: int
    due_on: dt.date
    meeting_id: int | None = None


class ActionPatch(Schema):
    title: str | None = None
    owner_id: int | None = None
    due_on: dt.date | None = None


class ActionStateIn(Schema):
    state: ActionState


class ActionOut(Schema):
    id: int
    partner: str
    title: str
    owner: str
    due_on: dt.date
    state: str
    overdue: bool
    meeting_id: int | None


def action_out(action: ActionItem) -> dict:
    return {
        "id": action.pk,
        "partner": action.partner.slug,
        "title": action.title,
        "owner": action.owner.username,
        "due_on": action.due_on,
        "state": action.state,
        "overdue": action.overdue,
        "meeting_id": action.meeting_id,
    }


def _action_values(request, payload: Schema) -> dict:
    values = payload.dict(exclude_unset=True)
    if "owner_id" in values:
        values["owner"] = one_user(values.pop("owner_id"), "owner_id")
    if values.get("meeting_id"):
        values["meeting"] = scoped_get(request.auth, Meeting, values.pop("meeting_id"), _("联络记录不存在。"))
    values.pop("meeting_id", None)
    return values


@router.get("/partners/{slug}/actions", response={200: list[ActionOut], **ERRORS}, summary="Action items")
def actions_list(request, slug: str):
    partner = services.get_partner(request.auth, slug)
    return [action_out(a) for a in partner.actions.select_related("partner", "owner")]


@router.post("/partners/{slug}/actions", response={201: ActionOut, **ERRORS}, summary="Add an action item")
def actions_create(request, slug: str, payload: ActionIn):
    partner = services.get_partner(request.auth, slug)
    action = services.save_action(actor_from_request(request, "api"), partner, _action_values(request, payload))
    return Status(201, action_out(action))


@router.patch("/actions/{action_id}", response={200: ActionOut, **ERRORS}, summary="Change an action item")
def actions_patch(request, action_id: int, payload: ActionPatch):
    action = scoped_get(request.auth, ActionItem, action_id, _("待办事项不存在。"))
    values = _action_values(request, payload)
    return action_out(services.save_action(actor_from_request(request, "api"), action.partner, values, action))


@router.post("/actions/{action_id}/state", response={200: ActionOut, **ERRORS}, summary="Done, cancelled or open")
def actions_state(request, action_id: int, payload: ActionStateIn):
    action = scoped_get(request.auth, ActionItem, action_id, _("待办事项不存在。"))
    return action_out(services.set_action_state(actor_from_request(request, "api"), action, payload.state))
