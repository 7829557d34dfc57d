"""Partner pages: the list, one partner's cooperation at a glance, agreements, commitments with their
fulfilment drill-down, liaison records. Thin: forms type-check, services decide."""

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.forms import ModelForm
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tongpin.core import roles
from tongpin.core.access import page_needs
from tongpin.core.audit import actor_from_request
from tongpin.core.forms import edit_page, form_page
from tongpin.core.pages import act, act_back, download, page_of
from tongpin.core.resources import delete_record

from . import services
from .forms import ActionForm, AgreementForm, CommitmentForm, ContactForm, MeetingForm, PartnerForm, RenewForm
from .fulfilment import agreement_fulfilment, fulfilment
from .measures import MEASURES
from .models import ActionItem, ActionState, Agreement, Commitment, Contact, Meeting, Partner
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


@login_required
def partner_detail(request, slug: str):
    partner = services.get_partner(request.user, slug)  # 404 outside the caller's scope
    _staff_only(request)  # a liaison's own partner: shown in the portal, not on this staff page (403)
    agreements = [(a, agreement_fulfilment(a)) for a in partner.agreements.select_related("renewal_of")]
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
    return edit_page(request, Partner, slug, PartnerForm, services.save_partner, page_of("partner-detail", "slug"),
                     (_("新增合作方"), _("修改合作方")), reverse("partner-list"), services.get_partner)  # fmt: skip


@login_required
@require_POST
def partner_archive(request, slug: str):
    partner = services.get_partner(request.user, slug)
    return act(request, lambda actor: services.archive_partner(actor, partner), "partner-detail", slug=slug)


def _partner_form(request, partner: Partner, form, save: Callable[..., Any], title: str, anchor: str = "",
                  done: Callable[[Any], str] | None = None, **context: Any):  # fmt: skip
    """A form page under a partner (an agreement, a commitment, a liaison record): `save(actor, values)`, then
    `done(saved)` or else the partner's page at `anchor`; the crumbs lead back to the partner."""
    actor = actor_from_request(request)
    back = reverse("partner-detail", args=[partner.slug])
    crumbs = [(_("合作方"), reverse("partner-list")), (str(partner), back)]
    return form_page(request, form, lambda values: save(actor, values), done or (lambda saved: back + anchor),
                     context={"title": title, "back": back, "crumbs": crumbs, **context})  # fmt: skip


@page_needs(roles.PARTNER_MANAGE)
def agreement_edit(request, slug: str | None = None, agreement_id: int | None = None):
    agreement = services.get_agreement(request.user, agreement_id) if agreement_id else None
    partner = agreement.partner if agreement else services.get_partner(request.user, slug)
    form = AgreementForm(request.POST or None, request.FILES or None, instance=copy.copy(agreement))

    def save(actor, values):
        scan = values.pop("attachment_upload", None)
        return services.save_agreement(actor, partner, values, agreement, attachment=scan)

    return _partner_form(request, partner, form, save, _("修改合作协议") if agreement else _("新增合作协议"))


@login_required
def agreement_scan(request, agreement_id: int):
    agreement = services.get_agreement(request.user, agreement_id)
    return download(request, agreement, agreement.attachment, agreement.attachment_name)


@page_needs(roles.PARTNER_MANAGE)
def agreement_renew(request, agreement_id: int):
    agreement = services.get_agreement(request.user, agreement_id)
    term = agreement.ends_on - agreement.starts_on
    starts_on = agreement.ends_on + dt.timedelta(days=1)
    form = RenewForm(request.POST or None, initial={"starts_on": starts_on, "ends_on": starts_on + term})
    renew = lambda actor, v: services.renew_agreement(actor, agreement, v["starts_on"], v["ends_on"])  # noqa: E731
    title = _("续签：%(t)s") % {"t": agreement.title}
    intro = _("新协议以草稿保存，沿用原协议的合作领域、原则和合作事项，确认后再改为“生效中”。")
    return _partner_form(request, agreement.partner, form, renew, title, intro=intro)


@page_needs(roles.PARTNER_MANAGE)
def commitment_edit(request, agreement_id: int | None = None, commitment_id: int | None = None):
    commitment = services.get_commitment(request.user, commitment_id) if commitment_id else None
    agreement = commitment.agreement if commitment else services.get_agreement(request.user, agreement_id)
    form = CommitmentForm(request.POST or None, instance=copy.copy(commitment))
    save = lambda actor, values: services.save_commitment(actor, agreement, values, commitment)  # noqa: E731
    title = _("修改合作事项") if commitment else _("新增合作事项")
    return _partner_form(request, agreement.partner, form, save, title, done=page_of("commitment-detail"),
                         intro=_("履约情况由平台记录自动统计，不能手工填写。"))  # fmt: skip


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


@login_required
@require_POST
def action_state(request, action_id: int):
    action = scoped_get(request.user, ActionItem, action_id, _("待办事项不存在。"))
    state = request.POST.get("state", "")
    return act_back(request, lambda actor: services.set_action_state(actor, action, state),
                    reverse("partner-detail", args=[action.partner.slug]) + "#actions")  # fmt: skip


DELETABLE = {  # kind: (model, the capability deleting needs, the path to its partner)
    "agreement": (Agreement, roles.PARTNER_MANAGE, "partner"),
    "commitment": (Commitment, roles.PARTNER_MANAGE, "agreement__partner"),
    "contact": (Contact, roles.PARTNER_MANAGE, "partner"),
    "meeting": (Meeting, roles.LIAISON_RECORD, "partner"),
    "action": (ActionItem, roles.LIAISON_RECORD, "partner"),
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


@dataclass(frozen=True)
class LiaisonRecord:
    """A kind of record kept on a partner's page, added and edited on a page of its own."""

    capability: str  # what adding or editing one needs
    model: type[Model]
    form: type[ModelForm]
    save: Callable  # save(actor, partner, values, row_or_None)
    anchor: str  # its part of the partner's page
    missing: str  # the 404's message
    titles: tuple[str, str]  # (add, edit)


RECORDS = {
    "contact": LiaisonRecord(roles.PARTNER_MANAGE, Contact, ContactForm, services.save_contact, "#contacts",
                             gettext_lazy("联系人不存在。"), (gettext_lazy("新增联系人"), gettext_lazy("修改联系人"))),
    "meeting": LiaisonRecord(roles.LIAISON_RECORD, Meeting, MeetingForm, services.save_meeting, "#meetings",
                             gettext_lazy("联络记录不存在。"),
                             (gettext_lazy("记录互访、座谈"), gettext_lazy("修改联络记录"))),
    "action": LiaisonRecord(roles.LIAISON_RECORD, ActionItem, ActionForm, services.save_action, "#actions",
                            gettext_lazy("待办事项不存在。"),
                            (gettext_lazy("新增待办事项"), gettext_lazy("修改待办事项"))),
}  # fmt: skip


def _record_page(request, kind: str, slug: str | None = None, pk: int | None = None, initial: dict | None = None):
    """The add page (under the partner `slug`) or the edit page (of the row `pk`: scoped, rule-checked) of a
    liaison record, back to its part of the partner's page."""
    record = RECORDS[kind]
    if pk is not None:
        roles.require(request.user, record.capability)
        row = scoped_get(request.user, record.model, pk, str(record.missing))
        partner = row.partner
    else:
        row, partner = None, services.get_partner(request.user, slug)
    extra = {"partner": partner} if record.form is ActionForm else {}
    form = record.form(request.POST or None, instance=copy.copy(row), initial=initial, **extra)
    save = lambda actor, values: record.save(actor, partner, values, row)  # noqa: E731
    return _partner_form(request, partner, form, save, str(record.titles[row is not None]), record.anchor)


@page_needs(roles.PARTNER_MANAGE)
def contact_new(request, slug: str):
    return _record_page(request, "contact", slug=slug)


@page_needs(roles.LIAISON_RECORD)
def meeting_new(request, slug: str):
    return _record_page(request, "meeting", slug=slug)


@page_needs(roles.LIAISON_RECORD)
def action_new(request, slug: str):
    return _record_page(request, "action", slug=slug,
                        initial={"owner": request.user.pk, "meeting": request.GET.get("meeting")})  # fmt: skip


@login_required
def meeting_edit(request, meeting_id: int):
    return _record_page(request, "meeting", pk=meeting_id)


@login_required
def contact_edit(request, contact_id: int):
    return _record_page(request, "contact", pk=contact_id)


@login_required
def action_edit(request, action_id: int):
    return _record_page(request, "action", pk=action_id)
