"""Publicity requests (宣传需求) from partners: submitted by a liaison (or recorded by staff), accepted into
planning as an approved topic or declined with a reason; the liaison follows its progress.

Accepting is the station's decision to cover it under the agreement, so the topic it makes needs no second
approval."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import files, records, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from tongpin.core.notify import notify, settle
from tongpin.partners.models import Partner, PublicityRequest, RequestAttachment, RequestState
from tongpin.partners.scope import partner_scope
from tongpin.publishing.kinds import ChannelKind

from .models import Campaign, Topic, TopicState

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024


def requests_for(user) -> QuerySet[PublicityRequest]:
    if not roles.can(user, roles.PARTNER_VIEW):
        return PublicityRequest.objects.none()
    return PublicityRequest.objects.filter(partner_scope(user).filter()).select_related("partner", "submitted_by")


def get_request(user, request_id: int) -> PublicityRequest:
    found = requests_for(user).filter(pk=request_id).first()
    if found is None:
        raise NotFound(FieldError("not_found", _("宣传需求不存在。")))
    return found


def _check_attachments(uploads: list[UploadedFile]) -> None:
    if len(uploads) > MAX_ATTACHMENTS:
        raise files.refuse("too_many_files", _("附件最多 %(n)d 个。") % {"n": MAX_ATTACHMENTS}, "attachments")
    total = 0
    for upload in uploads:
        total += upload.size or 0
        if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
            raise files.refuse(
                "too_large", _("附件“%(f)s”超过 10 MB。") % {"f": (upload.name or "")[:60]}, "attachments"
            )
        files.detect(upload.name or "", upload.read(files.HEAD_BYTES), location="attachments")
        upload.seek(0)
    if total > MAX_TOTAL_BYTES:
        raise files.refuse("too_large", _("附件合计不能超过 20 MB。"), "attachments")


def submit_request(
    actor: Actor, values: dict[str, Any], uploads: list[UploadedFile] | None = None, partner: Partner | None = None
) -> PublicityRequest:
    """A liaison files for their own partner (whatever partner they name); staff name the partner."""
    roles.require(actor.user, roles.REQUEST_SUBMIT)
    scope = partner_scope(actor.user)
    if not scope.everything:
        partner = Partner.objects.filter(pk__in=scope.partner_ids).first()
    if partner is None or not scope.allows(partner.pk):
        raise ValidationFailed(FieldError("partner_required", _("请选择合作方。"), "partner"))
    uploads = uploads or []
    request = PublicityRequest(partner=partner, submitted_by=actor.user)
    changes = records.apply(request, values)
    errors = []
    if any(kind not in ChannelKind.values for kind in request.channels or []):
        errors.append(FieldError("unknown_channel_kind", _("渠道类型无效。"), "channels"))
    if request.wanted_by and request.wanted_by < timezone.localdate():
        errors.append(FieldError("date_in_past", _("希望完成日期不能早于今天。"), "wanted_by"))
    if request.wanted_from and request.wanted_by and request.wanted_from > request.wanted_by:
        errors.append(FieldError("term_reversed", _("希望开始日期不能晚于完成日期。"), "wanted_from"))
    records.check(request, errors)
    _check_attachments(uploads)
    with transaction.atomic():
        records.save(actor, request, changes, "request.submit")
        for upload in uploads:
            attachment = RequestAttachment(
                request=request, original_name=(upload.name or "file")[-200:], size=upload.size
            )
            attachment.file.save(upload.name or "file", upload, save=False)
            attachment.save()
        owners = list(partner.owners.all())
        notify(
            owners,
            _("%(p)s 提交了宣传需求“%(t)s”。") % {"p": partner, "t": request.title},
            f"/requests/{request.pk}/",
            about=_about(request),
        )
    return request


def _decidable(actor: Actor, request_id: int) -> PublicityRequest:
    roles.require(actor.user, roles.REQUEST_HANDLE)
    request = PublicityRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound(FieldError("not_found", _("宣传需求不存在。")))
    if request.state != RequestState.SUBMITTED:
        raise Conflict(FieldError("already_decided", _("该需求已处理（%(s)s）。") % {"s": request.get_state_display()}))
    return request


def _about(request: PublicityRequest) -> str:
    return f"request:{request.pk}"


def accept_request(
    actor: Actor, request_id: int, campaign: Campaign | None = None, note: str = ""
) -> tuple[PublicityRequest, Topic]:
    with transaction.atomic():
        request = _decidable(actor, request_id)
        if campaign is not None and campaign.partner_id not in (None, request.partner_id):
            raise ValidationFailed(FieldError("campaign_other_partner", _("所选策划属于其他合作方。"), "campaign"))
        topic = Topic(
            title=request.title[:200],
            description="\n\n".join(p for p in (request.description, request.purpose) if p),
            partner=request.partner,
            request=request,
            campaign=campaign,
            due_on=request.wanted_by,
            channels=list(request.channels),
            state=TopicState.APPROVED,
            proposed_by=actor.user,
            decided_by=actor.user,
            decision_note=note[:300],
        )
        records.check(topic)
        records.save(actor, topic, {"request": request.pk}, "topic.from_request")
        changes = records.apply(
            request,
            {
                "state": RequestState.ACCEPTED,
                "decision_reason": note,
                "decided_by": actor.user,
                "decided_at": timezone.now(),
            },
        )
        records.save(actor, request, changes, "request.accept")
        settle(_about(request))  # the owners' "please decide" notices are done
        notify(
            [request.submitted_by],
            _("您的宣传需求“%(t)s”已纳入策划。") % {"t": request.title},
            f"/requests/{request.pk}/",
        )
    return request, topic


def decline_request(actor: Actor, request_id: int, reason: str) -> PublicityRequest:
    if not reason.strip():
        raise ValidationFailed(FieldError("reason_required", _("请写明未采纳的理由。"), "reason"))
    with transaction.atomic():
        request = _decidable(actor, request_id)
        changes = records.apply(
            request,
            {
                "state": RequestState.DECLINED,
                "decision_reason": reason.strip(),
                "decided_by": actor.user,
                "decided_at": timezone.now(),
            },
        )
        records.save(actor, request, changes, "request.decline")
        settle(_about(request))
        notify(
            [request.submitted_by],
            _("您的宣传需求“%(t)s”未被采纳：%(r)s") % {"t": request.title, "r": reason.strip()[:100]},
            f"/requests/{request.pk}/",
        )
    return request


def withdraw_request(actor: Actor, request_id: int) -> PublicityRequest:
    with transaction.atomic():
        request = get_request(actor.user, request_id)
        if request.submitted_by_id != getattr(actor.user, "pk", None):
            raise Forbidden(FieldError("forbidden", _("只有提交人可以撤回。")))
        if request.state != RequestState.SUBMITTED:
            raise Conflict(FieldError("already_decided", _("需求已处理，不能撤回。")))
        changes = records.apply(request, {"state": RequestState.WITHDRAWN})
        return records.save(actor, request, changes, "request.withdraw")


# What a liaison may see of stories: newsroom's LIAISON_STATUSES (planning does not import newsroom).
FINISHED_STORY_STATUSES = ("approved", "published")


@dataclass
class Progress:
    """How far a request got: its topics (each with `shown_stories`, the titles the viewer may read), their
    assignments, and the stories that came of them (`stories`, within the viewer's partner scope)."""

    topics: list[Topic]
    stories: list
    published: int


def progress(request: PublicityRequest, user) -> Progress:
    """The request's progress as `user` may see it. Staff see every story. A liaison reads only their own
    partner's approved and published titles (never a draft's, never another partner's), and counts only
    their own partner's stories."""
    scope = partner_scope(user)
    story_model = Topic._meta.get_field("stories").related_model  # newsroom's Story, without importing it
    in_scope = story_model.objects.filter(scope.filter("partner")) if not scope.everything else None
    counted = Prefetch("stories", queryset=in_scope, to_attr="counted_stories")
    shown = Prefetch(
        "stories",
        queryset=in_scope.filter(status__in=FINISHED_STORY_STATUSES) if in_scope is not None else None,
        to_attr="shown_stories",
    )
    topics = list(request.topics.prefetch_related("assignments__assignee", counted, shown))
    stories = [story for topic in topics for story in topic.counted_stories]
    published = sum(1 for story in stories if story.status == "published")
    return Progress(topics, stories, published)


# What the request's page offers: the rules the decisions above check, asked before their forms are shown.


def may_decide(user, request: PublicityRequest) -> bool:
    return roles.can(user, roles.REQUEST_HANDLE) and request.state == RequestState.SUBMITTED


def may_withdraw(user, request: PublicityRequest) -> bool:
    return request.submitted_by_id == user.pk and request.state == RequestState.SUBMITTED
