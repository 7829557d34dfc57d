"""Reading alerts for pages and the API: who may see them, the chain, what went out where and when."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tongpin.core import roles
from tongpin.core.errors import FieldError, NotFound, ValidationFailed
from tongpin.core.ids import clean_id
from tongpin.core.roles import ALERT_VIEW
from tongpin.publishing import reach
from tongpin.publishing.models import Delivery, Rendition

from .models import Alert, AlertState, DutyCall, Level


def visible_alerts(user, state: str | None = None, level: str | None = None) -> QuerySet[Alert]:
    roles.require(user, ALERT_VIEW, _("您没有查看预警的权限。"))
    _check_filters(state, level)
    rows = Alert.objects.all()
    if state:
        rows = rows.filter(state=state)
    if level:
        rows = rows.filter(level=level)
    return rows


def _check_filters(state: str | None, level: str | None) -> None:
    """An unknown state or level is a mistake to point out, not a filter that quietly matches nothing."""
    errors = []
    if state and state not in AlertState.values:
        allowed = "、".join(AlertState.values)
        errors.append(FieldError("invalid_state", _("未知的预警状态，可选：%(v)s。") % {"v": allowed}, "state"))
    if level and level not in Level.values:
        allowed = "、".join(Level.values)
        errors.append(FieldError("invalid_level", _("未知的预警级别，可选：%(v)s。") % {"v": allowed}, "level"))
    if errors:
        raise ValidationFailed(errors)


def get_alert(user, alert_id: int) -> Alert:
    alert = visible_alerts(user).filter(pk=clean_id(alert_id) or 0).first()
    if alert is None:
        raise NotFound(FieldError("alert_not_found", _("预警信息不存在。"), "alert"))
    return alert


def chain(alert: Alert) -> list[Alert]:
    """The alert's whole chain, oldest first: what it updates or cancels, and what updated or cancelled it."""
    return _chains([alert], followers=True)[0]


def deliveries(alert: Alert) -> list[Delivery]:
    return _deliveries_of([alert.publication_id]) if alert.publication_id else []


def _deliveries_of(publication_ids) -> list[Delivery]:
    rows = Delivery.objects.filter(rendition__publication_id__in=publication_ids).select_related("channel", "rendition")
    return reach.attach(list(rows.order_by("channel__name", "id")))


@dataclass
class Parts:
    """What an alert's answer shows besides its own row, read for many alerts at once (`load_parts`)."""

    chain: list[Alert] = field(default_factory=list)
    renditions: list[Rendition] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    calls: list[DutyCall] = field(default_factory=list)


def load_parts(alerts: list[Alert], *, fresh: bool = False) -> dict[int, Parts]:
    """Chains, renditions, deliveries and pages of `alerts` in a fixed number of queries, whatever their number.

    `fresh`: the alerts were stored by this request a moment ago (the intake's answer). Nothing can follow them
    yet, only one waiting for confirmation has been paged, and every rendition of a publication released at
    intake has its delivery, so the renditions come with the deliveries' query."""
    parts = {alert.pk: Parts() for alert in alerts}
    # A fresh alert that refers to none is a chain of its own (one that updates another has the other's followers).
    followers = not fresh or any(alert.previous_id for alert in alerts)
    for alert, members in zip(alerts, _chains(alerts, followers=followers), strict=True):
        parts[alert.pk].chain = members
    by_publication = {alert.publication_id: parts[alert.pk] for alert in alerts if alert.publication_id}
    if fresh:
        for alert in alerts:
            if alert.publication_id and _written_here(alert, parts[alert.pk]):
                del by_publication[alert.publication_id]
    if by_publication:
        for delivery in _deliveries_of(list(by_publication)):
            by_publication[delivery.rendition.publication_id].deliveries.append(delivery)
        if fresh:
            for part in by_publication.values():
                part.renditions = _renditions_of(part.deliveries)
        else:
            for rendition in Rendition.objects.filter(publication_id__in=by_publication).select_related("channel"):
                by_publication[rendition.publication_id].renditions.append(rendition)
    paged = [alert.pk for alert in alerts if not fresh or alert.state == AlertState.PENDING]
    if paged:
        calls = DutyCall.objects.filter(alert_id__in=paged).select_related("user").prefetch_related("sends__route")
        for call in calls.order_by("called_at", "id"):
            parts[call.alert_id].calls.append(call)
    return parts


def _written_here(alert: Alert, part: Parts) -> bool:
    """Take the renditions and deliveries the intake's own `publishing.store()` wrote (nothing to read back)."""
    publication = alert.publication if Alert.publication.is_cached(alert) else None
    written = getattr(publication, "written", None)
    if not written or any(r.pk is None for r in written[0]):
        return False
    renditions, queued = written
    part.renditions = sorted(renditions, key=lambda r: (r.channel.kind, r.channel.name))
    part.deliveries = reach.attach(sorted(queued, key=lambda d: d.channel.name))  # stable: in the order written
    return True


def _renditions_of(deliveries: list[Delivery]) -> list[Rendition]:
    """The renditions the deliveries were read with, in the renditions' own order (channel kind, name)."""
    found = {}
    for delivery in deliveries:
        if delivery.rendition.channel_id == delivery.channel_id:
            delivery.rendition.channel = delivery.channel  # the same row, read once
        found[delivery.rendition_id] = delivery.rendition
    return sorted(found.values(), key=lambda r: (r.channel.kind, r.channel.name, r.pk))


def _chains(alerts: list[Alert], *, followers: bool) -> list[list[Alert]]:
    """Each alert's chain as `chain()` finds it, with one query per step along the chains for all of them."""
    known: dict[int, Alert] = {alert.pk: alert for alert in alerts}
    asked: set[int] = set()  # each id looked up once, so a dangling link cannot loop
    missing = {a.previous_id for a in known.values() if a.previous_id and a.previous_id not in known}
    while missing:  # what they update or cancel, and what that updated, …
        asked |= missing
        for earlier in Alert.objects.filter(pk__in=missing):
            known[earlier.pk] = earlier
        missing = {a.previous_id for a in known.values() if a.previous_id and a.previous_id not in known} - asked
    later: dict[int, list[Alert]] = {}
    frontier = list(known)
    while followers and frontier:  # … and everything that updated or cancelled any of those
        found = list(Alert.objects.filter(previous_id__in=frontier).exclude(pk__in=known))
        for follower in found:
            known[follower.pk] = follower
        frontier = [follower.pk for follower in found]
    for node in known.values():
        if node.previous_id in known:
            later.setdefault(node.previous_id, []).append(node)
    return [_component(alert, known, later) for alert in alerts]


def _component(alert: Alert, known: dict[int, Alert], later: dict[int, list[Alert]]) -> list[Alert]:
    seen = {alert.pk: alert}
    node = alert
    while node.previous_id in known and node.previous_id not in seen:
        node = known[node.previous_id]
        seen[node.pk] = node
    frontier = list(seen.values())
    while frontier:
        frontier = [f for n in frontier for f in later.get(n.pk, []) if f.pk not in seen]
        seen.update((f.pk, f) for f in frontier)
    return sorted(seen.values(), key=lambda a: (a.received_at, a.pk))


def alerts_out(alerts: list[Alert], *, fresh: bool = False) -> list[dict]:
    """The alerts for the API, each with its chain, renditions, deliveries and pages (see `load_parts`)."""
    parts = load_parts(alerts, fresh=fresh)
    return [_alert_dict(alert, parts[alert.pk]) for alert in alerts]


def alert_out(alert: Alert, *, fresh: bool = False) -> dict:
    """One alert for the API, the intake's answer included (`fresh`): by then a released alert's renditions and
    deliveries exist (they were written in the intake's transaction), and the sender wants to know where it went."""
    return alerts_out([alert], fresh=fresh)[0]


def _alert_dict(alert: Alert, parts: Parts) -> dict:
    return {
        "id": alert.pk,
        "identifier": alert.identifier,
        "sender": alert.sender,
        "sent": alert.sent,
        "msg_type": alert.msg_type,
        "status": alert.status,
        "state": alert.state,
        "state_label": str(alert.get_state_display()),
        "level": alert.level,
        "severity": alert.severity,
        "urgency": alert.urgency,
        "certainty": alert.certainty,
        "event": alert.event,
        "headline": alert.headline,
        "description": alert.description,
        "instruction": alert.instruction,
        "area_desc": alert.area_desc,
        "source_format": alert.source_format,
        "signature": alert.signature,
        "signature_detail": alert.signature_detail,
        "hold_reason": alert.hold_reason,
        "warnings": alert.validation.get("warnings", []),
        "received_at": alert.received_at,
        "released_at": alert.released_at,
        "expires_at": alert.expires_at,
        "previous_id": alert.previous_id,
        "pages": [_call_dict(call) for call in parts.calls],
        "chain": [
            {"id": a.pk, "msg_type": a.msg_type, "state": a.state, "identifier": a.identifier, "sent": a.sent}
            for a in parts.chain
        ],
        "renditions": [
            {"id": r.pk, "channel": r.channel.slug, "kind": r.kind, "fields": r.fields} for r in parts.renditions
        ],
        "deliveries": [
            {
                "channel": d.channel.slug,
                "kind": d.rendition.kind,
                "state": d.state,
                "attempts": d.attempts,
                "created_at": d.created_at,
                "delivered_at": d.delivered_at,
                "last_error": d.last_error,
                "sent_at": d.reach_view["sent_at"],
                "received_at": d.received_at,
                "reached_at": d.reached_at,
                "reach": d.reach_view,
            }
            for d in parts.deliveries
        ],
    }


def _call_dict(call: DutyCall) -> dict:
    return {
        "step": call.step,
        "user": call.user.get_username() if call.user else "",
        "called_at": call.called_at,
        "acked_at": call.acked_at,
        "sends": [
            {"route": send.route.name, "kind": send.route.kind, "state": send.state, "attempts": send.attempts,
             "sent_at": send.sent_at, "error": send.error}  # fmt: skip
            for send in call.sends.all()
        ],
    }
