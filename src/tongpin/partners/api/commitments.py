"""Commitments (合作事项) of an agreement and their fulfilment, computed from the records that count."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from tongpin.core import roles
from tongpin.core.audit import actor_from_request
from tongpin.core.resources import Resource, Router, nested
from tongpin.core.schemas import ERRORS

from .. import services
from ..fulfilment import fulfilment
from ..measures import MEASURES
from ..models import Commitment, CommitmentPeriod
from .agreements import RESOURCE as AGREEMENTS

router = Router(tags=["partners"])


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


class CommitmentOut(CommitmentIn):
    id: int
    agreement: int = Field(alias="agreement_id")
    archived: bool
    status: str
    status_label: str

    @staticmethod
    def resolve_archived(commitment: Commitment) -> bool:
        return commitment.archived_at is not None

    @staticmethod
    def resolve_status(commitment: Commitment) -> str:
        return _fulfilment(commitment).status

    @staticmethod
    def resolve_status_label(commitment: Commitment) -> str:
        return str(_fulfilment(commitment).status_label)


def _fulfilment(commitment: Commitment):
    """The commitment's fulfilment today, or on the day a fulfilment request asked about (computed once)."""
    if not hasattr(commitment, "found_fulfilment"):
        commitment.found_fulfilment = fulfilment(commitment)
    return commitment.found_fulfilment


def sorted_channels(found) -> list[str]:
    return sorted(found.channels)


class CountedOut(Schema):
    key: str
    title: str
    on: dt.date
    link: str
    channels: list[str]

    resolve_channels = staticmethod(sorted_channels)


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

    resolve_channels = staticmethod(sorted_channels)


class FulfilmentOut(Schema):
    commitment: CommitmentOut
    current: PeriodOut | None
    periods: list[PeriodOut]


def save_commitment(actor, values: dict, commitment: Commitment) -> Commitment:
    return services.save_commitment(actor, commitment.agreement, values, commitment)


RESOURCE = Resource(
    "commitment",
    Commitment,
    input=CommitmentIn,
    output=CommitmentOut,
    lookup=services.get_commitment,
    needs={"delete": roles.PARTNER_MANAGE},
    save=save_commitment,
    summaries={"change": "Change one", "delete": "Delete (409 if referenced)"},
)


nested(router, AGREEMENTS, "/agreements/{agreement_id}/commitments", "agreement_id", CommitmentOut,
       lambda agreement: agreement.commitments.select_related("agreement"), ("List", "Add one"), CommitmentIn,
       services.save_commitment)  # fmt: skip


RESOURCE.routes(router, "/commitments", "commitment_id", verbs=("change",))


@router.post("/commitments/{commitment_id}/archive", response={200: CommitmentOut, **ERRORS}, summary="Archive")
def commitments_archive(request, commitment_id: int):
    return services.archive_commitment(actor_from_request(request, "api"), RESOURCE.one(request, commitment_id))


RESOURCE.routes(router, "/commitments", "commitment_id", verbs=("delete",))


@router.get(
    "/commitments/{commitment_id}/fulfilment",
    response={200: FulfilmentOut, **ERRORS},
    summary="Fulfilment per period, computed from the records that count (each listed)",
)
def commitments_fulfilment(request, commitment_id: int, on: dt.date | None = None):
    commitment = RESOURCE.one(request, commitment_id)
    commitment.found_fulfilment = result = fulfilment(commitment, on)
    return {"commitment": commitment, "current": result.current, "periods": result.periods}
