"""REST endpoints for live commerce: the roster, products and their documents, sessions (with compliance check,
sign-off and status), results (typed in or imported) and sales."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from tongpin.core import roles
from tongpin.core.access import api_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.errors import FieldError, ValidationFailed
from tongpin.core.resources import Resource, on_one, related, whole_payload
from tongpin.core.schemas import ERRORS
from tongpin.partners.services import get_partner

from . import results, services
from .models import (
    Anchor,
    LivePlatform,
    LiveSession,
    Product,
    ProductDocument,
    QualificationField,
    SessionHost,
    Studio,
)

router = Router(tags=["live"])


class AnchorIn(Schema):
    name: str
    birth_date: dt.date
    guardian_consent: bool = False
    skills: list[str] = []
    categories: list[str] = []


class AnchorOut(AnchorIn):
    id: int
    age: int
    qualifications: list[dict]

    @staticmethod
    def resolve_age(anchor: Anchor) -> int:
        return services.age_on(anchor.birth_date, dt.date.today())

    @staticmethod
    def resolve_qualifications(anchor: Anchor) -> list[dict]:
        return [fields_of(q, "field", "number", "expires_on") for q in anchor.qualifications.all()]


def fields_of(row, *names: str) -> dict:
    return {name: getattr(row, name) for name in names}


ANCHORS = Resource(
    "anchor",
    Anchor,
    input=AnchorIn,
    output=AnchorOut,
    lookup=services.get_anchor,  # 404 for whoever lacks live.view
    needs={"list": roles.LIVE_VIEW},  # writes: the services require live.manage
    rows=lambda user: Anchor.objects.prefetch_related("qualifications"),
    save=services.save_anchor,
    values=whole_payload,
    summaries={"list": "The anchor roster", "create": "Add an anchor (at least 16)"},
)
ANCHORS.routes(router, "/live/anchors", "anchor_id", verbs=("list", "create"), size=None)


class QualificationIn(Schema):
    field: QualificationField
    number: str
    expires_on: dt.date


@on_one(router.post, "/live/anchors/{anchor_id}/qualifications", ANCHORS.lookup, AnchorOut,
        "Add a qualification", status=201)  # fmt: skip
def qualifications_create(actor, anchor, payload: QualificationIn):
    services.save_qualification(actor, anchor, payload.dict())


class ProductIn(Schema):
    partner: str
    name: str
    price: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    specification: str = ""
    category: str = ""
    needs: QualificationField | None = None
    claims: str = ""


class ProductOut(Schema):
    id: int
    partner: str = Field(alias="partner.slug")
    name: str
    price: Decimal
    needs: str
    claims: str
    documents: list[dict]

    @staticmethod
    def resolve_documents(product: Product) -> list[dict]:
        return [
            {**fields_of(d, "id", "kind", "number", "expires_on"), "in_force": counts}
            for d, counts in services.documents_marked(product.documents.all())
        ]


def product_values(request, payload: Schema) -> dict:
    values = payload.dict()
    values["partner"] = get_partner(request.auth, values["partner"])
    values["needs"] = values["needs"] or ""
    return values


PRODUCTS = Resource(
    "product",
    Product,
    input=ProductIn,
    output=ProductOut,
    lookup=services.get_product,
    needs={"list": roles.LIVE_VIEW},
    rows=lambda user: Product.objects.select_related("partner").prefetch_related("documents"),
    save=services.save_product,
    values=product_values,
    summaries={"list": "Products", "create": "Add a product of an enterprise"},
)
PRODUCTS.routes(router, "/live/products", "product_id", verbs=("list", "create"), size=None)


class DocumentIn(Schema):
    kind: ProductDocument.Kind
    number: str = ""
    expires_on: dt.date


@on_one(router.post, "/live/products/{product_id}/documents", PRODUCTS.lookup, ProductOut, "Add a document",
        status=201)  # fmt: skip
def documents_create(actor, product, payload: DocumentIn):
    services.add_document(actor, product, payload.dict())


@router.delete("/live/products/{product_id}/documents/{document_id}", response={200: ProductOut, **ERRORS},
               summary="Remove a document (entered by mistake, or withdrawn by the enterprise)")  # fmt: skip
def documents_delete(request, product_id: int, document_id: int):
    product = services.get_product(request.auth, product_id)  # 404 for whoever may not see it, before the 403
    services.remove_document(actor_from_request(request, "api"), product, document_id)
    return product


class HostIn(Schema):
    anchor_id: int
    role: SessionHost.Role = SessionHost.Role.HOST


class LineupIn(Schema):
    product_id: int
    minutes: int = Field(5, ge=1, le=240)
    talking_points: str = ""


class SessionIn(Schema):
    title: str
    partner: str
    platform: LivePlatform
    account: str
    studio_id: int | None = None
    starts_at: dt.datetime
    ends_at: dt.datetime
    script: str = ""
    hosts: list[HostIn]
    lineup: list[LineupIn] = []


class SessionOut(Schema):
    id: int
    title: str
    partner: str = Field(alias="partner.slug")
    platform: str
    account: str
    studio: str | None = Field(None, alias="studio.name")
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    signed_off_by: str | None = Field(None, alias="signed_off_by.username")
    signed_off_at: dt.datetime | None
    hosts: list[dict]
    lineup: list[dict]
    result: dict | None

    @staticmethod
    def resolve_hosts(session) -> list[dict]:
        return [
            {"anchor_id": h.anchor_id, "anchor": h.anchor.name, "role": h.role}
            for h in related(session, "hosts", "anchor")
        ]

    @staticmethod
    def resolve_lineup(session) -> list[dict]:
        return [
            {"product_id": i.product_id, "product": i.product.name, "minutes": i.minutes}
            for i in related(session, "lineup", "product")
        ]

    @staticmethod
    def resolve_result(session) -> dict | None:
        result = getattr(session, "result", None)
        if result is None:
            return None
        figures = fields_of(result, "viewers", "orders", "conversion")
        money = ("gmv", "refunds", "net_gmv", "gpm", "conversion_percent", "average_order")
        return figures | {name: str(getattr(result, name)) for name in money}


def session_values(request, payload: SessionIn) -> dict:
    """The session's fields, with `hosts` as (anchor, role) and `lineup` as the service takes them."""
    values = payload.dict(exclude={"hosts", "lineup", "studio_id"})
    values["partner"] = get_partner(request.auth, values["partner"])
    values["studio"] = Studio.objects.filter(pk=payload.studio_id).first() if payload.studio_id else None
    anchors = {a.pk: a for a in Anchor.objects.filter(pk__in=[h.anchor_id for h in payload.hosts])}
    products = {p.pk: p for p in Product.objects.filter(pk__in=[i.product_id for i in payload.lineup])}
    if len(anchors) != len({h.anchor_id for h in payload.hosts}) or len(products) != len(
        {i.product_id for i in payload.lineup}
    ):
        raise ValidationFailed(FieldError("unknown", _("主播或商品不存在。"), "hosts"))
    hosts = [(anchors[h.anchor_id], h.role) for h in payload.hosts]
    lineup = [
        {"product": products[i.product_id], "minutes": i.minutes, "talking_points": i.talking_points}
        for i in payload.lineup
    ]
    return values | {"hosts": hosts, "lineup": lineup}


def save_session(actor, values: dict, session: LiveSession | None = None) -> LiveSession:
    """`services.save_session` with the hosts and lineup that `session_values` put among the values."""
    fields = {name: value for name, value in values.items() if name not in ("hosts", "lineup")}
    return services.save_session(actor, fields, values["hosts"], values["lineup"], session)


def session_rows(user) -> QuerySet[LiveSession]:
    """Sessions with what a row shows (hosts, lineup, result) read in a fixed number of queries."""
    joined = LiveSession.objects.select_related("partner", "studio", "signed_off_by", "result")
    return joined.prefetch_related("hosts__anchor", "lineup__product")


SESSIONS = Resource(
    "session",
    LiveSession,
    input=SessionIn,
    output=SessionOut,
    lookup=services.get_session,
    needs={"list": roles.LIVE_VIEW},
    rows=session_rows,
    save=save_session,
    values=session_values,
    remove=services.delete_session,  # 409 once it has results (kept three years)
    summaries={
        "list": "Sessions",
        "create": "Plan a session (bookings, hosts, documents checked)",
        "get": "One session",
        "change": "Change a planned session",
        "delete": "Delete (409 once it has results)",
    },
)
SESSIONS.routes(router, "/live/sessions", "session_id", size=200, replace=True)


class CheckOut(Schema):
    passed: bool
    findings: list[dict]
    problems: list[dict]
    cautions: list[dict] = Field(description="not blocking: what the person signing off should weigh")


@on_one(router.get, "/live/sessions/{session_id}/check", SESSIONS.lookup, CheckOut,
        "Compliance check (advert terms, hosts, documents)")  # fmt: skip
def sessions_check(actor, session):
    return services.compliance_check(session)  # CheckOut reads what it shows of the check (not the text)


@on_one(router.post, "/live/sessions/{session_id}/sign-off", SESSIONS.lookup, SessionOut,
        "Sign off (422 while anything blocks)")  # fmt: skip
def sessions_sign_off(actor, session):
    return services.sign_off(actor, session)


class StatusIn(Schema):
    status: str
    confirm_early: bool = Field(
        False, description="go live more than 30 minutes before the slot (else 409 `too_early`, saying by how much)"
    )


@on_one(router.post, "/live/sessions/{session_id}/status", SESSIONS.lookup, SessionOut,
        "Rehearsed, live (signed off only), reviewed, cancelled")  # fmt: skip
def sessions_status(actor, session, payload: StatusIn):
    return services.move_session(actor, session, payload.status, payload.confirm_early)


class ResultIn(Schema):
    viewers: int
    peak_concurrent: int
    avg_watch_seconds: int
    orders: int
    gmv: Decimal
    refunds: Decimal = Decimal(0)


@on_one(router.post, "/live/sessions/{session_id}/result", SESSIONS.lookup, SessionOut,
        "Record the session's figures")  # fmt: skip
def sessions_result(actor, session, payload: ResultIn):
    services.record_result(actor, session, payload.dict())
    return services.get_session(actor.user, session.pk)  # read again: with its result


class ResultsImportOut(Schema):
    sessions: int


@router.post("/live/results", response={200: ResultsImportOut, **ERRORS},
             summary="Import results (CSV/XLSX; all rows or none)")  # fmt: skip
def results_import(request, file: File[UploadedFile]):
    data = file.read(20 * 1024 * 1024 + 1)
    count = results.import_results(actor_from_request(request, "api"), file.name or "results.csv", data)
    return ResultsImportOut(sessions=count)


# A month of `services.sales`; money and percentages are Decimals, which the answer writes as strings.
class SalesMonthOut(Schema):
    month: str
    sessions: int
    net_gmv: Decimal
    orders: int
    viewers: int
    gpm: Decimal
    conversion_percent: Decimal


@router.get("/live/sales", response={200: list[SalesMonthOut], **ERRORS},
            summary="Monthly sales of an enterprise or an anchor")  # fmt: skip
@api_needs(roles.LIVE_VIEW)
def sales_get(request, partner: str = "", anchor: int | None = None):
    found_partner = get_partner(request.auth, partner) if partner else None
    found_anchor = Anchor.objects.filter(pk=anchor).first() if anchor else None
    return services.sales(partner=found_partner, anchor=found_anchor)
