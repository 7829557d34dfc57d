"""Partners (合作方) and their contacts."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Schema
from ninja.responses import Status
from pydantic import Field

from tongpin.core import roles
from tongpin.core.audit import actor_from_request
from tongpin.core.resources import Resource, Router, delete_record, nested, payload_values, users_by_id
from tongpin.core.schemas import ERRORS

from .. import services
from ..models import Contact, Partner
from ..scope import scoped_get

router = Router(tags=["partners"])


class PartnerIn(Schema):
    slug: str = Field(max_length=64, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str
    short_name: str = ""
    kind: Partner.Kind = Partner.Kind.GOVERNMENT
    description: str = ""
    owner_ids: list[int] = []


class PartnerOut(Schema):
    slug: str
    name: str
    short_name: str
    kind: str
    description: str
    owners: list[str]
    archived: bool

    @staticmethod
    def resolve_owners(partner: Partner) -> list[str]:
        return [user.username for user in partner.owners.all()]

    @staticmethod
    def resolve_archived(partner: Partner) -> bool:
        return partner.archived_at is not None


def partner_values(request, payload: Schema) -> dict:
    return payload_values(payload, owner_ids=lambda ids: ("owners", users_by_id(ids, "owner_ids")))


RESOURCE = Resource(
    "partner",
    Partner,
    input=PartnerIn,
    output=PartnerOut,
    lookup=services.get_partner,
    needs={"delete": roles.PARTNER_MANAGE},
    save=services.save_partner,
    values=partner_values,
    patch_exclude=("slug",),
    summaries={"delete": "Delete (refused with 409 while referenced)"},
)


@router.get("/partners", response={200: list[PartnerOut], **ERRORS}, summary="Partners the caller may see")
def partners_list(request, archived: bool = False):
    roles.require_any(request.auth, roles.PARTNER_VIEW)
    return list(services.visible_partners(request.auth, archived).prefetch_related("owners"))


RESOURCE.routes(router, "/partners", "slug", verbs=("create", "get", "change", "delete"))


@router.post("/partners/{slug}/archive", response={200: PartnerOut, **ERRORS}, summary="Archive or restore")
def partners_archive(request, slug: str):
    return services.archive_partner(actor_from_request(request, "api"), RESOURCE.one(request, slug))


class ContactIn(Schema):
    name: str
    title: str = ""
    phone: str = ""
    email: str = ""
    is_primary: bool = False


class ContactOut(ContactIn):
    id: int


nested(router, RESOURCE, "/partners/{slug}/contacts", "slug", ContactOut, lambda partner: partner.contacts.all(),
       ("Contacts", "Add a contact"), ContactIn, services.save_contact)  # fmt: skip


@router.delete("/contacts/{contact_id}", response={204: None, **ERRORS}, summary="Remove a contact")
def contacts_delete(request, contact_id: int):
    contact = scoped_get(request.auth, Contact, contact_id, _("联系人不存在。"))
    delete_record(actor_from_request(request, "api"), contact, roles.PARTNER_MANAGE)
    return Status(204, None)
