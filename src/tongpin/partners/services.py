"""The rules of cooperation records: who may see and change what, and what makes a record valid.

Services take an `Actor`, check the capability and the partner scope, validate, save and audit in one
transaction. A liaison asking for another partner's record gets "not found", never a hint that it exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import files, records, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, ValidationFailed

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
    Partner,
)
from .scope import partner_scope, scoped_get

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024



# -- partners ------------------------------------------------------------------------------------------------


def visible_partners(user, include_archived: bool = False) -> QuerySet[Partner]:
    if not roles.can(user, roles.PARTNER_VIEW):
        return Partner.objects.none()
    partners = Partner.objects.filter(partner_scope(user).filter("pk"))
    return partners if include_archived else partners.filter(archived_at__isnull=True)


def get_partner(user, slug: str) -> Partner:
    return scoped_get(user, Partner, slug, _("合作方不存在。"), partner="pk", key="slug")


def owner_errors(people: list, location: str) -> list[FieldError]:
    """Refusals of the people named as owners (of a partner, a campaign, a task, a to-do) who may not be given
    work: the rule assignees follow (`roles.work_refusal`), said of owners; nobody (None) is no refusal."""
    words = {
        "inactive_user": _("负责人账号已停用。"),
        "not_assignable": _("三员管理员账号不承担采编工作，不能作为负责人。"),
        "not_staff": _("只能由台内人员担任负责人。"),
    }
    refusals = dict.fromkeys(roles.work_refusal(person) for person in people if person is not None)
    return [FieldError(code, words[code], location) for code in refusals if code]


def save_partner(actor: Actor, values: dict[str, Any], partner: Partner | None = None) -> Partner:
    roles.require(actor.user, roles.PARTNER_MANAGE)
    owners = values.pop("owners", None)
    partner = partner or Partner()
    changes = records.apply(partner, values)
    errors = []
    if Partner.objects.filter(slug=partner.slug).exclude(pk=partner.pk).exists():
        errors.append(FieldError("duplicate", _("标识已被使用。"), "slug"))
    slug_taken = bool(errors)
    errors += owner_errors(list(owners or []), "owners")
    records.check(partner, errors, exclude=["slug"] if slug_taken else None)
    with transaction.atomic():
        records.save(actor, partner, changes, "partner.save")
        if owners is not None:
            partner.owners.set(owners)
    return partner


def archive_partner(actor: Actor, partner: Partner) -> Partner:
    roles.require(actor.user, roles.PARTNER_MANAGE)
    changes = records.apply(partner, {"archived_at": None if partner.archived_at else timezone.now()})
    return records.save(actor, partner, changes, "partner.archive")


def save_contact(actor: Actor, partner: Partner, values: dict[str, Any], contact: Contact | None = None) -> Contact:
    roles.require(actor.user, roles.PARTNER_MANAGE)
    contact = contact or Contact(partner=partner)
    changes = records.apply(contact, values)
    records.check(contact)
    return records.save(actor, contact, changes, "partner.contact")


# -- agreements ----------------------------------------------------------------------------------------------


def _overlapping(agreement: Agreement) -> QuerySet[Agreement]:
    """Other live agreements with the same partner whose terms overlap this one's."""
    return (
        Agreement.objects.filter(partner_id=agreement.partner_id, starts_on__lte=agreement.ends_on)
        .filter(ends_on__gte=agreement.starts_on)
        .exclude(status=AgreementStatus.ENDED)
        .exclude(pk=agreement.pk)
    )


def _agreement_errors(agreement: Agreement) -> list[FieldError]:
    errors = []
    if agreement.starts_on and agreement.ends_on and agreement.ends_on < agreement.starts_on:
        errors.append(FieldError("term_reversed", _("到期日期不能早于生效日期。"), "ends_on"))
    elif agreement.signed_on and agreement.ends_on and agreement.signed_on > agreement.ends_on:
        errors.append(FieldError("signed_after_term", _("签署日期不能晚于到期日期。"), "signed_on"))
    elif agreement.starts_on and agreement.ends_on:
        clash = _overlapping(agreement).first()
        if clash is not None:
            errors.append(
                FieldError(
                    "overlapping_term",
                    _("与该合作方的协议“%(t)s”（%(a)s 至 %(b)s）期限重叠；续签请从原协议到期后开始。")
                    % {"t": clash.title, "a": clash.starts_on, "b": clash.ends_on},
                    "starts_on",
                )
            )
    if agreement.renewal_of_id and agreement.renewal_of.partner_id != agreement.partner_id:
        errors.append(FieldError("renewal_other_partner", _("续签的原协议必须属于同一合作方。"), "renewal_of"))
    if not all(isinstance(a, str) and 0 < len(a) <= 32 for a in agreement.areas or []):
        errors.append(FieldError("invalid_area", _("合作领域每项 1–32 个字。"), "areas"))
    return errors


def _store_scan(agreement: Agreement, upload: UploadedFile) -> None:
    files.check_upload(upload, files.SCAN_TYPES, ATTACHMENT_MAX_BYTES, "attachment")
    agreement.attachment.save(upload.name or "scan", upload, save=False)
    agreement.attachment_name = (upload.name or "scan")[-200:]


def save_agreement(
    actor: Actor,
    partner: Partner,
    values: dict[str, Any],
    agreement: Agreement | None = None,
    attachment: UploadedFile | None = None,
) -> Agreement:
    roles.require(actor.user, roles.PARTNER_MANAGE)
    agreement = agreement or Agreement(partner=partner, created_by=actor.user)
    changes = records.apply(agreement, values)
    records.check(agreement, _agreement_errors(agreement), exclude=["attachment"])
    with transaction.atomic():
        if attachment is not None:
            _store_scan(agreement, attachment)
            changes["attachment"] = [None, agreement.attachment_name]
        return records.save(actor, agreement, changes, "agreement.save")


def renew_agreement(actor: Actor, agreement: Agreement, starts_on: dt.date, ends_on: dt.date) -> Agreement:
    """A new draft continuing `agreement` (same areas, principles and commitments) for the next term."""
    roles.require(actor.user, roles.PARTNER_MANAGE)
    with transaction.atomic():
        renewal = save_agreement(
            actor,
            agreement.partner,
            {
                "title": agreement.title,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "principles": agreement.principles,
                "areas": list(agreement.areas),
                "renewal_of": agreement,
                "status": AgreementStatus.DRAFT,
            },
        )
        for commitment in agreement.commitments.filter(archived_at__isnull=True):
            commitment.pk = None
            commitment.agreement = renewal
            commitment.save()
    return renewal


def get_agreement(user, agreement_id: int) -> Agreement:
    return scoped_get(user, Agreement.objects.select_related("partner"), agreement_id, _("协议不存在。"))


# -- commitments ---------------------------------------------------------------------------------------------


def _commitment_errors(commitment: Commitment) -> list[FieldError]:
    errors = []
    measure = MEASURES.get(commitment.measure)
    if measure is None:
        errors.append(FieldError("unknown_measure", _("请选择可统计的口径。"), "measure"))
    if not commitment.target or commitment.target < 1:
        errors.append(FieldError("no_target", _("合作事项必须有可衡量的目标值（至少为 1）。"), "target"))
    if commitment.period not in CommitmentPeriod.values:
        errors.append(FieldError("invalid_period", _("考核周期无效。"), "period"))
    months = commitment.active_months or []
    if not all(isinstance(m, int) and 1 <= m <= 12 for m in months):
        errors.append(FieldError("invalid_month", _("适用月份须为 1–12。"), "active_months"))
    elif months and commitment.period != CommitmentPeriod.MONTH:
        errors.append(FieldError("months_need_monthly", _("只对“每月”考核的事项可限定月份。"), "active_months"))
    if measure is not None and not measure.uses_channels:
        if commitment.channel_kinds or commitment.min_channels or commitment.tags:
            errors.append(
                FieldError("filters_not_applicable", _("该统计口径不支持领域标签和渠道条件。"), "channel_kinds")
            )
    if measure is not None and measure.uses_channels:
        known = {value for value, _label in measure.kind_choices}
        if any(kind not in known for kind in commitment.channel_kinds or []):
            errors.append(FieldError("unknown_channel_kind", _("渠道类型无效。"), "channel_kinds"))
    if measure is not None and measure.uses_threshold and not commitment.threshold:
        errors.append(FieldError("threshold_required", _("排名类事项须填写要进入的名次（如前 10）。"), "threshold"))
    if measure is not None and not measure.uses_threshold and commitment.threshold:
        errors.append(FieldError("filters_not_applicable", _("该统计口径不使用排名名次。"), "threshold"))
    if not all(isinstance(t, str) and 0 < len(t) <= 32 for t in commitment.tags or []):
        errors.append(FieldError("invalid_tag", _("领域标签每项 1–32 个字。"), "tags"))
    return errors


def save_commitment(
    actor: Actor, agreement: Agreement, values: dict[str, Any], commitment: Commitment | None = None
) -> Commitment:
    roles.require(actor.user, roles.PARTNER_MANAGE)
    commitment = commitment or Commitment(agreement=agreement)
    changes = records.apply(commitment, values)
    records.check(commitment, _commitment_errors(commitment))
    return records.save(actor, commitment, changes, "commitment.save")


def archive_commitment(actor: Actor, commitment: Commitment) -> Commitment:
    roles.require(actor.user, roles.PARTNER_MANAGE)
    changes = records.apply(commitment, {"archived_at": None if commitment.archived_at else timezone.now()})
    return records.save(actor, commitment, changes, "commitment.archive")


def get_commitment(user, commitment_id: int) -> Commitment:
    rows = Commitment.objects.select_related("agreement__partner")
    return scoped_get(user, rows, commitment_id, _("合作事项不存在。"), partner="agreement__partner")


# -- liaison: meetings and action items ----------------------------------------------------------------------


def save_meeting(actor: Actor, partner: Partner, values: dict[str, Any], meeting: Meeting | None = None) -> Meeting:
    roles.require(actor.user, roles.LIAISON_RECORD)
    meeting = meeting or Meeting(partner=partner, created_by=actor.user)
    changes = records.apply(meeting, values)
    records.check(meeting)
    return records.save(actor, meeting, changes, "meeting.save")


def save_action(actor: Actor, partner: Partner, values: dict[str, Any], action: ActionItem | None = None) -> ActionItem:
    roles.require(actor.user, roles.LIAISON_RECORD)
    action = action or ActionItem(partner=partner)
    due_changed = action.pk is None or values.get("due_on", action.due_on) != action.due_on
    changes = records.apply(action, values)
    errors = []
    if due_changed and action.due_on and action.due_on < timezone.localdate():
        errors.append(FieldError("date_in_past", _("截止日期不能早于今天。"), "due_on"))
    if action.meeting_id and action.meeting.partner_id != action.partner_id:
        errors.append(FieldError("meeting_other_partner", _("联络记录属于其他合作方。"), "meeting"))
    if "owner" in changes:
        errors += owner_errors([action.owner], "owner")
    if due_changed:
        action.reminded_at = None
    records.check(action, errors)
    return records.save(actor, action, changes, "action.save")


def set_action_state(actor: Actor, action: ActionItem, state: str) -> ActionItem:
    if actor.user != action.owner:
        roles.require(actor.user, roles.LIAISON_RECORD)
    if state not in ActionState.values:
        raise ValidationFailed(FieldError("invalid_state", _("状态无效。"), "state"))
    done_at = timezone.now() if state == ActionState.DONE else None
    changes = records.apply(action, {"state": state, "done_at": done_at})
    return records.save(actor, action, changes, "action.state")


def remind_due_actions(days_ahead: int = 2) -> int:
    """Tell owners (and the partner's station owners) of open action items due within `days_ahead`, once."""
    from tongpin.core.notify import notify

    horizon = timezone.localdate() + dt.timedelta(days=days_ahead)
    due = ActionItem.objects.filter(state=ActionState.OPEN, due_on__lte=horizon, reminded_at__isnull=True)
    sent = 0
    for action in due.select_related("partner", "owner")[:200]:
        people = [action.owner, *action.partner.owners.all()]
        text = _("待办“%(t)s”（%(p)s）将于 %(d)s 到期。") % {"t": action.title, "p": action.partner, "d": action.due_on}
        with transaction.atomic():
            if ActionItem.objects.filter(pk=action.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
                sent += notify(people, text, f"/partners/{action.partner.slug}/#actions")
    return sent
