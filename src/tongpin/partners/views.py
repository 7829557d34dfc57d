"""Partner pages: the list, one partner's cooperation at a glance, agreements, commitments with their
fulfilment drill-down, liaison records. Thin: forms type-check, services decide."""

import copy
import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongpin.core import roles
from tongpin.core.access import page_needs
from tongpin.core.audit import actor_from_request, record_download
from tongpin.core.forms import form_page
from tongpin.core.pages import act
from tongpin.core.resources import delete_record
from tongpin.core.weblinks import local_next

from . import services
from .forms import ActionForm, AgreementForm, CommitmentForm, ContactForm, MeetingForm, PartnerForm, RenewForm
from .fulfilment import fulfilment
from .measures import MEASURES
from .models import ActionItem, ActionState, Agreement, Commitment, Contact, Meeting
from .scope import partner_scope, scoped_get


def _staff_only(request) -> None:
    if not roles.can(request.user, roles.PARTNER_VIEW) or not partner_scope(request.user).everything:
        raise PermissionDenied


@login_required
def partner_list(request):
    if roles.can(request.user, roles.PARTNER_VIEW) and not partner_scope(request.user).everything:
        return redirect("portal")
    _staff_only(request)
    show_archived = request.GET.get("archived") == "1"
    partners = services.visible_partners(request.user, show_archived).prefetch_related("owners", "agreements")
    return render(
        request,
        "partners/partner_list.html",
        {
            "partners": partners,
            "show_archived": show_archived,
            "can_manage": roles.can(request.user, roles.PARTNER_MANAGE),
        },
    )


def commitment_rows(agreement: Agreement) -> list:
    return [fulfilment(c) for c in agreement.commitments.filter(archived_at__isnull=True).select_related("agreement")]


@login_required
def partner_detail(request, slug: str):
    partner = services.get_partner(request.user, slug)  # 404 outside the caller's scope
    _staff_only(request)  # a liaison's own partner: shown in the portal, not on this staff page (403)
    agreements = [(a, commitment_rows(a)) for a in partner.agreements.select_related("renewal_of")]
    return render(
        request,
        "partners/partner_detail.html",
        {
            "partner": partner,
            "agreements": agreements,
            "contacts": partner.contacts.all(),
            "meetings": partner.meetings.all()[:20],
            "actions": partner.actions.select_related("owner", "meeting").exclude(state=ActionState.CANCELLED),
            "requests": partner.requests.all()[:20],
            "can_manage": roles.can(request.user, roles.PARTNER_MANAGE),
            "can_record": roles.can(request.user, roles.LIAISON_RECORD),
        },
    )


@page_needs(roles.PARTNER_MANAGE)
def partner_edit(request, slug: str | None = None):
    partner = services.get_partner(request.user, slug) if slug else None
    form = PartnerForm(request.POST or None, instance=copy.copy(partner) if partner else None)
    actor = actor_from_request(request)
    title = _("修改合作方") if partner else _("新增合作方")
    return form_page(
        request,
        form,
        lambda values: services.save_partner(actor, values, partner),
        lambda saved: reverse("partner-detail", args=[saved.slug]),
        context={"title": title, "back": reverse("partner-list")},
    )


@login_required
@require_POST
def partner_archive(request, slug: str):
    partner = services.get_partner(request.user, slug)
    return act(request, lambda actor: services.archive_partner(actor, partner), "partner-detail", slug=slug)


@page_needs(roles.PARTNER_MANAGE)
def contact_new(request, slug: str):
    return _new_record(request, slug, ContactForm, services.save_contact, "#contacts", _("新增联系人"))


def _context(partner, title: str) -> dict:
    back = reverse("partner-detail", args=[partner.slug])
    return {"title": title, "back": back, "crumbs": [(_("合作方"), reverse("partner-list")), (str(partner), back)]}


@page_needs(roles.PARTNER_MANAGE)
def agreement_edit(request, slug: str | None = None, agreement_id: int | None = None):
    agreement = services.get_agreement(request.user, agreement_id) if agreement_id else None
    partner = agreement.partner if agreement else services.get_partner(request.user, slug)
    form = AgreementForm(request.POST or None, request.FILES or None, instance=copy.copy(agreement))
    actor = actor_from_request(request)

    def save(values):
        scan = values.pop("attachment_upload", None)
        return services.save_agreement(actor, partner, values, agreement, attachment=scan)

    title = _("修改合作协议") if agreement else _("新增合作协议")
    return form_page(
        request,
        form,
        save,
        lambda saved: reverse("partner-detail", args=[partner.slug]),
        context=_context(partner, title),
    )


@login_required
def agreement_scan(request, agreement_id: int):
    agreement = services.get_agreement(request.user, agreement_id)
    if not agreement.attachment:
        raise Http404
    record_download(actor_from_request(request), agreement, agreement.attachment_name)
    return FileResponse(agreement.attachment.open("rb"), as_attachment=True, filename=agreement.attachment_name)


@page_needs(roles.PARTNER_MANAGE)
def agreement_renew(request, agreement_id: int):
    agreement = services.get_agreement(request.user, agreement_id)
    actor = actor_from_request(request)
    term = agreement.ends_on - agreement.starts_on
    starts_on = agreement.ends_on + dt.timedelta(days=1)
    initial = {"starts_on": starts_on, "ends_on": starts_on + term}
    return form_page(
        request,
        RenewForm(request.POST or None, initial=initial),
        lambda v: services.renew_agreement(actor, agreement, v["starts_on"], v["ends_on"]),
        lambda saved: reverse("partner-detail", args=[agreement.partner.slug]),
        context={
            **_context(agreement.partner, _("续签：%(t)s") % {"t": agreement.title}),
            "intro": _("新协议以草稿保存，沿用原协议的合作领域、原则和合作事项，确认后再改为“生效中”。"),
        },
    )


@page_needs(roles.PARTNER_MANAGE)
def commitment_edit(request, agreement_id: int | None = None, commitment_id: int | None = None):
    commitment = services.get_commitment(request.user, commitment_id) if commitment_id else None
    agreement = commitment.agreement if commitment else services.get_agreement(request.user, agreement_id)
    form = CommitmentForm(request.POST or None, instance=copy.copy(commitment))
    actor = actor_from_request(request)
    title = _("修改合作事项") if commitment else _("新增合作事项")
    return form_page(
        request,
        form,
        lambda values: services.save_commitment(actor, agreement, values, commitment),
        lambda saved: reverse("commitment-detail", args=[saved.pk]),
        context={
            **_context(agreement.partner, title),
            "intro": _("履约情况由平台记录自动统计，不能手工填写。"),
        },
    )


@login_required
def commitment_detail(request, commitment_id: int):
    commitment = services.get_commitment(request.user, commitment_id)
    result = fulfilment(commitment)
    measure = MEASURES.get(commitment.measure)
    names = dict(measure.kind_choices) if measure else {}
    return render(
        request,
        "partners/commitment_detail.html",
        {
            "commitment": commitment,
            "kind_labels": "、".join(str(names.get(k, k)) for k in commitment.channel_kinds),
            "result": result,
            "periods": list(reversed([p for p in result.periods if p.status != "upcoming"])),
            "staff": partner_scope(request.user).everything,
            "can_manage": roles.can(request.user, roles.PARTNER_MANAGE),
        },
    )


@page_needs(roles.LIAISON_RECORD)
def meeting_new(request, slug: str):
    return _new_record(request, slug, MeetingForm, services.save_meeting, "#meetings", _("记录互访、座谈"))


@page_needs(roles.LIAISON_RECORD)
def action_new(request, slug: str):
    initial = {"owner": request.user.pk, "meeting": request.GET.get("meeting")}
    return _new_record(request, slug, ActionForm, services.save_action, "#actions", _("新增待办事项"), initial)


def _new_record(request, slug: str, form_class, save, anchor: str, title: str, initial: dict | None = None):
    """The add page of one liaison record (contact, meeting, action item), back to its part of the partner's page."""
    partner = services.get_partner(request.user, slug)
    actor = actor_from_request(request)
    extra = {"partner": partner} if form_class is ActionForm else {}
    return form_page(
        request,
        form_class(request.POST or None, initial=initial, **extra),
        lambda values: save(actor, partner, values),
        lambda saved: reverse("partner-detail", args=[slug]) + anchor,
        context=_context(partner, title),
    )


@login_required
@require_POST
def action_state(request, action_id: int):
    action = scoped_get(request.user, ActionItem, action_id, _("待办事项不存在。"))
    fallback = reverse("partner-detail", args=[action.partner.slug]) + "#actions"
    return act(
        request, lambda actor: services.set_action_state(actor, action, request.POST.get("state", "")),
        local_next(request, request.POST.get("next"), fallback),
    )  # fmt: skip


DELETABLE = {  # kind: (model, the capability deleting needs, the path to its partner)
    "agreement": (Agreement, roles.PARTNER_MANAGE, "partner"),
    "commitment": (Commitment, roles.PARTNER_MANAGE, "agreement__partner"),
    "contact": (Contact, roles.PARTNER_MANAGE, "partner"),
    "meeting": (Meeting, roles.LIAISON_RECORD, "partner"),
}


@login_required
@require_POST
def record_delete(request, kind: str, pk: int):
    if kind not in DELETABLE:
        raise Http404
    model, capability, path = DELETABLE[kind]
    row = scoped_get(request.user, model.objects.select_related(), pk, partner=path)
    partner = row.agreement.partner if isinstance(row, Commitment) else row.partner
    delete = lambda actor: delete_record(actor, row, capability)  # noqa: E731
    return act(request, delete, "partner-detail", slug=partner.slug, success=_("已删除。"))


def _edit_record(request, capability: str, model, pk: int, missing: str, form_class, save, anchor: str, title: str):
    """The edit page of one liaison record (meeting, contact, action item): scoped, rule-checked, audited."""
    roles.require(request.user, capability)
    row = scoped_get(request.user, model, pk, missing)
    actor = actor_from_request(request)
    extra = {"partner": row.partner} if form_class is ActionForm else {}
    return form_page(
        request,
        form_class(request.POST or None, instance=copy.copy(row), **extra),
        lambda values: save(actor, row.partner, values, row),
        lambda saved: reverse("partner-detail", args=[row.partner.slug]) + anchor,
        context=_context(row.partner, title),
    )


@login_required
def meeting_edit(request, meeting_id: int):
    return _edit_record(request, roles.LIAISON_RECORD, Meeting, meeting_id, _("联络记录不存在。"), MeetingForm,
                        services.save_meeting, "#meetings", _("修改联络记录"))  # fmt: skip


@login_required
def contact_edit(request, contact_id: int):
    return _edit_record(request, roles.PARTNER_MANAGE, Contact, contact_id, _("联系人不存在。"), ContactForm,
                        services.save_contact, "#contacts", _("修改联系人"))  # fmt: skip


@login_required
def action_edit(request, action_id: int):
    return _edit_record(request, roles.LIAISON_RECORD, ActionItem, action_id, _("待办事项不存在。"), ActionForm,
                        services.save_action, "#actions", _("修改待办事项"))  # fmt: skip
