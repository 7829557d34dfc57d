"""Cooperation agreements (合作协议) of a partner: terms, the signed scan, renewals."""

from __future__ import annotations

import datetime as dt

from ninja import File, Schema
from ninja.files import UploadedFile
from pydantic import Field

from tongpin.core import roles
from tongpin.core.audit import actor_from_request
from tongpin.core.resources import Resource, Router, nested, on_one
from tongpin.core.schemas import ERRORS

from .. import services
from ..models import Agreement, AgreementStatus
from .partners import RESOURCE as PARTNERS

router = Router(tags=["partners"])


class AgreementIn(Schema):
    title: str
    number: str = ""
    signed_on: dt.date | None = None
    starts_on: dt.date
    ends_on: dt.date
    principles: str = ""
    areas: list[str] = []
    status: AgreementStatus = AgreementStatus.DRAFT


class AgreementOut(Schema):
    id: int
    partner: str = Field(alias="partner.slug")
    title: str
    number: str
    signed_on: dt.date | None
    starts_on: dt.date
    ends_on: dt.date
    principles: str
    areas: list[str]
    status: str
    effective_status: str = Field(
        alias="current_status", description="`expired` once an in-force agreement is past its end date"
    )
    renewal_of: int | None = Field(alias="renewal_of_id")
    attachment: str | None

    @staticmethod
    def resolve_attachment(agreement: Agreement) -> str | None:
        return f"/agreements/{agreement.pk}/scan" if agreement.attachment else None


class RenewIn(Schema):
    starts_on: dt.date
    ends_on: dt.date


def save_agreement(actor, values: dict, agreement: Agreement) -> Agreement:
    return services.save_agreement(actor, agreement.partner, values, agreement)


RESOURCE = Resource(
    "agreement",
    Agreement,
    input=AgreementIn,
    output=AgreementOut,
    lookup=services.get_agreement,
    needs={"delete": roles.PARTNER_MANAGE},
    save=save_agreement,
    summaries={"delete": "Delete (409 while referenced)"},
)


nested(router, PARTNERS, "/partners/{slug}/agreements", "slug", AgreementOut,
       lambda partner: partner.agreements.select_related("partner"), ("Agreements", "Add an agreement"), AgreementIn,
       services.save_agreement)  # fmt: skip


RESOURCE.routes(router, "/agreements", "agreement_id", verbs=("get", "change"))


@router.post(
    "/agreements/{agreement_id}/attachment",
    response={200: AgreementOut, **ERRORS},
    summary="Attach the signed scan (PDF, JPEG or PNG, ≤ 20 MB)",
)
def agreements_attach(request, agreement_id: int, file: File[UploadedFile]):
    agreement = RESOURCE.one(request, agreement_id)
    actor = actor_from_request(request, "api")
    return services.save_agreement(actor, agreement.partner, {}, agreement, attachment=file)


@on_one(router.post, "/agreements/{agreement_id}/renew", RESOURCE.lookup, AgreementOut,
        "Renew: a draft for the next term with the same areas and commitments", status=201)  # fmt: skip
def agreements_renew(actor, agreement, payload: RenewIn):
    return services.renew_agreement(actor, agreement, payload.starts_on, payload.ends_on)


RESOURCE.routes(router, "/agreements", "agreement_id", verbs=("delete",))
