"""Publications: make renditions, release them to the queue, edit, retry, cancel, withdraw.

Sources (newsroom for stories, alerts for warnings) call `prepare()` with a `Content` snapshot — or its two
halves, `draft()` (check and render, no transaction) and `store()` (write), when the slow part must stay out of
their own write transaction. Writes are transactional and audited; capabilities are checked here, so no caller
can skip them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import audit
from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound, ValidationFailed
from tongpin.core.ids import clean_id
from tongpin.core.roles import DELIVERY_OPERATE, DELIVERY_VIEW, PUBLISH, RENDITION_EDIT, STORY_VIEW, can, require
from tongpin.partners.scope import partner_scope

from . import queue, wakeup
from .checks import check_fields
from .models import (
    Channel,
    Delivery,
    DeliveryAction,
    DeliveryState,
    Priority,
    Publication,
    PublicationState,
    Rendition,
)
from .plugins import FORMATTERS, TRANSMITTERS, Content, formatter_for
from .sources import rules_for

MAX_SCHEDULE_AHEAD = timedelta(days=366)
# A time a few minutes gone is "now" (the form took a while to fill in); anything older is a typing slip
# (a wrong year, a wrong day) that must not send at once.
SCHEDULE_GRACE = timedelta(minutes=5)


def _forbid(message: str) -> Forbidden:
    return Forbidden(FieldError("forbidden", message))


def _wanted(ids: list[int]) -> list[int]:
    wanted = []
    for raw in ids or []:
        channel_id = clean_id(raw)
        if channel_id and channel_id not in wanted:
            wanted.append(channel_id)
    if not wanted:
        raise ValidationFailed(FieldError("required", _("请至少选择一个渠道。"), "channels"))
    return wanted


def _channels(wanted: list[int], found: dict[int, Channel], content: Content, allow_tests: bool) -> list[Channel]:
    errors = []
    for position, channel_id in enumerate(wanted):
        channel = found.get(channel_id)
        where = f"channels.{position}"
        if channel is None:
            errors.append(FieldError("channel_not_found", _("渠道 %(id)s 不存在。") % {"id": channel_id}, where))
        elif not channel.is_active:
            errors.append(FieldError("channel_inactive", _("渠道“%(c)s”已停用。") % {"c": channel.name}, where))
        elif channel.kind not in FORMATTERS:
            errors.append(
                FieldError("unsupported_kind", _("渠道“%(c)s”的类型不能发布这类内容。") % {"c": channel.name}, where)
            )
        elif channel.for_tests and not allow_tests:
            errors.append(FieldError("test_channel", _("“%(c)s”是测试渠道。") % {"c": channel.name}, where))
        elif channel.partner_id and channel.partner_id != content.partner_id:
            errors.append(
                FieldError("other_partner", _("“%(c)s”属于其他合作方，不能发布这篇内容。") % {"c": channel.name}, where)
            )
    if errors:
        raise ValidationFailed(errors)
    return [found[i] for i in wanted]


def _schedule(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    if timezone.is_naive(at):
        raise ValidationFailed(FieldError("naive_time", _("定时发布时间必须带时区。"), "at"))
    now = timezone.now()
    if at > now + MAX_SCHEDULE_AHEAD:
        raise ValidationFailed(FieldError("too_far", _("定时发布不能超过一年以后。"), "at"))
    if at < now - SCHEDULE_GRACE:
        shown = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
        raise ValidationFailed(
            FieldError("in_the_past", _("定时发布时间已过：%(t)s；立即发布请留空。") % {"t": shown}, "at")
        )
    return at if at > now else None


@dataclass
class Draft:
    """A publication worked out but not written yet: checked channels, and renditions with their findings.

    Everything slow (rendering, proofreading, reading the channels) happens here, outside any transaction;
    `store()` only writes. A source may still set `content.source_id` in between (an alert gets its id then).
    """

    content: Content
    channels: list[Channel]
    renditions: list[Rendition]
    scheduled: datetime | None
    priority: int
    release_now: bool
    skip_blocked: bool


def draft(
    actor: Actor,
    content: Content,
    channel_ids: list[int],
    at: datetime | None = None,
    priority: int = Priority.NORMAL,
    release_now: bool = True,
    allow_test_channels: bool = False,
    skip_blocked: bool = False,
    proofread: bool = True,
    channels: list[Channel] | None = None,
) -> Draft:
    """Check and render `content` for each channel (`channels`: the rows, when the caller has just read them)."""
    if not can(actor.user, PUBLISH) and actor.user is not None:
        raise _forbid(_("您没有发布权限。"))
    wanted = _wanted(channel_ids)
    given = {c.id: c for c in channels or []}
    found = given if all(i in given for i in wanted) else {c.id: c for c in Channel.objects.filter(id__in=wanted)}
    chosen = _channels(wanted, found, content, allow_test_channels)
    scheduled = _schedule(at)
    renditions = []
    prepared = content.extra.get("renditions") or {}  # a source may hand over its own versions per kind
    for channel in chosen:
        ready = prepared.get(channel.kind)
        fields = dict(ready) if ready else formatter_for(channel.kind).render(content, channel.settings)
        findings = check_fields(channel.kind, fields, channel.settings, proofread=proofread)
        renditions.append(Rendition(channel=channel, kind=channel.kind, fields=fields, findings=findings))
    if release_now:
        _check_blocking(renditions, skip_blocked)
    return Draft(content, chosen, renditions, scheduled, priority, release_now, skip_blocked)


def store(actor: Actor, planned: Draft) -> Publication:
    """Write a draft: the publication, its renditions and, when released now, its deliveries (all or nothing)."""
    content = planned.content
    now = timezone.now()
    # Written released straight away, rather than inserted and then updated.
    released = {"released_at": now, "state": _released_state(planned.scheduled)} if planned.release_now else {}
    # Inside a caller's transaction (the warning intake) no savepoint, two round trips saved: an error here
    # still writes nothing, as Django then refuses the rest of the caller's block until it is rolled back.
    with transaction.atomic(savepoint=False):
        publication = Publication.objects.create(
            source_type=content.source_type,
            source_id=content.source_id,
            source_version=content.version,
            title=content.title[:200],
            partner_id=content.partner_id,
            content=asdict(content),
            priority=planned.priority,
            scheduled_at=planned.scheduled,
            created_by=actor.user,
            **released,
        )
        for rendition in planned.renditions:
            rendition.publication = publication
            rendition.frozen_at = now if planned.release_now else None
        Rendition.objects.bulk_create(planned.renditions)
        audit.record(
            actor,
            "publication.prepare",
            publication,
            {"source": f"{content.source_type}:{content.source_id}", "channels": [c.slug for c in planned.channels]},
        )
        queued = []
        if planned.release_now:
            # Straight from the rows in hand: no need to read back what was just written.
            queued = _queue(actor, publication, planned.renditions, planned.skip_blocked)
    publication.written = (planned.renditions, queued)
    return publication


def prepare(actor: Actor, content: Content, channel_ids: list[int], **options) -> Publication:
    """Render `content` for each channel; with `release_now`, queue it too (all or nothing). Options as for
    `draft()`."""
    return store(actor, draft(actor, content, channel_ids, **options))


def visible_publications(user) -> QuerySet[Publication]:
    """Staff see every publication; a liaison sees only their partner's (read-only everywhere)."""
    if not (can(user, DELIVERY_VIEW) or can(user, STORY_VIEW)):
        return Publication.objects.none()
    return Publication.objects.filter(partner_scope(user).filter("partner"))


def get_publication(user, publication_id: int) -> Publication:
    publication = visible_publications(user).filter(pk=clean_id(publication_id) or 0).first()
    if publication is None:
        raise NotFound(FieldError("publication_not_found", _("发布记录不存在。"), "publication"))
    return publication


def release(actor: Actor, publication_id: int, skip_blocked: bool = False) -> Publication:
    """Freeze the renditions and queue one delivery each; refused while any rendition has blocking findings,
    unless `skip_blocked` (warnings: one misconfigured channel must not hold back all the others), which
    records those as failed deliveries with the reason instead."""
    if actor.user is not None and not can(actor.user, PUBLISH):
        raise _forbid(_("您没有发布权限。"))
    with transaction.atomic():
        publication = Publication.objects.select_for_update().filter(pk=clean_id(publication_id) or 0).first()
        if publication is None:
            raise NotFound(FieldError("publication_not_found", _("发布记录不存在。"), "publication"))
        if publication.state == PublicationState.CANCELLED and not publication.released_at:
            raise Conflict(FieldError("discarded", _("这次发布已放弃，请重新准备发布。")))
        if publication.state != PublicationState.DRAFT or publication.released_at:
            raise Conflict(FieldError("already_released", _("这次发布已经提交过了。")))
        renditions = list(publication.renditions.select_related("channel"))
        _check_blocking(renditions, skip_blocked)
        refused = source_refusal(publication)
        if refused is not None:
            raise refused
        now = timezone.now()
        Rendition.objects.filter(publication=publication).update(frozen_at=now)
        publication.released_at, publication.state = now, _released_state(publication.scheduled_at)
        publication.save(update_fields=["released_at", "state"])
        _queue(actor, publication, renditions, skip_blocked)
    return publication


def source_refusal(publication: Publication) -> DomainError | None:
    """Why the publication's source would refuse its release now (e.g. a story changed since: not approved, or
    newer than this), or None; `release` raises it, and the page asks it so as not to offer what would be refused."""
    source = rules_for(publication.source_type)
    if source is None:
        return None
    try:
        source.check_release(publication)
    except DomainError as refused:
        return refused
    return None


def _check_blocking(renditions: list[Rendition], skip_blocked: bool) -> None:
    errors = [
        FieldError(f["code"], f"{r.channel.name}：{f['message']}", f"renditions.{r.channel.slug}.{f['field']}")
        for r in renditions
        for f in r.blocking
    ]
    if errors and not skip_blocked:
        raise ValidationFailed(errors)


def _released_state(scheduled_at: datetime | None) -> str:
    return PublicationState.SCHEDULED if scheduled_at else PublicationState.SENDING


def _queue(actor: Actor, publication: Publication, renditions: list[Rendition], skip_blocked: bool) -> list[Delivery]:
    """One delivery per rendition (a failed one, with the reason, for a blocked rendition when skipping), for a
    publication already marked released. Returns them as written (without their ids)."""
    now = publication.released_at
    due = publication.scheduled_at or now
    deliveries = [
        Delivery(
            rendition=r,
            channel=r.channel,
            priority=publication.priority,
            due_at=due,
            max_attempts=r.channel.max_attempts,
            created_at=now,
        )
        if not r.blocking
        else Delivery(
            rendition=r,
            channel=r.channel,
            priority=publication.priority,
            state=DeliveryState.FAILED,
            last_code="blocked",
            last_error="；".join(str(f["message"]) for f in r.blocking)[:500],
            created_at=now,
            finished_at=now,
        )
        for r in renditions
    ]
    queue.enqueue(deliveries)
    if not publication.scheduled_at:
        transaction.on_commit(wakeup.wake)
    if skip_blocked and any(r.blocking for r in renditions):
        queue.refresh_publications({publication.pk})
        publication.refresh_from_db(fields=["state"])
    audit.record(
        actor,
        "publication.release",
        publication,
        {"at": publication.scheduled_at.isoformat() if publication.scheduled_at else "now"},
    )
    return deliveries


def _text_value(value, spec, formatter) -> str:
    text = str(value or "")
    return formatter.clean_html(text) if spec.html else text.strip()


def edit_rendition(actor: Actor, rendition_id: int, fields: dict) -> Rendition:
    if not can(actor.user, RENDITION_EDIT):
        raise _forbid(_("您没有修改渠道稿的权限。"))
    if not isinstance(fields, dict):
        raise ValidationFailed(FieldError("invalid", _("字段必须是对象。"), "fields"))
    with transaction.atomic():
        rendition = Rendition.objects.select_for_update().filter(pk=clean_id(rendition_id) or 0).first()
        if rendition is None or not visible_publications(actor.user).filter(pk=rendition.publication_id).exists():
            raise NotFound(FieldError("rendition_not_found", _("渠道稿不存在。"), "rendition"))
        if rendition.frozen_at:
            raise Conflict(FieldError("frozen", _("渠道稿已提交发送，不能再修改。")))
        if rendition.publication.state == PublicationState.CANCELLED:
            raise Conflict(FieldError("discarded", _("这次发布已放弃，请重新准备发布。")))
        formatter = formatter_for(rendition.kind)
        specs = {s.name: s for s in formatter.fields}
        unknown = [FieldError("unknown_field", _("没有这个字段。"), f"fields.{k}") for k in fields if k not in specs]
        if unknown:
            raise ValidationFailed(unknown)
        values = dict(rendition.fields)
        for name, value in fields.items():
            spec = specs[name]
            if spec.items:
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValidationFailed(FieldError("invalid", _("应为文字列表。"), f"fields.{name}"))
                values[name] = [v.strip() for v in value if v.strip()]
            else:
                values[name] = _text_value(value, spec, formatter)
        channel = rendition.channel
        rendition.fields = values
        rendition.findings = check_fields(rendition.kind, values, channel.settings)
        rendition.edited_by, rendition.edited_at = actor.user, timezone.now()
        rendition.save()
        audit.record(actor, "rendition.edit", rendition, {"fields": sorted(fields), "channel": channel.slug})
        publication = rendition.publication
        source = rules_for(publication.source_type)
        version = source.rendition_edited(actor, publication, rendition) if source is not None else None
        if version is not None:  # the hand-edited version is part of that source version, to be reviewed
            Publication.objects.filter(pk=publication.pk).update(source_version=version)
    return rendition


def _operable(actor: Actor, delivery_id: int) -> Delivery:
    if not can(actor.user, DELIVERY_OPERATE):
        raise _forbid(_("您没有操作投递的权限。"))
    delivery = Delivery.objects.select_for_update().filter(pk=clean_id(delivery_id) or 0).first()
    if delivery is None:
        raise NotFound(FieldError("delivery_not_found", _("投递记录不存在。"), "delivery"))
    return delivery


def cancel_delivery(actor: Actor, delivery_id: int) -> Delivery:
    with transaction.atomic():
        delivery = _operable(actor, delivery_id)
        if delivery.state == DeliveryState.IN_PROGRESS:
            raise Conflict(FieldError("in_progress", _("正在发送，不能取消；请稍后查看结果。")))
        if delivery.state not in (DeliveryState.PENDING, DeliveryState.RETRYING):
            raise Conflict(FieldError("not_open", _("这条投递已经结束。")))
        old = delivery.state
        delivery.state, delivery.finished_at = DeliveryState.CANCELLED, timezone.now()
        delivery.last_error = _("由 %(u)s 取消。") % {"u": actor.name}
        delivery.save(update_fields=["state", "finished_at", "last_error"])
        audit.record(actor, "delivery.cancel", delivery, {"state": [old, delivery.state]})
        queue.refresh_publications({delivery.rendition.publication_id})
    return delivery


def retry_delivery(actor: Actor, delivery_id: int) -> Delivery:
    """Send a failed or cancelled delivery again, with the same idempotency key."""
    with transaction.atomic():
        delivery = _operable(actor, delivery_id)
        if delivery.state not in (DeliveryState.FAILED, DeliveryState.CANCELLED):
            raise Conflict(FieldError("not_finished", _("只有失败或已取消的投递可以重试。")))
        publication = delivery.rendition.publication
        if publication.state == PublicationState.WITHDRAWN and delivery.action == DeliveryAction.PUBLISH:
            raise Conflict(FieldError("withdrawn", _("这次发布已撤回，不能重发。")))
        old = delivery.state
        delivery.state, delivery.due_at, delivery.finished_at = DeliveryState.RETRYING, timezone.now(), None
        delivery.attempts = 0
        delivery.save(update_fields=["state", "due_at", "finished_at", "attempts"])
        audit.record(actor, "delivery.retry", delivery, {"state": [old, delivery.state]})
        queue.refresh_publications({publication.pk})
        transaction.on_commit(wakeup.wake)
    return delivery


def enqueue_withdrawal(delivery: Delivery) -> Delivery | None:
    """Queue taking down what `delivery` published, where its channel can; once per delivery."""
    transmitter = TRANSMITTERS.get(delivery.channel.transmitter)
    if transmitter is None or not transmitter.supports_withdraw:
        return None
    exists = Delivery.objects.filter(rendition_id=delivery.rendition_id, action=DeliveryAction.WITHDRAW).exists()
    if exists:
        return None
    transaction.on_commit(wakeup.wake)
    return Delivery.objects.create(
        rendition_id=delivery.rendition_id,
        channel_id=delivery.channel_id,
        action=DeliveryAction.WITHDRAW,
        priority=max(delivery.priority, Priority.HIGH),
        remote_ref=delivery.remote_ref,
        remote_url=delivery.remote_url,
        max_attempts=delivery.max_attempts,
    )


def withdraw_publication(actor: Actor, publication: Publication, reason: str = "") -> dict[str, int]:
    """Stop what has not gone out and take down what has (where the channel allows it)."""
    with transaction.atomic():
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
        if publication.state == PublicationState.WITHDRAWN:
            return {"cancelled": 0, "withdrawing": 0}
        now = timezone.now()
        cancelled = Delivery.objects.filter(
            rendition__publication=publication,
            action=DeliveryAction.PUBLISH,
            state__in=(DeliveryState.PENDING, DeliveryState.RETRYING),
        ).update(state=DeliveryState.CANCELLED, finished_at=now, last_error=_("稿件已撤回，未发送。"))
        old = publication.state
        publication.state, publication.withdrawn_at = PublicationState.WITHDRAWN, now
        publication.save(update_fields=["state", "withdrawn_at"])
        withdrawing = 0
        for delivery in Delivery.objects.filter(
            rendition__publication=publication, action=DeliveryAction.PUBLISH, state=DeliveryState.SUCCESS
        ).select_related("channel"):
            withdrawing += enqueue_withdrawal(delivery) is not None
        audit.record(
            actor,
            "publication.withdraw",
            publication,
            {"state": [old, publication.state], "cancelled": cancelled, "withdrawing": withdrawing, "reason": reason},
        )
        queue.publication_changed.send(sender=Publication, publication=publication, old=old, new=publication.state)
    return {"cancelled": cancelled, "withdrawing": withdrawing}


def withdraw(actor: Actor, publication_id: int, reason: str = "") -> dict[str, int]:
    """A person's withdrawal of a publication: one they can see (404 otherwise), by someone who publishes (403)."""
    publication = get_publication(actor.user, publication_id)
    require(actor.user, PUBLISH)
    return withdraw_publication(actor, publication, reason)


def discard(actor: Actor, publication_id: int) -> Publication:
    """Give up a held publication that was never sent (a second 先预览 made a newer one, or the story changed):
    it is marked cancelled, keeps its renditions for the record and can no longer be edited or released."""
    publication = get_publication(actor.user, publication_id)  # 404 for what the person may not see
    require(actor.user, PUBLISH)
    with transaction.atomic():
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
        if publication.released_at or publication.state != PublicationState.DRAFT:
            raise Conflict(FieldError("not_held", _("只有尚未提交发布的可以放弃；已提交的请用撤回。")))
        old = publication.state
        publication.state = PublicationState.CANCELLED
        publication.save(update_fields=["state"])
        audit.record(actor, "publication.discard", publication, {"state": [old, publication.state]})
        queue.publication_changed.send(sender=Publication, publication=publication, old=old, new=publication.state)
    return publication


def withdraw_source(actor: Actor, source_type: str, source_id: int, reason: str = "") -> int:
    """Withdraw every publication of a source (a story withdrawn, an alert cancelled)."""
    publications = Publication.objects.filter(source_type=source_type, source_id=source_id).exclude(
        state=PublicationState.WITHDRAWN
    )
    for publication in publications:
        withdraw_publication(actor, publication, reason)
    return len(publications)


def publications_of(user, source_type: str, source_id: int) -> QuerySet[Publication]:
    return visible_publications(user).filter(source_type=source_type, source_id=source_id)
